#include "progress_bar.hpp"

#include <cstdio>

#include <fmt/format.h>

namespace darkcharge::cli {

ProgressBar::ProgressBar(std::string label, bool enabled)
    : base_(label), label_(std::move(label)), enabled_(enabled), run_start_(Clock::now()), start_(run_start_), last_(start_) {}

ProgressBar::~ProgressBar() {
  if (drawn_) std::fputc('\n', stderr);
}

void ProgressBar::phase(const std::string& name) {
  if (!enabled_) return;
  // Back to the trajectories (after a target check), their own start keeps the estimate of
  // time left right. The line on screen is ended only when another label draws: short
  // phases (target checks) leave no line.
  label_ = name == "trajectories" ? base_ : base_ + ": " + name;
  start_ = name == "trajectories" ? run_start_ : Clock::now();
  last_ = Clock::now();
  phase_drawn_ = drawn_ && shown_label_ == label_;
}

void ProgressBar::update(long done, long total) {
  if (!enabled_) return;
  const auto now = Clock::now();
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const bool finished = done >= total;
  if (elapsed < 0.5 || (!finished && now - last_ < std::chrono::milliseconds(200))) return;
  if (finished && !phase_drawn_) return;
  last_ = now;
  if (drawn_ && shown_label_ != label_) std::fputc('\n', stderr);  // a new phase: a new line
  const double fraction = total > 0 ? double(done) / total : 1.0;
  const int width = 30, filled = static_cast<int>(fraction * width);
  const double left = fraction > 0 ? elapsed * (1 - fraction) / fraction : 0.0;
  fmt::print(stderr, "\r{} [{}{}] {:3.0f}% {}/{}  {:.1f} s elapsed, ~{:.1f} s left ", label_,
             std::string(filled, '#'), std::string(width - filled, '.'), 100 * fraction, done,
             total, elapsed, left);
  std::fflush(stderr);
  drawn_ = phase_drawn_ = true;
  shown_label_ = label_;
}

}  // namespace darkcharge::cli
