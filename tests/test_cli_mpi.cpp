// MPI runs: `mpirun -np P darkcharge simulate ...` writes the same data rows (and
// state file) as one process with the same seed, for P = 2 and 3 and any threads per rank,
// and its header records the ranks and the threads of each.
// Skipped where mpirun is missing or darkcharge was built without MPI.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli_process.hpp"

namespace {

using darkcharge::testing::read_file;

/// The header and data rows of the CSV at `path` (metadata lines name threads and counts).
std::string data_rows(const std::string& path) {
  return darkcharge::testing::data_rows(read_file(path));
}

int run(const std::string& command) {
  const int status = std::system((command + " 2>/dev/null").c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string mpirun() {
  std::string m = "mpirun --oversubscribe";
  if (::geteuid() == 0) m += " --allow-run-as-root";  // CI runs as root
  return m;
}

TEST(CliMpi, AnyNumberOfRanksGivesTheSameBytes) {
  if (run("command -v mpirun > /dev/null") != 0) GTEST_SKIP() << "mpirun not found";
  const std::string dir = ::testing::TempDir(), binary = DARKCHARGE_BINARY;
  ASSERT_EQ(run(binary + " --version > " + dir + "dc_version.txt"), 0);
  if (read_file(dir + "dc_version.txt").find("not built in") != std::string::npos)
    GTEST_SKIP() << "darkcharge built without MPI";
  const std::string args =
      " simulate --nb 2 --nc 6 --nbar 0.3 -n 3001 --points 21 --seed 3 -q --state-times 1"
      " --observables E_B,P_B,W_B,S_B,sigma_B,F_em";
  ASSERT_EQ(run(binary + args + " --threads 2 -o " + dir + "dc_mpi1.csv --state-output " + dir +
                "dc_mpi1_state.csv"),
            0);
  for (const auto& [ranks, threads] : {std::pair{2, 1}, std::pair{3, 2}}) {
    const std::string tag = "dc_mpi" + std::to_string(ranks);
    ASSERT_EQ(run(mpirun() + " -np " + std::to_string(ranks) + " " + binary + args +
                  " --threads " + std::to_string(threads) + " -o " + dir + tag +
                  ".csv --state-output " + dir + tag + "_state.csv"),
              0)
        << ranks << " ranks";
    EXPECT_EQ(data_rows(dir + tag + ".csv"), data_rows(dir + "dc_mpi1.csv")) << ranks;
    // The header names every rank's threads, not rank 0's alone.
    const std::string parallelism = "threads=" + std::to_string(ranks * threads) +
                                    " ranks=" + std::to_string(ranks) +
                                    " threads-per-rank=" + std::to_string(threads) + "\n";
    EXPECT_NE(read_file(dir + tag + ".csv").find(parallelism), std::string::npos)
        << parallelism << read_file(dir + tag + ".csv").substr(0, 600);
    // Headers name the command line and the time (file_header), so only the data rows match.
    EXPECT_EQ(data_rows(dir + tag + "_state.csv"), data_rows(dir + "dc_mpi1_state.csv")) << ranks;
  }
}

// --target-error stops at the same point under MPI (rank 0 decides after each round from
// the gathered units), and a run cut by --time-limit under MPI resumes in one process to
// the bytes of an uninterrupted run.
TEST(CliMpi, TargetErrorAndCheckpointWorkAcrossRanks) {
  if (run("command -v mpirun > /dev/null") != 0) GTEST_SKIP() << "mpirun not found";
  const std::string dir = ::testing::TempDir(), binary = DARKCHARGE_BINARY;
  ASSERT_EQ(run(binary + " --version > " + dir + "dc_version2.txt"), 0);
  if (read_file(dir + "dc_version2.txt").find("not built in") != std::string::npos)
    GTEST_SKIP() << "darkcharge built without MPI";
  const std::string args = " simulate --sampling trajectories --nb 4 --nc 20 --nbar 0.5 "
                           "-n 100000 --points 51 -q "
                           "--observables E_B,sigma_B --target-error E_B=0.002,sigma_B=0.003";
  ASSERT_EQ(run(binary + args + " --threads 2 -o " + dir + "dc_mt1.csv"), 0);
  ASSERT_EQ(run(mpirun() + " -np 2 " + binary + args + " --threads 1 -o " + dir + "dc_mt2.csv"), 0);
  EXPECT_EQ(data_rows(dir + "dc_mt2.csv"), data_rows(dir + "dc_mt1.csv"));
  // A limit of 1 ms stops after the first round of units; the checkpoint keeps them.
  const std::string checkpoint = dir + "dc_mt.ck";
  ASSERT_EQ(run(mpirun() + " -np 2 " + binary + args + " --threads 1 --time-limit 0.001 -o " +
                dir + "dc_mt_cut.csv --checkpoint " + checkpoint),
            0);
  EXPECT_NE(read_file(dir + "dc_mt_cut.csv").find("stop=time-limit"), std::string::npos);
  ASSERT_EQ(run(binary + " resume " + checkpoint + " --time-limit 0 -q -o " + dir +
                "dc_mt_resumed.csv"),
            0);
  EXPECT_EQ(data_rows(dir + "dc_mt_resumed.csv"), data_rows(dir + "dc_mt1.csv"));
}

// With local (single-spin) noise the ranks share the local-noise trajectories' units: 2 ranks
// write the bytes of 1, with and without a target error.
TEST(CliMpi, LocalNoiseRanksGiveTheSameBytes) {
  if (run("command -v mpirun > /dev/null") != 0) GTEST_SKIP() << "mpirun not found";
  const std::string dir = ::testing::TempDir(), binary = DARKCHARGE_BINARY;
  ASSERT_EQ(run(binary + " --version > " + dir + "dc_version3.txt"), 0);
  if (read_file(dir + "dc_version3.txt").find("not built in") != std::string::npos)
    GTEST_SKIP() << "darkcharge built without MPI";
  const std::string args = " simulate --nb 4 --nc 20 --nbar 0.5 --battery-decay 0.2 "
                           "--charger-dephasing 0.3 --sampling trajectories --points 41 --seed 5 -q";
  for (const std::string& extra : {std::string(" -n 3001"), std::string(" -n 100000 --target-error E_B=0.006")}) {
    ASSERT_EQ(run(binary + args + extra + " --threads 2 -o " + dir + "dc_ml1.csv"), 0) << extra;
    ASSERT_EQ(run(mpirun() + " -np 2 " + binary + args + extra + " --threads 1 -o " + dir + "dc_ml2.csv"), 0)
        << extra;
    EXPECT_EQ(data_rows(dir + "dc_ml2.csv"), data_rows(dir + "dc_ml1.csv")) << extra;
  }
  EXPECT_NE(read_file(dir + "dc_ml2.csv").find("stop=target-error"), std::string::npos);
}

// Through a protocol's segments the ranks share the same units: 2 ranks write the bytes of 1.
TEST(CliMpi, ProtocolRanksGiveTheSameBytes) {
  if (run("command -v mpirun > /dev/null") != 0) GTEST_SKIP() << "mpirun not found";
  const std::string dir = ::testing::TempDir(), binary = DARKCHARGE_BINARY;
  ASSERT_EQ(run(binary + " --version > " + dir + "dc_version4.txt"), 0);
  if (read_file(dir + "dc_version4.txt").find("not built in") != std::string::npos)
    GTEST_SKIP() << "darkcharge built without MPI";
  std::ofstream(dir + "dc_mp.json") << R"([{"duration": 0.5}, {"duration": 0.05, "battery_dephasing": 20},
      {"duration": 1.0, "reservoir": "battery", "battery_decay": 0.1}])";
  const std::string args = " simulate --nb 4 --nc 20 --nbar 0.5 --protocol " + dir +
                           "dc_mp.json --sampling trajectories --points 11 -n 3001 --seed 5 -q";
  ASSERT_EQ(run(binary + args + " --threads 2 -o " + dir + "dc_mp1.csv"), 0);
  ASSERT_EQ(run(mpirun() + " -np 2 " + binary + args + " --threads 1 -o " + dir + "dc_mp2.csv"), 0);
  EXPECT_NE(read_file(dir + "dc_mp2.csv").find("through the protocol's 3 segments"), std::string::npos);
  EXPECT_EQ(data_rows(dir + "dc_mp2.csv"), data_rows(dir + "dc_mp1.csv"));
}

}  // namespace
