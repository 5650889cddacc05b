// The jump-record outputs of the CLI (issue 15): --counts-output and --jumps-output write
// their tables; --observables accepts the new columns; misuse is refused naming the option.
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "cli_process.hpp"
#include <sys/wait.h>

namespace {

using darkcharge::testing::read_file;

int run(const std::string& args, const std::string& err_file) {
  const std::string command =
      std::string(DARKCHARGE_BINARY) + " " + args + " > " + err_file + ".out 2> " + err_file;
  const int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(CliJumpOutputs, CountsAndJumpRecordsAreWritten) {
  const std::string dir = ::testing::TempDir();
  const std::string err = dir + "dc_jumps.stderr";
  ASSERT_EQ(run("simulate --nb 2 --nc 4 --nbar 0.5 --t-max 2 -n 200 -q --observables E_B,N_em,F_em,sigma_B "
                "-o " + dir + "dc_jumps.csv --state-times 0.5,2 --counts-output " + dir +
                "dc_counts.csv --jumps-output " + dir + "dc_records.csv --record-trajectories 3",
                err),
            0)
      << read_file(err);
  EXPECT_NE(read_file(dir + "dc_jumps.csv").find("\nt,E_B,E_B_err,sigma_B,sigma_B_err,N_em,N_em_err,"
                                            "F_em,F_em_err\n"),
            std::string::npos);
  const std::string counts = read_file(dir + "dc_counts.csv");
  EXPECT_NE(counts.find("\nt,n,P,P_err\n0.5,"), std::string::npos) << counts;
  EXPECT_NE(counts.find("\n2,"), std::string::npos) << counts;
  const std::string records = read_file(dir + "dc_records.csv");
  EXPECT_NE(records.find("\ntrajectory,t,channel,M\n0,"), std::string::npos) << records;
  EXPECT_EQ(records.find("\n3,"), std::string::npos) << "only trajectories 0..2 recorded";
}

TEST(CliJumpOutputs, MisuseIsRefusedNamingTheOption) {
  const std::string err = ::testing::TempDir() + "dc_jumps_bad.stderr";
  EXPECT_EQ(run("simulate -n 10 -q --counts-output x.csv", err), 2);
  EXPECT_NE(read_file(err).find("--counts-output"), std::string::npos) << read_file(err);
  EXPECT_EQ(run("simulate -n 10 -q --record-trajectories 2", err), 2);
  EXPECT_NE(read_file(err).find("--record-trajectories"), std::string::npos) << read_file(err);
  EXPECT_EQ(run("exact --observables F_em", err), 2);  // not a function of rho
  EXPECT_NE(read_file(err).find("F_em"), std::string::npos) << read_file(err);
}

TEST(CliJumpOutputs, HelpListsEveryRegisteredColumn) {
  const std::string err = ::testing::TempDir() + "dc_jumps_help.stderr";
  ASSERT_EQ(run("--help", err), 0);
  const std::string help = read_file(err + ".out");
  for (const char* name : {"sigma_B", "I_em", "I_abs", "N_em", "N_abs", "F_em", "dS_B_dt"})
    EXPECT_NE(help.find(std::string("  ") + name + " "), std::string::npos) << name;
}

}  // namespace
