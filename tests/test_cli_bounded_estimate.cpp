// The estimate after the trajectories (W_B, S_B: jackknives over blocks) is a phase of the
// run of its own: the progress bar names it, the first Ctrl-C stops it with the checkpoint
// kept, and the time limit (which covers the whole run, on the collective and the local-noise
// paths alike) leaves the times it did not reach NaN with a note, stop reason time-limit, the
// checkpoint kept to resume.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <initializer_list>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <signal.h>

#include "cli_process.hpp"

namespace {

using namespace darkcharge::testing;

/// Trajectories ~0.3 s, the S_B estimate ~2.5 s of CPU on one core (Release; 4.5 s at 101
/// points, measured): N_B = 12 gives (j_B, M) blocks up to 13 x 13, 32 blocks 101 subsets
/// per time.
const std::vector<std::string> kRun = {"simulate", "--nb", "12", "--nc", "24", "--nbar", "0.2",
                                       "-n", "640", "--points", "51", "--seed", "3",
                                       "--sampling", "trajectories", "--threads", "1",
                                       "--observables", "E_B,W_B,S_B,dS_B_dt"};

/// Whether every value is NaN (a column the time limit left unestimated).
bool all_nan(const std::vector<double>& values) {
  return std::all_of(values.begin(), values.end(), [](double v) { return std::isnan(v); });
}

/// The column note of an estimate the time limit ended before the first of its `points` times.
std::string cut_note(int points) {
  return "The time limit ended this estimate: NaN at the " + std::to_string(points) + " of " +
         std::to_string(points) + " times not estimated.";
}

/// A run's CSV `text` whose estimate the time limit ended before the first of its `points`
/// times: stop=time-limit, the note, every one of `columns` NaN.
void expect_estimate_cut(const std::string& text, std::initializer_list<const char*> columns, int points) {
  EXPECT_NE(text.find("stop=time-limit"), std::string::npos) << text;
  EXPECT_NE(text.find(cut_note(points)), std::string::npos) << text;
  for (const char* name : columns) {
    const auto values = csv_column(text, name);
    ASSERT_EQ(values.size(), std::size_t(points)) << name;
    EXPECT_TRUE(all_nan(values)) << name;
  }
}

/// The run in `dir` stopped by its time limit kept its checkpoint run.ck; resuming it without
/// a limit writes part.csv with the data rows of the uninterrupted full.csv, and removes it.
void expect_resume_completes(const TemporaryDirectory& dir) {
  EXPECT_TRUE(file_exists(dir / "run.ck")) << "a run stopped by its time limit keeps its checkpoint";
  const ProcessResult resumed =
      run_darkcharge({"resume", "run.ck", "--time-limit", "0", "-q"}, dir.path(), 300);
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  EXPECT_EQ(data_rows(read_file(dir / "part.csv")), data_rows(read_file(dir / "full.csv")));
  EXPECT_FALSE(file_exists(dir / "run.ck"));
}

// Ctrl-C once the progress bar shows the S_B estimate: exit 130 within a small part of what
// the estimate takes, the checkpoint (every unit: the trajectories were done) written, no
// output; the bar named the phase; resuming with a 1 ns time limit runs no trajectory and
// cuts the estimate at once: W_B, S_B, dS_B_dt NaN at every time with the note, E_B that of
// the uninterrupted run, stop=time-limit, exit 0 as for any time-limit stop, checkpoint
// kept; resuming without a limit gives the uninterrupted run's bytes.
TEST(CliBoundedEstimate, CtrlCAndTheTimeLimitStopTheEstimateWithTheCheckpoint) {
  TemporaryDirectory dir;
  const auto t0 = std::chrono::steady_clock::now();
  const ProcessResult full = run_darkcharge(with(kRun, {"-q", "-o", "full.csv"}), dir.path(), 300);
  ASSERT_EQ(full.exit_code, 0) << full.err;
  const double full_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  double signalled_at = -1;
  const ProcessResult stopped = run_darkcharge(
      with(kRun, {"-o", "part.csv", "--checkpoint", "run.ck", "--checkpoint-every", "100000"}),
      dir.path(), 300, [&](pid_t pid) {
        // The bar draws a phase from 0.5 s into it: the estimate is then under way.
        if (!wait_for_stderr(pid, dir.path(), "simulate: estimate S_B [", 200)) return;
        signalled_at = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        ::kill(pid, SIGINT);
      });
  ASSERT_GT(signalled_at, 0) << "no progress line named the S_B estimate: " << stopped.err;
  EXPECT_EQ(stopped.exit_code, 130) << stopped.err;
  EXPECT_NE(stopped.err.find("simulate: estimate S_B ["), std::string::npos) << stopped.err;
  EXPECT_NE(stopped.err.find("resume with: darkcharge resume run.ck"), std::string::npos) << stopped.err;
  // Promptly: one time's S_B is ~1% of the estimate; allow a quarter of the whole run.
  const double after_signal =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() - signalled_at;
  EXPECT_LT(after_signal, 0.25 * full_seconds + 0.5) << "full run " << full_seconds << " s";
  EXPECT_TRUE(file_exists(dir / "run.ck"));
  EXPECT_FALSE(file_exists(dir / "part.csv"));
  EXPECT_TRUE(temporary_files_in(dir.path()).empty());

  const ProcessResult cut =
      run_darkcharge({"resume", "run.ck", "--time-limit", "1e-9", "-q"}, dir.path(), 300);
  ASSERT_EQ(cut.exit_code, 0) << cut.err;
  const std::string text = read_file(dir / "part.csv");
  expect_estimate_cut(text, {"W_B", "S_B", "dS_B_dt"}, 51);
  EXPECT_EQ(csv_column(text, "E_B"), csv_column(read_file(dir / "full.csv"), "E_B"));
  expect_resume_completes(dir);
}

// Local noise: a time limit the trajectories use up (0.3 s of the ~1 s of one core that the
// 60000 trajectories take here, Release, measured) leaves no time for the estimate after
// them: W_B and S_B NaN at every time with the note, E_B finite, stop=time-limit, exit 0,
// checkpoint kept; resuming without a limit runs the rest and gives the uninterrupted run's
// bytes.
TEST(CliBoundedEstimate, LocalNoiseTimeLimitCoversTheEstimateAndResumes) {
  TemporaryDirectory dir;
  const std::vector<std::string> run = {
      "simulate", "--nb", "4", "--nc", "8", "--nbar", "0.2", "--local-dephasing", "0.1",
      "-n", "60000", "--points", "21", "--seed", "3", "--sampling", "trajectories",
      "--threads", "1", "--observables", "E_B,W_B,S_B", "-q"};
  const ProcessResult full = run_darkcharge(with(run, {"-o", "full.csv"}), dir.path(), 300);
  ASSERT_EQ(full.exit_code, 0) << full.err;

  const ProcessResult cut = run_darkcharge(
      with(run, {"-o", "part.csv", "--time-limit", "0.3", "--checkpoint", "run.ck"}), dir.path(), 300);
  ASSERT_EQ(cut.exit_code, 0) << cut.err;
  const std::string text = read_file(dir / "part.csv");
  expect_estimate_cut(text, {"W_B", "S_B"}, 21);
  const auto energy = csv_column(text, "E_B");
  ASSERT_EQ(energy.size(), 21u);
  EXPECT_FALSE(std::any_of(energy.begin(), energy.end(), [](double v) { return std::isnan(v); }));
  expect_resume_completes(dir);
}

}  // namespace
