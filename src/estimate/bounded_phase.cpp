#include "darkcharge/estimate/bounded_phase.hpp"

#include <utility>

#include <fmt/format.h>

namespace darkcharge {

PhaseBounds::PhaseBounds(const std::atomic<bool>* stop, double time_limit, Clock::time_point start,
                         ProgressCallback progress, PhaseCallback on_phase)
    : stop_(stop), time_limit_(time_limit), start_(start), progress_(std::move(progress)),
      on_phase_(std::move(on_phase)) {}

void PhaseBounds::check_stop(const std::string& what) const {
  if (stopped()) throw Interrupted(what + " stopped");
}

bool PhaseBounds::out_of_time() const {
  if (time_limit_ > 0 && !cut_.load() &&
      std::chrono::duration<double>(Clock::now() - start_).count() > time_limit_)
    cut_ = true;
  return cut_.load();
}

void PhaseBounds::begin(const std::string& phase) const {
  if (on_phase_) on_phase_(phase);
}

void PhaseBounds::report(long done, long total) const {
  if (progress_) progress_(done, total);
}

void note_time_limit(Column& column, long estimated, int points) {
  if (estimated >= points) return;
  column.note += fmt::format("{}The time limit ended this estimate: NaN at the {} of {} times not "
                             "estimated.", column.note.empty() ? "" : " ", points - estimated, points);
}

}  // namespace darkcharge
