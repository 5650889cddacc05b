#pragma once
/// @file bounded_phase.hpp
/// What bounds the work after a run's trajectories (the estimate: jackknives over blocks,
/// peaks, target-error checks), shared by the collective and the local-noise paths: the stop
/// flag (Ctrl-C), the time limit and progress. The costly estimates run one output time at a
/// time through for_each_time(), which reports (times done, points) under a phase name,
/// skips the times the time limit leaves (their values NaN, noted by note_time_limit) and,
/// once the stop flag is set, skips the rest and throws Interrupted after the parallel loop.
#include <atomic>
#include <chrono>
#include <functional>
#include <string>

#include <omp.h>

#include "darkcharge/core/errors.hpp"
#include "darkcharge/core/progress.hpp"
#include "darkcharge/estimate/time_series.hpp"

namespace darkcharge {

/// The bounds of a phase. Not copyable: its "cut" flag is shared by the loops it bounds.
class PhaseBounds {
 public:
  using Clock = std::chrono::steady_clock;
  /// Unbounded and silent.
  PhaseBounds() = default;
  /// `stop`: set to stop (may be null); the time limit (0: none) counts from `start`.
  PhaseBounds(const std::atomic<bool>* stop, double time_limit, Clock::time_point start,
              ProgressCallback progress = {}, PhaseCallback on_phase = {});
  PhaseBounds(const PhaseBounds&) = delete;
  PhaseBounds& operator=(const PhaseBounds&) = delete;

  bool stopped() const { return stop_ && stop_->load(); }
  /// Throws Interrupted("<what> stopped") once the stop flag is set.
  void check_stop(const std::string& what) const;
  /// Whether the time limit has passed; once true it stays true (and cut() says so).
  bool out_of_time() const;
  /// Whether out_of_time() was ever true: some estimate was left unfinished.
  bool cut() const { return cut_.load(); }
  /// Names the phase that starts (to the front end's callback).
  void begin(const std::string& phase) const;
  /// (done, total) of the current phase, to the front end's callback.
  void report(long done, long total) const;
  const ProgressCallback& progress() const { return progress_; }

 private:
  const std::atomic<bool>* stop_ = nullptr;
  double time_limit_ = 0;
  Clock::time_point start_{};
  ProgressCallback progress_;
  PhaseCallback on_phase_;
  mutable std::atomic<bool> cut_{false};
};

/// Runs `body(g)` for every output time g in [0, points) in parallel, each time on its own
/// (the same numbers for any thread count), as phase `phase` of `bounds`: reports (times
/// done, points); a time not started when the time limit passes gets `skip(g)` instead
/// (which sets its values NaN); once the stop flag is set the remaining times are skipped
/// and Interrupted("<phase> stopped") is thrown after the loop. Returns the times done.
template <class Body, class Skip>
long for_each_time(int points, const PhaseBounds& bounds, const std::string& phase, Body body,
                   Skip skip) {
  bounds.begin(phase);
  std::atomic<long> done{0}, reported{-1};
#pragma omp parallel for schedule(dynamic, 1)
  for (int g = 0; g < points; ++g) {
    if (bounds.stopped()) continue;  // thrown below, after the loop
    if (bounds.out_of_time()) {
      skip(g);
      continue;
    }
    body(g);
    const long now = ++done;
    if (omp_get_thread_num() == 0) {  // one thread at a time reports
      bounds.report(now, points);
      reported = now;
    }
  }
  bounds.check_stop(phase);
  // The phase's last count, when thread 0 did not report it (other threads took the last
  // times, or all of them).
  if (reported.load() != done.load()) bounds.report(done.load(), points);
  return done.load();
}

/// Says in `column`'s note at how many of its `points` times the time limit left it
/// unestimated (NaN); nothing when all `estimated`.
void note_time_limit(Column& column, long estimated, int points);

}  // namespace darkcharge
