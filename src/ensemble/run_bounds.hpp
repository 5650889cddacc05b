#pragma once
// The bounds of a whole trajectory run, one meaning on both trajectory paths (collective and
// local noise): Ctrl-C and the time limit, counted from the run's start, cover the
// trajectories, the target-error checks between rounds and the estimate after them (W_B,
// W_B_sym, S_B, dS_B_dt: the costly part, NaN at the times the limit left).
#include "darkcharge/core/progress.hpp"
#include "darkcharge/estimate/bounded_phase.hpp"
#include "darkcharge/run/ensemble_result.hpp"
#include "darkcharge/run/run_options.hpp"

namespace darkcharge {

/// options.stop and options.time_limit from now (call it at the run's start), with the
/// run's progress and options.on_phase.
PhaseBounds run_bounds(const EnsembleOptions& options, const ProgressCallback& progress);

/// After the estimate: when the time limit passed during it (the trajectories had finished
/// or met their targets first), the stop reason becomes "time-limit" and a note says which
/// columns it left NaN.
void note_estimate_cut(const PhaseBounds& bounds, EnsembleResult& result);

}  // namespace darkcharge
