#include "ensemble/run_bounds.hpp"

namespace darkcharge {

PhaseBounds run_bounds(const EnsembleOptions& options, const ProgressCallback& progress) {
  return PhaseBounds(options.stop, options.time_limit, PhaseBounds::Clock::now(), progress,
                     options.on_phase);
}

void note_estimate_cut(const PhaseBounds& bounds, EnsembleResult& result) {
  if (!bounds.cut() || result.stop_reason == "time-limit") return;
  result.stop_reason = "time-limit";
  result.notes.push_back("the time limit ended the estimate after the trajectories: the columns it "
                         "bounds (W_B, W_B_sym, S_B, dS_B_dt) are NaN at the times it did not reach "
                         "(their notes say how many)");
}

}  // namespace darkcharge
