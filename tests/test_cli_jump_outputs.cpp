// The jump-record outputs of the CLI: --counts-output and --jumps-output write
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

namespace {

using darkcharge::testing::csv_column;

// `exact --method product` computes the jump record's moments by full counting statistics
// (ExactOptions::counting). Against a fixed-seed simulate run of the same model: within 6
// of its errors (two-sided normal tail 2e-9 per check, 6 checks; F_em's jackknife error
// with 32 blocks: t_31 tail at 6 is ~1e-6). The coupled method refuses them, naming one.
TEST(CliJumpOutputs, ExactProductGivesTheJumpRecordMoments) {
  const std::string dir = ::testing::TempDir(), err = dir + "dc_exact_counts.stderr";
  const std::string model = " --nb 2 --nc 4 --nbar 0.5 --t-max 1 --points 3 -q --observables N_em,N_abs,F_em -o ";
  ASSERT_EQ(run("exact --method product" + model + dir + "dc_exact_counts.csv", err), 0) << read_file(err);
  ASSERT_EQ(run("simulate -n 20000 --seed 3" + model + dir + "dc_sim_counts.csv", err), 0) << read_file(err);
  const std::string exact = read_file(dir + "dc_exact_counts.csv"), sim = read_file(dir + "dc_sim_counts.csv");
  for (const char* name : {"N_em", "N_abs", "F_em"}) {
    const auto x = csv_column(exact, name), y = csv_column(sim, name),
               e = csv_column(sim, std::string(name) + "_err");
    ASSERT_EQ(x.size(), 3u) << name;
    ASSERT_EQ(y.size(), 3u) << name;
    EXPECT_GT(x[2], 1.0) << name << ": quanta move by t = 1";
    for (int g = 1; g < 3; ++g) EXPECT_NEAR(x[g], y[g], 6 * e[g]) << name << " row " << g;
  }
  EXPECT_EQ(run("exact --nb 2 --nc 4 --observables E_B,N_abs -o " + dir + "dc_no.csv", err), 2);
  EXPECT_NE(read_file(err).find("--observables: N_abs is computed exactly only by method product"), std::string::npos)
      << read_file(err);
}

}  // namespace
