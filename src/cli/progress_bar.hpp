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

 private:
  using Clock = std::chrono::steady_clock;
  std::string label_;
  bool enabled_, drawn_ = false;
  Clock::time_point start_, last_;
};

}  // namespace darkcharge::cli
