// Checkpoint and resume through the CLI: a run killed with SIGKILL and
// resumed with another thread count writes the same data rows as an uninterrupted run;
// --target-error stops at the same point for any thread count; bad checkpoints are refused.
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli_process.hpp"

namespace {

using darkcharge::testing::read_file;

/// The header and data rows of the CSV at `path` (metadata lines name threads and counts).
std::string data_rows(const std::string& path) {
  return darkcharge::testing::data_rows(read_file(path));
}

int run(const std::string& args) {
  const std::string command = std::string(DARKCHARGE_BINARY) + " " + args + " 2>/dev/null";
  const int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

bool exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

const std::string kRun =
    "simulate --nb 4 --nc 20 --nbar 0.5 -n 20000 --points 101 --seed 5 -q "
    "--observables E_B,P_B,sigma_B,N_em,F_em";

TEST(CliCheckpoint, KilledRunResumesToTheSameBytes) {
  const std::string dir = ::testing::TempDir() + "dc_ck_" + std::to_string(::getpid()) + "/";
  ASSERT_EQ(::mkdir(dir.c_str(), 0700), 0);
  ASSERT_EQ(run(kRun + " --threads 2 -o " + dir + "full.csv"), 0);
  // Start the same run with a checkpoint after every unit; kill it once a checkpoint exists.
  const std::string checkpoint = dir + "run.ck";
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    const std::string command = std::string(DARKCHARGE_BINARY) + " " + kRun +
                                " --threads 2 --checkpoint-every 0 --checkpoint " + checkpoint +
                                " -o " + dir + "part.csv 2>/dev/null";
    ::execl("/bin/sh", "sh", "-c", ("exec " + command).c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  for (int i = 0; i < 2000 && !exists(checkpoint); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  ::kill(child, SIGKILL);
  int status = 0;
  ::waitpid(child, &status, 0);
  ASSERT_TRUE(exists(checkpoint)) << "no checkpoint written";
  const bool killed = WIFSIGNALED(status);
  // Resume with one thread (the run had two): same data rows.
  ASSERT_EQ(run("resume " + checkpoint + " --threads 1 -q -o " + dir + "resumed.csv"), 0);
  EXPECT_EQ(data_rows(dir + "resumed.csv"), data_rows(dir + "full.csv"));
  EXPECT_FALSE(exists(checkpoint)) << "a completed run removes its checkpoint";
  if (!killed) GTEST_SKIP() << "the run finished before it could be killed (fast machine)";
}

// The files of a resumed run say where their numbers came from: the simulate command that
// the checkpoint holds, and the resume that finished it (CSV header and JSON summary).
TEST(CliCheckpoint, ResumedFilesNameTheOriginalCommandAndTheResume) {
  const std::string dir = ::testing::TempDir() + "dc_ckcmd_" + std::to_string(::getpid()) + "/";
  ASSERT_EQ(::mkdir(dir.c_str(), 0700), 0);
  const std::string checkpoint = dir + "run.ck";
  // A 1 ms limit stops after the first round of work units and keeps them in the checkpoint.
  // The limit counts from the run's start: under the sanitizers on a busy machine 1 ms can
  // pass before the first unit starts, and the run then writes nothing ("no work unit
  // finished", exit 2; seen once in a CI run), so a longer limit is tried next.
  std::string limit;
  for (const char* tried : {"0.001", "0.01", "0.1"}) {
    limit = tried;
    const int code = run(kRun + " --threads 1 --time-limit " + limit + " --checkpoint " +
                         checkpoint + " -o " + dir + "cut.csv");
    ASSERT_TRUE(code == 0 || code == 2) << "exit code " << code << " at --time-limit " << limit;
    if (code == 0) break;
  }
  ASSERT_TRUE(exists(checkpoint));
  ASSERT_EQ(run("resume " + checkpoint + " --time-limit 0 -q -o " + dir + "resumed.csv --summary " +
                dir + "resumed.json"),
            0);
  const std::string original = "darkcharge " + kRun + " --threads 1 --time-limit " + limit +
                               " --checkpoint " + checkpoint + " -o " + dir + "cut.csv";
  const std::string resume = "darkcharge resume " + checkpoint + " --time-limit 0 -q -o " + dir +
                             "resumed.csv --summary " + dir + "resumed.json";
  const std::string line = "# command: " + original + "; resumed with: " + resume + "\n";
  EXPECT_NE(read_file(dir + "resumed.csv").find(line), std::string::npos)
      << line << "\n" << read_file(dir + "resumed.csv").substr(0, 600);
  EXPECT_NE(read_file(dir + "resumed.json").find("\"command_line\": \"" + original +
                                                 "; resumed with: " + resume + "\""),
            std::string::npos)
      << read_file(dir + "resumed.json").substr(0, 600);
}

TEST(CliCheckpoint, TargetErrorStopsAtTheSamePointForAnyThreadCount) {
  const std::string dir = ::testing::TempDir();
  const std::string args = "simulate --sampling trajectories --nb 4 --nc 20 --nbar 0.5 "
                           "-n 100000 --points 51 -q "
                           "--observables E_B,sigma_B --target-error E_B=0.002,sigma_B=0.003";
  ASSERT_EQ(run(args + " --threads 1 -o " + dir + "dc_t1.csv --summary " + dir + "dc_t1.json"), 0);
  ASSERT_EQ(run(args + " --threads 2 -o " + dir + "dc_t2.csv"), 0);
  EXPECT_EQ(data_rows(dir + "dc_t1.csv"), data_rows(dir + "dc_t2.csv"));
  EXPECT_NE(read_file(dir + "dc_t1.csv").find("stop=target-error"), std::string::npos);
  EXPECT_NE(read_file(dir + "dc_t1.json").find("\"stop_reason\": \"target-error\""), std::string::npos);
}

TEST(CliCheckpoint, BadCheckpointsAndTargetsAreRefused) {
  const std::string bad = ::testing::TempDir() + "dc_bad.ck";
  std::ofstream(bad) << "darkcharge-checkpoint 1\ngarbage";
  EXPECT_EQ(run("resume " + bad), 2);
  EXPECT_EQ(run("resume " + ::testing::TempDir() + "dc_missing.ck"), 2);
  // An unwritable checkpoint path fails before the run, not after the first unit.
  const std::string nowhere = ::testing::TempDir() + "dc_no_such_dir/run.ck";
  EXPECT_NE(run("simulate -n 100000 -q --checkpoint " + nowhere + " -o " +
                ::testing::TempDir() + "dc_nowhere.csv"),
            0);
  EXPECT_FALSE(exists(::testing::TempDir() + "dc_nowhere.csv"));
  EXPECT_EQ(run("simulate -n 10 -q --target-error E_B"), 2);
  EXPECT_EQ(run("simulate -n 10 -q --target-error E_B=-1"), 2);
  EXPECT_EQ(run("simulate -n 10 -q --observables E_B --target-error sigma_B=0.1"), 2);
}

}  // namespace
