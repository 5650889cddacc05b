// The estimate after the collective trajectories (W_B, S_B: jackknives over blocks) is a
// phase of the run of its own: the progress bar names it, the first Ctrl-C stops it with the
// checkpoint kept, and the time limit (which covers the whole run) leaves the times it did
// not reach NaN with a note, stop reason time-limit, the checkpoint kept to resume.
#include <chrono>
#include <filesystem>
#include <sstream>
#include <string>
#include <thread>
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

/// Whether the child `pid` has exited (a zombie until run_darkcharge reaps it).
bool exited(pid_t pid) {
  const std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  const auto close = stat.rfind(')');
  return close == std::string::npos || stat.compare(close, 4, ") Z ") == 0;
}

/// Whether any ".process*.stderr" file in `dir` holds `text` (the child's error stream,
/// cli_process.cpp), polled while the child runs, for up to `seconds`.
bool wait_for_stderr(pid_t pid, const std::string& dir, const std::string& text, double seconds) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < until && !exited(pid)) {
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
      const std::string name = entry.path().filename().string();
      if (name.rfind(".process", 0) == 0 && name.find(".stderr") != std::string::npos &&
          read_file(entry.path().string()).find(text) != std::string::npos)
        return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

/// The values of column `name` in the data rows of a darkcharge CSV's text.
std::vector<std::string> column_values(const std::string& text, const std::string& name) {
  std::istringstream rows(data_rows(text));
  std::string line, cell;
  std::getline(rows, line);
  std::istringstream header(line);
  int index = -1;
  for (int i = 0; std::getline(header, cell, ','); ++i)
    if (cell == name) index = i;
  std::vector<std::string> out;
  while (std::getline(rows, line)) {
    std::istringstream row(line);
    for (int i = 0; std::getline(row, cell, ','); ++i)
      if (i == index) out.push_back(cell);
  }
  return out;
}

bool is_nan(const std::string& cell) { return cell == "nan" || cell == "NaN" || cell == "-nan"; }

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
  EXPECT_NE(text.find("stop=time-limit"), std::string::npos) << text;
  EXPECT_NE(text.find("The time limit ended this estimate: NaN at the 51 of 51 times not estimated."),
            std::string::npos) << text;
  for (const char* name : {"W_B", "S_B", "dS_B_dt"}) {
    const auto values = column_values(text, name);
    ASSERT_EQ(values.size(), 51u) << name;
    for (const auto& v : values) EXPECT_TRUE(is_nan(v)) << name << " = " << v;
  }
  EXPECT_EQ(column_values(text, "E_B"), column_values(read_file(dir / "full.csv"), "E_B"));
  EXPECT_TRUE(file_exists(dir / "run.ck")) << "a run stopped by its time limit keeps its checkpoint";

  const ProcessResult resumed =
      run_darkcharge({"resume", "run.ck", "--time-limit", "0", "-q"}, dir.path(), 300);
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  EXPECT_EQ(data_rows(read_file(dir / "part.csv")), data_rows(read_file(dir / "full.csv")));
  EXPECT_FALSE(file_exists(dir / "run.ck"));
}

}  // namespace
