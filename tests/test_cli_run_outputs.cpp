// The runner's outputs (counts, jumps, checkpoint) under the CLI's output
// rules: checked with the other outputs before the run, self-describing headers,
// and the checkpoint written from the signal path so that an interrupted run can be resumed
// to the same bytes. Everything happens in the test's own temporary directory.
#include <chrono>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include "cli_process.hpp"

namespace darkcharge::testing {
namespace {

TEST(CliRunOutputs, SideOutputsAndTheCheckpointClashAndAreCheckedBeforeRunning) {
  TemporaryDirectory dir;
  ASSERT_EQ(::mkdir((dir / "sub").c_str(), 0755), 0);
  const struct {
    std::vector<std::string> args;
    const char* must_mention;
  } cases[] = {
      {{"-o", "same.csv", "--state-times", "1", "--counts-output", "same.csv"}, "both write to"},
      {{"-o", "same.csv", "--record-trajectories", "2", "--jumps-output", "same.csv"},
       "both write to"},
      {{"-o", "same.csv", "--checkpoint", "same.csv"}, "both write to"},
      {{"--summary", "s.json", "--checkpoint", "./s.json"}, "both write to"},
      {{"--checkpoint", "sub"}, "is a directory"},
      {{"--checkpoint", "-"}, "must be a regular file"},
      {{"--state-times", "1", "--counts-output", "missing/c.csv"}, "'missing' does not exist"},
      {{"--record-trajectories", "1", "--jumps-output", ""}, "--jumps-output"},
  };
  for (const auto& c : cases) {
    const ProcessResult r = run_darkcharge(with(kLongRun, c.args), dir.path());
    EXPECT_EQ(r.exit_code, 2) << c.args.back();
    EXPECT_NE(r.err.find(c.must_mention), std::string::npos) << r.err;
    EXPECT_LT(r.seconds, 10) << "refused only after running";
    EXPECT_FALSE(file_exists(dir / "same.csv"));
  }
  EXPECT_TRUE(temporary_files_in(dir.path()).empty());
}

TEST(CliRunOutputs, CountsAndJumpsFilesDescribeThemselves) {
  TemporaryDirectory dir;
  const ProcessResult r = run_darkcharge(
      {"simulate", "-n", "200", "--points", "5", "-q", "--seed", "3", "--state-times", "1",
       "--counts-output", "counts.csv", "--record-trajectories", "2", "--jumps-output",
       "jumps.csv", "-o", "out.csv", "--sampling", "trajectories"},
      dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* file : {"counts.csv", "jumps.csv", "out.csv"}) {
    const std::string text = read_file(dir / file);
    EXPECT_EQ(text.rfind("# darkcharge ", 0), 0u) << file;
    EXPECT_NE(text.find("\n# command: darkcharge simulate -n 200"), std::string::npos) << file;
    EXPECT_NE(text.find("\n# trajectories=200 seed=3"), std::string::npos) << file;
    EXPECT_NE(text.find("\n# errors: "), std::string::npos) << file;
  }
  EXPECT_NE(read_file(dir / "counts.csv").find("\nt,n,P,P_err\n"), std::string::npos);
  EXPECT_NE(read_file(dir / "jumps.csv").find("\ntrajectory,t,channel,M\n"), std::string::npos);
  EXPECT_NE(read_file(dir / "out.csv").find("\n# trajectories-run=200 stop=completed sampling=trajectories\n"),
            std::string::npos);
}

// SIGINT during a --checkpoint run: exit 130, the checkpoint is written by the signal path
// (--checkpoint-every is far beyond the run, so no periodic save happens), the message names
// the resume command, no other output appears, and resuming gives the uninterrupted bytes.
TEST(CliRunOutputs, SigintSavesTheCheckpointAndResumesToTheSameBytes) {
  TemporaryDirectory dir;
  const std::vector<std::string> run = {"simulate", "--nb", "4", "--nc", "20", "--nbar", "0.5",
                                        "-n", "100000", "--points", "51", "--seed", "5", "-q",
                                        "--observables", "E_B,sigma_B,N_em", "--threads", "2"};
  const ProcessResult full = run_darkcharge(with(run, {"-o", "full.csv"}), dir.path(), 120);
  ASSERT_EQ(full.exit_code, 0) << full.err;
  const ProcessResult stopped = run_darkcharge(
      with(run, {"-o", "part.csv", "--checkpoint", "run.ck", "--checkpoint-every", "100000"}),
      dir.path(), 120, [](pid_t pid) {
        std::this_thread::sleep_for(std::chrono::milliseconds(400));
        ::kill(pid, SIGINT);
      });
  if (stopped.exit_code == 0) GTEST_SKIP() << "the run finished before the signal (fast machine)";
  EXPECT_EQ(stopped.exit_code, 130) << stopped.err;
  EXPECT_NE(stopped.err.find("resume with: darkcharge resume run.ck"), std::string::npos)
      << stopped.err;
  EXPECT_TRUE(file_exists(dir / "run.ck"));
  EXPECT_FALSE(file_exists(dir / "part.csv"));
  EXPECT_TRUE(temporary_files_in(dir.path()).empty());
  const ProcessResult resumed =
      run_darkcharge({"resume", "run.ck", "--threads", "1", "-q"}, dir.path(), 120);
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  EXPECT_EQ(data_rows(read_file(dir / "part.csv")), data_rows(read_file(dir / "full.csv")));
  EXPECT_FALSE(file_exists(dir / "run.ck")) << "a completed run removes its checkpoint";
}


// At nbar = 0 the default is the exact cascade: the header says so, every error is 0 with
// method "exact", the summary records it; asking for it at nbar > 0 is refused, naming the
// option, with nothing written.
TEST(CliRunOutputs, CascadeIsTheDefaultAtZeroTemperature) {
  TemporaryDirectory dir;
  const ProcessResult r = run_darkcharge(
      {"simulate", "--nb", "3", "--nc", "12", "--points", "6", "-q", "-o", "out.csv",
       "--summary", "out.json", "--observables", "E_B,S_B,F_em"},
      dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string csv = read_file(dir / "out.csv");
  EXPECT_NE(csv.find("\n# trajectories-run=0 stop=exact sampling=cascade\n"), std::string::npos);
  EXPECT_NE(csv.find("E_B=exact S_B=exact F_em=exact"), std::string::npos);
  std::istringstream rows(data_rows(csv));
  std::string line;
  std::getline(rows, line);  // column names
  int values = 0;
  while (std::getline(rows, line)) {
    std::vector<std::string> field;
    std::istringstream cells(line);
    for (std::string cell; std::getline(cells, cell, ',');) field.push_back(cell);
    for (std::size_t i = 2; i < field.size(); i += 2, ++values) EXPECT_EQ(field[i], "0") << line;
  }
  EXPECT_EQ(values, 6 * 3);
  EXPECT_NE(read_file(dir / "out.json").find("\"sampling\": \"cascade\""), std::string::npos);

  const ProcessResult refused = run_darkcharge(
      {"simulate", "--nbar", "0.5", "--sampling", "cascade", "-q", "-o", "hot.csv"}, dir.path());
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_NE(refused.err.find("--sampling cascade needs nbar = 0"), std::string::npos) << refused.err;
  EXPECT_FALSE(file_exists(dir / "hot.csv"));
}

}  // namespace
}  // namespace darkcharge::testing
