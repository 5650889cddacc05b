// The command-line tool as a user meets it: defaults run, bad input is rejected with a
// one-line message naming the argument, a non-zero exit code, and no output file.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <cmath>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "cli_process.hpp"
#include <sys/wait.h>

namespace {

using darkcharge::testing::read_file;

struct Result {
  int exit_code;
  std::string err;
};

Result run(const std::string& args) {
  static int calls = 0;  // one stderr file per call: ctest may run these tests in parallel
  const auto* test = ::testing::UnitTest::GetInstance()->current_test_info();
  const std::string err_file = ::testing::TempDir() + "darkcharge_" + test->name() + "_" +
                               std::to_string(++calls) + ".stderr";
  const std::string command =
      std::string(DARKCHARGE_BINARY) + " " + args + " > /dev/null 2> " + err_file;
  const int status = std::system(command.c_str());
  std::ifstream in(err_file);
  std::stringstream ss;
  ss << in.rdbuf();
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, ss.str()};
}

bool exists(const std::string& path) { return std::ifstream(path).good(); }

/// The numeric rows of a darkcharge CSV (comment and header lines skipped).
std::vector<std::vector<double>> csv_data_rows(std::istream& in) {
  std::vector<std::vector<double>> rows;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#' || line[0] == 't') continue;
    std::vector<double> row;
    std::istringstream cells(line);
    std::string cell;
    while (std::getline(cells, cell, ',')) row.push_back(std::strtod(cell.c_str(), nullptr));
    rows.push_back(row);
  }
  return rows;
}

TEST(Cli, DefaultSimulationRunsAndWritesCsvAndSummary) {
  const std::string csv = ::testing::TempDir() + "dc_default.csv";
  const std::string json = ::testing::TempDir() + "dc_default.json";
  const Result r = run("simulate --trajectories 200 -q -o " + csv + " --summary " + json);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::ifstream in(csv);
  std::string line, header;
  while (std::getline(in, line))
    if (line.rfind("t,", 0) == 0) header = line;
  EXPECT_EQ(header.rfind("t,E_B,E_B_err,E_C,E_C_err,P_B,P_B_err", 0), 0u) << header;
  EXPECT_TRUE(exists(json));
}

// Without --quiet, a run that wrote its CSV to a file says on standard error what it found:
// the model, the method, the last-time values with their units and errors, P_B^max, and the
// files. The default case is the exact cascade, so its values carry "(exact)"; at nbar > 0
// the default is the coupled-basis exact solver, with a note naming the estimate and budget.
TEST(Cli, RunToFileReportsHeadlineNumbersWithUnits) {
  const std::string csv = ::testing::TempDir() + "dc_report.csv";
  const Result exact = run("simulate -o " + csv);
  ASSERT_EQ(exact.exit_code, 0) << exact.err;
  for (const char* expected : {"N_B = 2, N_C = 10", "exact zero-temperature cascade", "E_B     =",
                               "[hbar omega]", "(exact)", "P_B^max", "wrote " })
    EXPECT_NE(exact.err.find(expected), std::string::npos) << expected << "\n" << exact.err;
  EXPECT_NE(exact.err.find(csv), std::string::npos) << exact.err;
  const Result warm = run("simulate --nbar 0.5 -o " + csv);
  ASSERT_EQ(warm.exit_code, 0) << warm.err;
  for (const char* expected : {"exact coupled-basis solver", "(exact)",
                               "sampling=exact: the coupled-basis exact solver",
                               "within the automatic budget of 120 s"})
    EXPECT_NE(warm.err.find(expected), std::string::npos) << expected << "\n" << warm.err;
  const Result sampled =
      run("simulate --nbar 0.5 --sampling trajectories --trajectories 500 --seed 2 -o " + csv);
  ASSERT_EQ(sampled.exit_code, 0) << sampled.err;
  EXPECT_NE(sampled.err.find("500 quantum trajectories, seed 2"), std::string::npos) << sampled.err;
  EXPECT_NE(sampled.err.find(" +- "), std::string::npos) << sampled.err;
  // --quiet and a CSV on standard output print no report.
  EXPECT_EQ(run("simulate -q -o " + csv).err, "");
  EXPECT_EQ(run("simulate").err.find("P_B^max"), std::string::npos);
}

TEST(Cli, ObservablesSelectColumnsAndStateFilesAreWritten) {
  const std::string dir = ::testing::TempDir();
  const Result r = run("simulate --nb 2 --nc 4 --trajectories 300 -q --observables E_B,S_B -o " +
                       dir + "dc_sel.csv --state-times 0,1 --state-output " + dir +
                       "dc_state.csv --joint-state-output " + dir + "dc_joint.csv " +
                       "--sectors-output " + dir + "dc_sectors.csv");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(read_file(dir + "dc_sel.csv").find("\nt,E_B,E_B_err,S_B,S_B_err\n"), std::string::npos);
  EXPECT_NE(read_file(dir + "dc_state.csv").find("t,j_B,m_B,population"), std::string::npos);
  EXPECT_NE(read_file(dir + "dc_joint.csv").find("t,j_B,M,m_B,m_B_prime,value"), std::string::npos);
  EXPECT_NE(read_file(dir + "dc_sectors.csv").find("J=3,J=3_err"), std::string::npos);
}

TEST(Cli, StateTimesBeyondTheRunAreRejected) {
  const Result r = run("simulate --t-max 1 --state-times 2 --state-output x.csv");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--state-times"), std::string::npos) << r.err;
}

TEST(Cli, ExactRuns) {
  EXPECT_EQ(run("exact --nb 1 --nc 2 --points 5").exit_code, 0);
  EXPECT_EQ(run("exact --nb 1 --nc 2 --points 5 --method product").exit_code, 0);
  EXPECT_EQ(run("exact --nb 1 --nc 2 --points 5 --method dense").exit_code, 2);
}

// Oversized exact runs are refused at once, with the size, the estimate and the option. The
// birth-death chains keep only their held pairs (~5 GiB here), so the memory refusal is
// asked for with a small --max-memory (the default run is refused on its time instead).
TEST(Cli, OversizedExactRunsAreRefusedBeforeWork) {
  const Result coupled = run("exact --nb 400 --nc 600 --nbar 0.1 --max-memory 1 -q");
  EXPECT_EQ(coupled.exit_code, 2);
  EXPECT_NE(coupled.err.find("GiB"), std::string::npos) << coupled.err;
  EXPECT_NE(coupled.err.find("--max-memory"), std::string::npos) << coupled.err;
  const Result slow = run("exact --nb 100 --nc 1000 --nbar 0 --t-max 0.3 --max-seconds 0.01 -q");
  EXPECT_EQ(slow.exit_code, 2);
  EXPECT_NE(slow.err.find("--max-seconds"), std::string::npos) << slow.err;
  const Result product = run("exact --nb 40 --nc 60 --method product -q");
  EXPECT_EQ(product.exit_code, 2);
  EXPECT_NE(product.err.find("--max-dimension"), std::string::npos) << product.err;
}

TEST(Cli, BadInputIsRejectedNamingTheArgument) {
  const std::string out = ::testing::TempDir() + "dc_bad.csv";
  const struct {
    const char* args;
    const char* must_mention;
  } cases[] = {
      {"--nb 0", "--nb"},           {"--nb -3", "--nb"},
      {"--nc 1.5", "--nc"},         {"--nbar -0.1", "--nbar"},
      {"--nbar nan", "--nbar"},     {"--nbar inf", "--nbar"},
      {"--temperature -1", "--temperature"},
      {"--t-max 0", "--t-max"},     {"--points 1", "--points"},
      {"--trajectories 0", "--trajectories"}, {"--threads 0", "--threads"},
      {"--gamma abc", "--gamma"},   {"--battery-init hot", "--battery-init"},
      {"--no-such-option 1", "--no-such-option"},
      {"--observables E_B,energy", "--observables"},
  };
  for (const auto& c : cases) {
    std::remove(out.c_str());
    const Result r = run(std::string("simulate ") + c.args + " -o " + out);
    EXPECT_TRUE(r.exit_code == 1 || r.exit_code == 2) << c.args << " exit " << r.exit_code;
    EXPECT_NE(r.err.find(c.must_mention), std::string::npos) << c.args << ": " << r.err;
    EXPECT_FALSE(exists(out)) << c.args << " left an output file";
  }
}

// --times: explicit output times (a tlist) in the rows, the header and the summary; the
// exact values at those times are those of an equally spaced run through the same times.
TEST(Cli, ExplicitOutputTimesAreTheRowsAndAreRecorded) {
  const std::string dir = ::testing::TempDir();
  const std::string sparse = dir + "dc_times.csv", dense = dir + "dc_times_dense.csv";
  // Not dS_B_dt: a finite difference on other times is another approximation.
  const std::string columns = " --observables E_B,E_C,P_B,dark,W_B,S_B";
  const Result r = run("exact --nb 2 --nc 6 --nbar 0.2 -q --times 0,0.05,0.1,1,2 -o " + sparse +
                       " --summary " + dir + "dc_times.json" + columns);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_EQ(run("exact --nb 2 --nc 6 --nbar 0.2 -q --t-max 2 --points 41 -o " + dense + columns).exit_code, 0);
  const std::string text = read_file(sparse);
  EXPECT_NE(text.find("times=0,0.05,0.1,1,2"), std::string::npos);
  EXPECT_NE(read_file(dir + "dc_times.json").find("\"times\""), std::string::npos);
  std::ifstream a(sparse), b(dense);
  const auto rows = csv_data_rows(a), all = csv_data_rows(b);
  ASSERT_EQ(rows.size(), 5u);
  const int same[] = {0, 1, 2, 20, 40};  // rows of the 41-point grid at those times
  for (int k = 0; k < 5; ++k) {
    EXPECT_NEAR(rows[k][0], all[same[k]][0], 1e-12);
    for (std::size_t c = 1; c < rows[k].size(); c += 2)  // every value column (errors are 0)
      EXPECT_NEAR(rows[k][c], all[same[k]][c], 1e-8) << "row " << k << " column " << c;
  }
}

TEST(Cli, BadExplicitTimesAreRefusedNamingTheOption) {
  const std::string out = ::testing::TempDir() + "dc_bad_times.csv";
  for (const char* args : {"--times 0.1,0.2", "--times 0,0.2,0.1", "--times 0", "--times 0,abc",
                           "--times 0,1 --t-max 2", "--times 0,1 --points 3"}) {
    std::remove(out.c_str());
    const Result r = run(std::string("simulate -q ") + args + " -o " + out);
    EXPECT_TRUE(r.exit_code == 1 || r.exit_code == 2) << args << " exit " << r.exit_code;
    EXPECT_NE(r.err.find("--times"), std::string::npos) << args << ": " << r.err;
    EXPECT_FALSE(exists(out)) << args << " left an output file";
  }
}

TEST(Cli, UnwritableOutputFailsBeforeRunning) {
  const Result r = run("simulate -o /nonexistent-dir/x.csv");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("/nonexistent-dir/x.csv"), std::string::npos) << r.err;
}

TEST(Cli, HelpTeaches) {
  EXPECT_EQ(run("--help").exit_code, 0);
  EXPECT_EQ(run("simulate --help").exit_code, 0);
}

// One option name per quantity in every subcommand, and files that say what made
// them. `steady` takes --temperature / --nbar as lists (plural spellings kept as aliases).
TEST(Cli, SteadyAcceptsTheSameOptionNamesAndSelectsColumns) {
  const std::string dir = ::testing::TempDir();
  const Result r = run("steady --nb 2 --nc 4 --temperature 0,1 --observables E_B,dE_B_dT -q "
                       "--summary " + dir + "dc_steady.json -o " + dir + "dc_steady.csv");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string csv = read_file(dir + "dc_steady.csv");
  EXPECT_NE(csv.find("\nT,nbar,E_B,E_B_err,dE_B_dT,dE_B_dT_err\n"), std::string::npos) << csv;
  EXPECT_NE(read_file(dir + "dc_steady.json").find("\"values\""), std::string::npos);
  EXPECT_EQ(run("steady --nbar 0.5 --temperatures 1").exit_code, 2);  // one or the other
  EXPECT_EQ(run("steady --nbar-values 0.1,0.2 -q").exit_code, 0);
  EXPECT_EQ(run("steady --observables P_B").exit_code, 2);  // not a steady-state column
}

TEST(Cli, EveryFileStartsWithCommandLineTimestampParametersAndErrorMethods) {
  const std::string dir = ::testing::TempDir();
  const std::string args = "simulate --nb 2 --nc 3 --sampling trajectories --trajectories 100 --points 3 -q -o " + dir +
                           "dc_h.csv --summary " + dir + "dc_h.json --state-times 1 " +
                           "--state-output " + dir + "dc_hs.csv --joint-state-output " + dir +
                           "dc_hj.csv --sectors-output " + dir + "dc_hsec.csv";
  ASSERT_EQ(run(args).exit_code, 0);
  for (const char* file : {"dc_h.csv", "dc_hs.csv", "dc_hj.csv", "dc_hsec.csv"}) {
    const std::string text = read_file(dir + file);
    EXPECT_EQ(text.rfind("# darkcharge ", 0), 0u) << file;
    EXPECT_NE(text.find("# command: darkcharge " + args), std::string::npos) << file;
    EXPECT_NE(text.find("# created: 20"), std::string::npos) << file;
    EXPECT_NE(text.find("# nb=2 nc=3 nbar=0"), std::string::npos) << file;
    EXPECT_NE(text.find("# errors:"), std::string::npos) << file;
  }
  const std::string csv = read_file(dir + "dc_h.csv");
  EXPECT_NE(csv.find("E_B=standard-error"), std::string::npos);
  EXPECT_NE(csv.find("W_B=jackknife"), std::string::npos);
  const std::string json = read_file(dir + "dc_h.json");
  for (const char* key : {"\"command_line\"", "\"created\"", "\"error_methods\"", "\"parameters\""})
    EXPECT_NE(json.find(key), std::string::npos) << key;
}

}  // namespace

// Local (single-spin) noise from the command line: `exact` runs the reduced Dicke-basis
// solver and reproduces the independent reference curve (tests/data/reference/
// local_nb3_nc12_nbar0.0.csv, written with 12 significant digits; our CSV has 10, so the
// comparison is to 1e-9); the rates are recorded in the header; bad rates and unsupported
// combinations are refused naming the option, with nothing written.
TEST(Cli, LocalNoiseExactMatchesTheReferenceCurve) {
  const std::string csv = ::testing::TempDir() + "dc_local.csv";
  std::remove(csv.c_str());
  const Result r = run("exact --nb 3 --nc 12 --nbar 0 --charger-decay 0.1 --battery-decay 0.3 "
                       "--battery-dephasing 0.5 --battery-init ground --t-max 3 --points 31 -q -o " + csv);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string out = read_file(csv);
  EXPECT_NE(out.find("local-noise: charger-decay=0.1 charger-pumping=0 charger-dephasing=0 "
                     "battery-decay=0.3 battery-pumping=0 battery-dephasing=0.5"),
            std::string::npos);
  std::ifstream ref(std::string(DARKCHARGE_GOLDEN_DIR) + "/../reference/local_nb3_nc12_nbar0.0.csv");
  ASSERT_TRUE(ref.good());
  // Data rows: t,E_B,E_C,W_B,S_B,dark,trace (reference) and t,E_B,E_B_err,E_C,... (ours).
  std::istringstream ours_text(out);
  const std::vector<std::vector<double>> ours = csv_data_rows(ours_text);
  ASSERT_EQ(ours.size(), 31u);
  int compared = 0;
  for (const auto& row : csv_data_rows(ref)) {
    const auto g = static_cast<std::size_t>(std::lround(row[0] * 10));
    ASSERT_LT(g, ours.size());
    // ours: t=0, E_B=1, E_C=3, dark=9, W_B=11, S_B=15
    EXPECT_NEAR(ours[g][1], row[1], 1e-9) << "E_B at t=" << row[0];
    EXPECT_NEAR(ours[g][3], row[2], 1e-9) << "E_C at t=" << row[0];
    EXPECT_NEAR(ours[g][11], row[3], 1e-9) << "W_B at t=" << row[0];
    EXPECT_NEAR(ours[g][15], row[4], 1e-9) << "S_B at t=" << row[0];
    EXPECT_NEAR(ours[g][9], row[5], 1e-9) << "dark at t=" << row[0];
    ++compared;
  }
  EXPECT_EQ(compared, 31);
}

TEST(Cli, LocalNoiseBadInputIsRefusedNamingTheOption) {
  const std::string csv = ::testing::TempDir() + "dc_local_bad.csv";
  std::remove(csv.c_str());
  const std::string checkpoint = ::testing::TempDir() + "dc_local_bad.ckpt";
  const struct {
    std::string args;
    const char* must_mention;
  } cases[] = {
      {"exact --battery-decay -1", "--battery-decay"},
      {"exact --local-dephasing nan", "--local-dephasing"},
      {"exact --charger-pumping inf", "--charger-pumping"},
      {"exact --method product --local-decay 0.1", "--method product"},
      {"simulate --local-decay 0.1 --sampling trajectories -n 1 --checkpoint " + checkpoint, "trajectories"},
      {"steady --local-dephasing 0.1", "not unique"},
  };
  for (const auto& c : cases) {
    const Result r = run(c.args + " --nb 2 --nc 4 -q -o " + csv);
    EXPECT_EQ(r.exit_code, 2) << c.args << ": " << r.err;
    EXPECT_NE(r.err.find(c.must_mention), std::string::npos) << c.args << ": " << r.err;
    EXPECT_FALSE(exists(csv)) << c.args;
    EXPECT_FALSE(exists(checkpoint)) << c.args;
  }
}

// `simulate` with local noise runs the local-noise trajectories: the linear columns, W_B,
// W_B_sym and sigma_B with errors, the note saying what is not computed, the rates in the header.
TEST(Cli, LocalNoiseSimulateRunsTrajectories) {
  const std::string csv = ::testing::TempDir() + "dc_local_sim.csv";
  std::remove(csv.c_str());
  const Result r = run("simulate --nb 2 --nc 4 --local-decay 0.1 --battery-dephasing 0.2 "
                       "--battery-init ground -n 400 --t-max 1 --points 11 --sampling trajectories "
                       "-q -o " + csv);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string out = read_file(csv);
  EXPECT_NE(out.find("local-noise trajectories"), std::string::npos);
  EXPECT_NE(out.find("battery-dephasing=0.2"), std::string::npos);
  EXPECT_NE(out.find("t,E_B,E_B_err,E_C,E_C_err,P_B,P_B_err,W_open,W_open_err,dark,dark_err,"
                     "W_B,W_B_err,W_B_sym,W_B_sym_err,sigma_B,sigma_B_err,I_em,I_em_err,I_abs,"
                     "I_abs_err"),
            std::string::npos);
  EXPECT_EQ(out.find(",S_B,"), std::string::npos);  // not in the default columns
  // On request: S_B and dS_B_dt from the trajectories, finite, with errors (their agreement
  // with `exact` is tests/test_local_entanglement.cpp).
  std::remove(csv.c_str());
  const Result s = run("simulate --nb 2 --nc 4 --local-decay 0.1 --battery-dephasing 0.2 "
                       "--battery-init ground -n 400 --t-max 1 --points 11 --sampling trajectories "
                       "--observables E_B,S_B,dS_B_dt -q -o " + csv);
  ASSERT_EQ(s.exit_code, 0) << s.err;
  const std::string with = read_file(csv);
  EXPECT_NE(with.find("t,E_B,E_B_err,S_B,S_B_err,dS_B_dt,dS_B_dt_err"), std::string::npos) << with;
  EXPECT_EQ(with.find("nan"), std::string::npos) << with;
}

// --sampling auto with local noise: a tiny case takes the exact reduced Dicke-basis solver
// (a note says so and gives the estimate; E_B, W_B are `exact`'s to the CSV's 10 digits,
// errors 0) and `--sampling trajectories` samples; N_em, N_abs, F_em (on request) come from
// the trajectories.
TEST(Cli, LocalNoiseAutoTakesTheExactSolverWhenCheap) {
  const std::string sim = ::testing::TempDir() + "dc_local_auto.csv";
  const std::string ex = ::testing::TempDir() + "dc_local_auto_exact.csv";
  const std::string common = "--nb 2 --nc 3 --nbar 0.1 --local-decay 0.1 --local-dephasing 0.2 "
                             "--battery-init ground --t-max 1 --points 6 -q ";
  Result r = run("simulate " + common + "--observables E_B,W_B -o " + sim);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string out = read_file(sim);
  EXPECT_NE(out.find("sampling=exact: the reduced Dicke-basis solver"), std::string::npos) << out;
  r = run("exact " + common + "--observables E_B,W_B -o " + ex);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::istringstream sim_text(out), ex_text(read_file(ex));
  const auto a = csv_data_rows(sim_text), b = csv_data_rows(ex_text);
  ASSERT_EQ(a.size(), 6u);
  ASSERT_EQ(b.size(), 6u);
  for (std::size_t g = 0; g < a.size(); ++g)
    for (std::size_t k = 0; k < a[g].size(); ++k) EXPECT_EQ(a[g][k], b[g][k]) << g << "," << k;
  r = run("simulate " + common + "--observables E_B,N_em,N_abs,F_em -n 200 -o " + sim);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  out = read_file(sim);
  EXPECT_NE(out.find("t,E_B,E_B_err,N_em,N_em_err,N_abs,N_abs_err,F_em,F_em_err"), std::string::npos) << out;
  EXPECT_NE(out.find("local-noise trajectories"), std::string::npos);
  r = run("simulate " + common + "--observables E_B --sampling trajectories -n 200 -o " + sim);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  out = read_file(sim);
  EXPECT_EQ(out.find("sampling=exact"), std::string::npos);
  EXPECT_NE(out.find("local-noise trajectories"), std::string::npos);
}
