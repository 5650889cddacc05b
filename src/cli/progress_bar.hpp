#pragma once
// A one-line progress indicator on standard error, for runs longer than half a second.
#include <chrono>
#include <string>

namespace darkcharge::cli {

class ProgressBar {
 public:
  ProgressBar(std::string label, bool enabled);
  ~ProgressBar();  // finishes the line if anything was drawn
  /// Redraws at most five times a second.
  void update(long done, long total);
  /// A new phase of the run (e.g. "estimate S_B"; "trajectories" returns to the first): counts
  /// (done, total) of that phase from now on, on a line of its own whose label names it.
  void phase(const std::string& name);

 private:
  using Clock = std::chrono::steady_clock;
  std::string base_, label_, shown_label_;  // shown: the label of the line on screen
  bool enabled_, drawn_ = false, phase_drawn_ = false;
  Clock::time_point run_start_, start_, last_;
};

}  // namespace darkcharge::cli
