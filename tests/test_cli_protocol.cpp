// `--protocol FILE` on the command line: the file's segments in the CSV header and the JSON
// summary, the boundaries among the output times, a one-segment protocol equal to the
// command line giving today's rows byte for byte, every bad protocol refused with the
// file, the segment and the key named, a non-zero exit and no output file; simulate through
// a protocol (trajectories, the same rows for any thread count; auto: the exact solver);
// a protocol run cut by its time limit resumes from its checkpoint to the same rows, and a
// resume whose protocol file has changed since is refused naming the file.
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cli_process.hpp"

namespace {

using darkcharge::testing::data_rows;
using darkcharge::testing::file_exists;
using darkcharge::testing::read_file;
using darkcharge::testing::run_darkcharge;
using darkcharge::testing::TemporaryDirectory;

void write(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

const char* kChargePulseStore =
    R"([{"duration": 0.5}, {"duration": 0.05, "battery_dephasing": 20},
        {"duration": 1.0, "reservoir": "battery", "battery_decay": 0.1}])";

TEST(CliProtocol, FileRoundTripRecordsTheResolvedSegments) {
  TemporaryDirectory dir;
  write(dir / "p.json", kChargePulseStore);
  const auto r = run_darkcharge({"exact", "--nb", "2", "--nc", "4", "--nbar", "0.2", "--protocol",
                                 "p.json", "--points", "4", "-q", "-o", "out.csv", "--summary", "s.json"},
                                dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string csv = read_file(dir / "out.csv");
  EXPECT_NE(csv.find("# protocol: file=p.json segments=[{\"start\":0.0,\"duration\":0.5,\"reservoir\":\"both\""),
            std::string::npos) << csv;
  EXPECT_NE(csv.find("\"start\":0.55,\"duration\":1.0,\"reservoir\":\"battery\""), std::string::npos);
  // --points 4 over [0, 1.55] (0, 0.5167, 1.0333, 1.55) plus the boundaries 0.5 and 0.55.
  EXPECT_NE(csv.find("# times=0,0.5,0.5166666667,0.55,1.033333333,1.55"), std::string::npos) << csv;
  const auto summary = nlohmann::json::parse(read_file(dir / "s.json"));
  const auto& segments = summary["parameters"]["protocol"]["segments"];
  ASSERT_EQ(segments.size(), 3u);
  EXPECT_EQ(summary["parameters"]["protocol"]["file"], "p.json");
  EXPECT_EQ(segments[1]["battery"]["dephasing"], 20.0);
  EXPECT_EQ(segments[1]["nbar"], 0.2);  // left out: the command line's
  EXPECT_EQ(segments[2]["reservoir"], "battery");
  EXPECT_EQ(segments[2]["battery"]["decay"], 0.1);
  EXPECT_EQ(summary["parameters"]["t_max"], 1.55);
}

TEST(CliProtocol, OneSegmentEqualToTheCommandLineGivesTodaysRows) {
  TemporaryDirectory dir;
  write(dir / "one.json", R"([{"duration": 0.8}])");
  const std::vector<std::vector<std::string>> runs = {
      {"exact", "--nb", "2", "--nc", "6", "--nbar", "0.3"},
      {"exact", "--nb", "2", "--nc", "4", "--nbar", "0.2", "--battery-decay", "0.1"},
      {"simulate", "--nb", "2", "--nc", "6", "--nbar", "0.3", "-n", "100", "--seed", "7"},
  };
  for (const auto& base : runs) {
    auto today = base, mine = base;
    for (const char* a : {"--points", "9", "-q", "-o", "out.csv"}) today.push_back(a), mine.push_back(a);
    today.insert(today.end(), {"--t-max", "0.8"});
    mine.insert(mine.end(), {"--protocol", "one.json"});
    const auto a = run_darkcharge(today, dir.path());
    ASSERT_EQ(a.exit_code, 0) << a.err;
    const std::string expected = data_rows(read_file(dir / "out.csv"));
    const auto b = run_darkcharge(mine, dir.path());
    ASSERT_EQ(b.exit_code, 0) << b.err;
    const std::string got = data_rows(read_file(dir / "out.csv"));
    EXPECT_EQ(got, expected) << base[0] << " " << base.size();
    EXPECT_GT(expected.size(), 100u);
  }
}

TEST(CliProtocol, BadProtocolsAreRefusedNamingFileSegmentAndKey) {
  TemporaryDirectory dir;
  const struct {
    const char* text;  // nullptr: no file at all
    std::vector<std::string> extra;
    std::vector<std::string> must_mention;
  } cases[] = {
      {nullptr, {}, {"bad.json", "cannot read"}},
      {"[{\"duration\": 1},", {}, {"bad.json", "not valid JSON"}},
      {"[]", {}, {"bad.json", "empty list"}},
      {"{\"duration\": 1}", {}, {"bad.json", "list of segments"}},
      {R"([{"duration": 1}, {"duration": 1, "batery_decay": 1}])", {}, {"bad.json", "segment 2", "'batery_decay'", "unknown key"}},
      {R"([{"duration": 0}])", {}, {"bad.json", "segment 1", "'duration'"}},
      {R"([{"duration": 1}, {"duration": -2}])", {}, {"bad.json", "segment 2", "'duration'"}},
      {R"([{"duration": NaN}])", {}, {"bad.json", "not valid JSON"}},
      {R"([{"reservoir": "battery"}])", {}, {"bad.json", "segment 1", "'duration'", "missing"}},
      {R"([{"duration": 1, "nbar": 0.1, "temperature": 1}])", {}, {"bad.json", "segment 1", "not both"}},
      {R"([{"duration": 1, "charger_dephasing": -1}])", {}, {"bad.json", "segment 1", "'charger_dephasing'"}},
      {R"([{"duration": 1, "reservoir": "charger-only"}])", {}, {"bad.json", "segment 1", "'reservoir'", "charger-only"}},
      {R"([{"duration": 1}])", {"--t-max", "1"}, {"--t-max", "--protocol"}},
      {R"([{"duration": 1}, {"duration": 1, "reservoir": "battery"}])", {"--method", "product"}, {"--method product", "bad.json"}},
      {R"([{"duration": 1}, {"duration": 1}])", {"--times", "0,0.5,3"}, {"--times", "3", "bad.json"}},
      {R"([{"duration": 1}, {"duration": 1}])", {"--observables", "N_em"}, {"--observables", "N_em"}},
  };
  for (const auto& c : cases) {
    std::remove((dir / "bad.json").c_str());
    if (c.text) write(dir / "bad.json", c.text);
    std::vector<std::string> args = {"exact", "--nb", "2", "--nc", "3", "--protocol", "bad.json", "-o", "out.csv",
                                     "--summary", "s.json"};
    args.insert(args.end(), c.extra.begin(), c.extra.end());
    const auto r = run_darkcharge(args, dir.path());
    EXPECT_NE(r.exit_code, 0) << (c.text ? c.text : "(no file)");
    for (const std::string& needle : c.must_mention)
      EXPECT_NE(r.err.find(needle), std::string::npos) << (c.text ? c.text : "(no file)") << ": " << r.err
                                                       << " lacks " << needle;
    EXPECT_FALSE(file_exists(dir / "out.csv")) << (c.text ? c.text : "(no file)");
    EXPECT_FALSE(file_exists(dir / "s.json"));
  }
}

TEST(CliProtocol, TheExampleProtocolRuns) {
  // examples/protocols/charge_pulse_store.json (docs/cli.md) at a small size.
  TemporaryDirectory dir;
  const std::string example = std::string(DARKCHARGE_GOLDEN_DIR) + "/../../../examples/protocols/charge_pulse_store.json";
  const auto r = run_darkcharge({"exact", "--nb", "2", "--nc", "4", "--protocol", example, "--points", "5",
                                 "-q", "-o", "out.csv"},
                                dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string csv = read_file(dir / "out.csv");
  EXPECT_NE(csv.find("# times=0,3.5125,4,4.05,7.025,10.5375,14.05"), std::string::npos) << csv;
}

TEST(CliProtocol, SimulateRunsAProtocolWithTrajectories) {
  TemporaryDirectory dir;
  write(dir / "p.json", kChargePulseStore);
  std::string rows[2];
  for (int threads : {1, 2}) {
    const std::string out = "out" + std::to_string(threads) + ".csv";
    const auto r = run_darkcharge({"simulate", "--nb", "2", "--nc", "4", "--protocol", "p.json", "--points", "4",
                                   "--trajectories", "200", "--sampling", "trajectories", "--threads",
                                   std::to_string(threads), "-q", "-o", out, "--summary", "s.json"},
                                  dir.path());
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const std::string csv = read_file(dir / out);
    EXPECT_NE(csv.find("# protocol: file=p.json segments=[{\"start\":0.0,\"duration\":0.5,\"reservoir\":\"both\""),
              std::string::npos) << csv;
    // The exact protocol solver's grid: --points 4 over [0, 1.55] plus the boundaries.
    EXPECT_NE(csv.find("# times=0,0.5,0.5166666667,0.55,1.033333333,1.55"), std::string::npos) << csv;
    EXPECT_NE(csv.find("through the protocol's 3 segments"), std::string::npos) << csv;
    rows[threads - 1] = data_rows(csv);
    const auto summary = nlohmann::json::parse(read_file(dir / "s.json"));
    EXPECT_EQ(summary["sampling"], "trajectories");
    EXPECT_EQ(summary["parameters"]["protocol"]["segments"].size(), 3u) << summary.dump();
  }
  EXPECT_EQ(std::count(rows[0].begin(), rows[0].end(), '\n'), 7) << rows[0];  // column names + 6 times
  EXPECT_EQ(rows[0], rows[1]);  // the same bytes for 1 and 2 threads
}

TEST(CliProtocol, SimulateAutoTakesTheExactProtocolSolverWhenCheap) {
  TemporaryDirectory dir;
  write(dir / "p.json", kChargePulseStore);
  const auto r = run_darkcharge({"simulate", "--nb", "2", "--nc", "4", "--protocol", "p.json", "--points", "4",
                                 "-q", "-o", "out.csv", "--summary", "s.json"},
                                dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(read_file(dir / "out.csv").find("sampling=exact: the reduced Dicke-basis protocol solver"),
            std::string::npos);
  EXPECT_EQ(nlohmann::json::parse(read_file(dir / "s.json"))["sampling"], "exact");
}

TEST(CliProtocol, SimulateRefusesWhatTrajectoriesThroughAProtocolCannotDo) {
  TemporaryDirectory dir;
  write(dir / "p.json", kChargePulseStore);
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--sampling", "cascade"}, "cascade"},
  };
  for (const auto& [extra, named] : cases) {
    std::vector<std::string> args = {"simulate", "--nb", "2", "--nc", "4", "--protocol", "p.json", "-o", "out.csv"};
    args.insert(args.end(), extra.begin(), extra.end());
    const auto r = run_darkcharge(args, dir.path());
    EXPECT_NE(r.exit_code, 0) << named;
    EXPECT_NE(r.err.find(named), std::string::npos) << r.err;
    EXPECT_FALSE(file_exists(dir / "out.csv")) << named;
  }
}

TEST(CliProtocol, CheckpointedRunResumesToTheSameBytesAndRefusesAChangedFile) {
  TemporaryDirectory dir;
  write(dir / "p.json", kChargePulseStore);
  // ~1-2 s of trajectories on one core: a 0.05 s time limit stops it after its first units.
  const std::vector<std::string> args = {"simulate", "--nb", "4", "--nc", "20", "--nbar", "0.5",
                                         "--protocol", "p.json", "--points", "5", "-n", "20000",
                                         "--seed", "7", "--sampling", "trajectories", "-q"};
  auto with = [&args](std::vector<std::string> extra) {
    extra.insert(extra.begin(), args.begin(), args.end());
    return extra;
  };
  auto r = run_darkcharge(with({"--threads", "2", "-o", "full.csv"}), dir.path(), 120);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = run_darkcharge(with({"--threads", "1", "--time-limit", "0.05", "--checkpoint", "ck", "-o", "cut.csv"}),
                     dir.path(), 120);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(read_file(dir / "cut.csv").find("stop=time-limit"), std::string::npos);
  ASSERT_TRUE(file_exists(dir / "ck"));
  const std::string checkpoint = read_file(dir / "ck");

  // Another battery_decay in the last segment: the saved units are refused, nothing written.
  write(dir / "p.json", R"([{"duration": 0.5}, {"duration": 0.05, "battery_dephasing": 20},
        {"duration": 1.0, "reservoir": "battery", "battery_decay": 0.2}])");
  r = run_darkcharge({"resume", "ck", "-q", "--time-limit", "0", "-o", "res.csv"}, dir.path(), 120);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("--protocol file 'p.json'"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("protocol segment 3: it was run with battery/decay 0.1, this run has 0.2"),
            std::string::npos) << r.err;
  EXPECT_FALSE(file_exists(dir / "res.csv"));
  EXPECT_EQ(read_file(dir / "ck"), checkpoint);

  // The file deleted: refused naming it, nothing written.
  std::remove((dir / "p.json").c_str());
  r = run_darkcharge({"resume", "ck", "-q", "--time-limit", "0", "-o", "res.csv"}, dir.path(), 120);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("resume: checkpoint 'ck' reads its --protocol file again: --protocol: cannot read "
                      "the protocol file 'p.json'"),
            std::string::npos) << r.err;
  EXPECT_FALSE(file_exists(dir / "res.csv"));
  EXPECT_EQ(read_file(dir / "ck"), checkpoint);

  // The file restored: the resumed rows are the uninterrupted run's, byte for byte.
  write(dir / "p.json", kChargePulseStore);
  r = run_darkcharge({"resume", "ck", "-q", "--time-limit", "0", "-o", "res.csv"}, dir.path(), 120);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(read_file(dir / "res.csv").find("stop=completed"), std::string::npos);
  EXPECT_EQ(data_rows(read_file(dir / "res.csv")), data_rows(read_file(dir / "full.csv")));
}

TEST(CliProtocol, ExactRefusesStateOutputsOfAProtocol) {
  // The reduced Dicke-basis solver keeps no state the state files can hold; it used to crash.
  TemporaryDirectory dir;
  write(dir / "p.json", kChargePulseStore);
  const auto r = run_darkcharge({"exact", "--nb", "2", "--nc", "4", "--protocol", "p.json",
                                 "--state-times", "0.5", "--state-output", "st.csv", "-o", "out.csv"},
                                dir.path());
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("--state-times"), std::string::npos) << r.err;
  EXPECT_FALSE(file_exists(dir / "out.csv"));
  EXPECT_FALSE(file_exists(dir / "st.csv"));
}

}  // namespace
