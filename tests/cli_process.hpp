#pragma once
// Runs the darkcharge binary as a child process in a directory of the test's own, with a
// time limit, and gives back how it ended and what it printed. Used by the CLI safety and
// fuzz tests (signals are sent to the child through `during`).
#include <functional>
#include <string>
#include <vector>

#include <sys/types.h>

namespace darkcharge::testing {

struct ProcessResult {
  bool timed_out = false;
  bool exited = false;  // false: killed by a signal (or timed out)
  int exit_code = -1;
  int signal = 0;
  std::string out, err;
  double seconds = 0;
};

/// Runs DARKCHARGE_BINARY with `args` in `directory`; standard output and error go to files
/// there (read back, then removed). `during(pid)` runs while the child is alive. The child
/// is killed (SIGKILL) after `timeout_seconds`.
ProcessResult run_darkcharge(const std::vector<std::string>& args, const std::string& directory,
                             double timeout_seconds = 60,
                             const std::function<void(pid_t)>& during = {});

/// A fresh directory under the test temporary directory, removed by the destructor.
class TemporaryDirectory {
 public:
  TemporaryDirectory();
  ~TemporaryDirectory();
  TemporaryDirectory(const TemporaryDirectory&) = delete;
  TemporaryDirectory& operator=(const TemporaryDirectory&) = delete;
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

/// Names of the entries of `directory` that contain ".tmp" (left-over temporary files).
std::vector<std::string> temporary_files_in(const std::string& directory);

bool file_exists(const std::string& path);
std::string read_file(const std::string& path);
/// The header and data rows of a darkcharge CSV's text, without its '#' metadata lines
/// (they name the command line, time, threads and ranks, which legitimately differ).
std::string data_rows(const std::string& text);
/// Column `name` of a darkcharge CSV's data rows (the text after its '#' lines), parsed as
/// numbers ("nan" gives NaN); empty when there is no such column.
std::vector<double> csv_column(const std::string& text, const std::string& name);
/// Whether the error stream of a run_darkcharge child running in `directory` (its
/// ".process*.stderr" file) holds `text`: polled while the child `pid` lives, for up to
/// `seconds` (for a `during` callback that waits for a progress line).
bool wait_for_stderr(pid_t pid, const std::string& directory, const std::string& text, double seconds);
/// A run that would take about half an hour (~8e3 jumps per trajectory at nbar = 50, 1e6
/// trajectories): anything refused "before running" must come back in seconds.
/// --t-max 2: the default grid follows the system's time scale (time_scale.hpp), which at
/// nbar = 50 would make this run short; the tests need a run that is long if it starts.
/// --sampling trajectories: --sampling auto computes this small system exactly, at once.
inline const std::vector<std::string> kLongRun = {
    "simulate", "--nbar", "50", "-n", "1000000", "-q", "--max-cpu-hours", "1000",
    "--t-max", "2", "--sampling", "trajectories"};

/// `base` followed by `more` (argument vectors built from a common prefix).
std::vector<std::string> with(std::vector<std::string> base, const std::vector<std::string>& more);

}  // namespace darkcharge::testing
