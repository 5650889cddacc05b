// Fuzz test of the command line: a few hundred random argument vectors
// from a fixed seed -- valid and invalid options, huge and malformed numbers, odd paths
// (directories, missing directories, a read-only file, a device node, "-") inside a
// temporary directory. Every run must end by itself (no hang, no crash or signal) with
// exit status 0, 1 or 2; a refusal must name an option (or a file) it was given; no
// temporary file may be left, and the read-only file and the device node stay as they were.
// Runs are kept tiny (few trajectories and points, --max-cpu-hours 0.002 unless fuzzed).
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "cli_process.hpp"

namespace darkcharge::testing {
namespace {

constexpr std::uint64_t kSeed = 20261121;
constexpr int kCases = 300;

const std::vector<std::string> kNumbers = {
    "0",   "1",    "2",     "3",    "010",  "-1",   "+2",  "1e3",  "1.5", "nan",
    "inf", "-0",   "0x10",  "abc",  "",     "3,4",  "1e308", "1e-320", "2147483647",
    "18446744073709551616", "99999999999999999999", "0.25", "1e400", ".5", "5."};

const std::vector<std::string> kPaths = {"a.csv", "b.csv", ".",      "sub",  "missing/x.csv",
                                         "-",     "ro.csv", "null-node", "sub/c.csv", "a.csv/"};

struct OptionSpec {
  const char* name;
  std::vector<std::string> values;  // empty: take from kNumbers
  bool path = false;
};

std::vector<OptionSpec> options_of(const std::string& command) {
  std::vector<OptionSpec> common = {
      {"--nb", {}},        {"--nc", {}},    {"--gamma", {}}, {"--omega", {}},
      {"--battery-init", {"ground", "thermal", "hot", ""}},
      {"--max-memory", {"0", "-1", "nan", "0.0001", "1", "abc"}},
      {"--max-cpu-hours", {"0", "-1", "0.0001", "0.002", "abc"}},
      {"-o", {}, true},    {"--bogus", {"1"}}};
  if (command == "steady") {
    common.push_back({"--temperature", {"0,1", "0.5", "-1", "1e308", "a,b", "1e3"}});
    common.push_back({"--nbar", {"0,1", "0.5", "-1", "1e300", "", "2"}});
    common.push_back({"--observables", {"E_B", "W_B", "S_B,dark", "foo"}});
    return common;
  }
  for (OptionSpec o : std::vector<OptionSpec>{
           {"--nbar", {}},
           {"--temperature", {}},
           {"--t-max", {}},
           {"--points", {}},
           {"--summary", {}, true},
           {"--observables", {"E_B", "E_B,S_B", "W_B", "foo", "dS_B_dt,P_B"}}})
    common.push_back(o);
  if (command == "simulate") {
    for (OptionSpec o : std::vector<OptionSpec>{{"--trajectories", {}},
                                                {"--seed", {}},
                                                {"--threads", {}},
                                                {"--state-times", {"0", "0.5,1", "9", "-1", "x"}},
                                                {"--state-output", {}, true},
                                                {"--joint-state-output", {}, true},
                                                {"--sectors-output", {}, true}})
      common.push_back(o);
  } else {
    common.push_back({"--max-dimension", {"010", "-1", "5", "99999999999999999999", "2000"}});
  }
  return common;
}

/// Sizes that keep a valid run tiny, added when the fuzzer did not choose them.
std::vector<std::pair<std::string, std::string>> small_defaults(const std::string& command) {
  std::vector<std::pair<std::string, std::string>> d = {{"--nb", "2"}, {"--nc", "3"},
                                                        {"--max-cpu-hours", "0.002"}};
  if (command != "steady") d.push_back({"--points", "11"});
  if (command == "simulate") d.push_back({"--trajectories", "20"});
  return d;
}

std::vector<std::string> random_arguments(std::mt19937_64& rng) {
  auto pick = [&rng](std::size_t n) { return static_cast<std::size_t>(rng() % n); };
  const char* commands[] = {"simulate", "simulate", "simulate", "exact", "exact", "steady"};
  const std::string command = commands[pick(6)];
  const auto specs = options_of(command);
  std::vector<std::string> args = {command};
  std::vector<std::string> chosen;
  const std::size_t count = pick(6);
  for (std::size_t i = 0; i < count; ++i) {
    const OptionSpec& s = specs[pick(specs.size())];
    if (std::find(chosen.begin(), chosen.end(), s.name) != chosen.end()) continue;
    chosen.push_back(s.name);
    const auto& values = s.path ? kPaths : s.values.empty() ? kNumbers : s.values;
    args.push_back(s.name);
    args.push_back(values[pick(values.size())]);
  }
  for (const auto& [name, value] : small_defaults(command))
    if (std::find(chosen.begin(), chosen.end(), name) == chosen.end()) {
      args.push_back(name);
      args.push_back(value);
    }
  if (command != "steady") args.push_back("-q");
  return args;
}

std::string joined(const std::vector<std::string>& args) {
  std::string s;
  for (const auto& a : args) s += "'" + a + "' ";
  return s;
}

/// A refusal names something the user gave: an option, or a path.
bool names_an_argument(const std::string& err, const std::vector<std::string>& args) {
  for (std::size_t i = 1; i < args.size(); ++i) {
    const std::string& a = args[i];
    const bool option = a.size() > 1 && a[0] == '-' && (a[1] == '-' || a == "-o");
    const bool path = std::find(kPaths.begin(), kPaths.end(), a) != kPaths.end() && a != "-";
    if ((option || (path && !a.empty())) && err.find(a) != std::string::npos) return true;
  }
  return err.find("--output") != std::string::npos;  // "-o" is reported as --output
}

TEST(CliFuzz, RandomArgumentVectorsEndCleanly) {
  TemporaryDirectory dir;
  ASSERT_EQ(::mkdir((dir / "sub").c_str(), 0755), 0);
  { std::ofstream(dir / "ro.csv") << "keep\n"; }
  ASSERT_EQ(::chmod((dir / "ro.csv").c_str(), 0444), 0);
  const bool have_device = ::mknod((dir / "null-node").c_str(), S_IFCHR | 0666, makedev(1, 3)) == 0;
  std::mt19937_64 rng(kSeed);
  int refused = 0, succeeded = 0;
  for (int c = 0; c < kCases; ++c) {
    const std::vector<std::string> args = random_arguments(rng);
    const ProcessResult r = run_darkcharge(args, dir.path(), 60);
    const std::string what = joined(args);
    ASSERT_FALSE(r.timed_out) << "hang: " << what;
    ASSERT_TRUE(r.exited) << "signal " << r.signal << ": " << what << "\n" << r.err;
    ASSERT_TRUE(r.exit_code == 0 || r.exit_code == 1 || r.exit_code == 2)
        << "exit " << r.exit_code << ": " << what << "\n" << r.err;
    if (r.exit_code != 0) {
      ++refused;
      EXPECT_NE(r.err.find("darkcharge: error: "), std::string::npos) << what << "\n" << r.err;
      EXPECT_TRUE(names_an_argument(r.err, args)) << what << "\n" << r.err;
      for (const char* f : {"a.csv", "b.csv", "sub/c.csv"})
        EXPECT_FALSE(file_exists(dir / f)) << f << " written by a refused run: " << what;
    } else {
      ++succeeded;
    }
    ASSERT_TRUE(temporary_files_in(dir.path()).empty()) << what;
    ASSERT_TRUE(temporary_files_in(dir / "sub").empty()) << what;
    ASSERT_EQ(read_file(dir / "ro.csv"), "keep\n") << what;
    struct stat st {};
    if (have_device)
      ASSERT_TRUE(::lstat((dir / "null-node").c_str(), &st) == 0 && S_ISCHR(st.st_mode)) << what;
    for (const char* f : {"a.csv", "b.csv", "sub/c.csv"}) std::remove((dir / f).c_str());
  }
  // Both outcomes must be exercised, or the fuzzer tests nothing.
  EXPECT_GT(refused, kCases / 10);
  EXPECT_GT(succeeded, kCases / 10);
  std::printf("fuzz: %d refused, %d succeeded\n", refused, succeeded);
}

}  // namespace
}  // namespace darkcharge::testing
