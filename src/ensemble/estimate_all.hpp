#pragma once
// From folded blocks to results: every observable turns its blocks' sums into columns with
// errors (its own error method), then the peak features of the reported curves.
#include <string>
#include <vector>

#include "darkcharge/estimate/bounded_phase.hpp"
#include "darkcharge/run/ensemble_result.hpp"
#include "ensemble/block_folder.hpp"
#include "ensemble/trajectory_setup.hpp"

namespace darkcharge {

/// Columns and side outputs from the folded blocks (only the units making columns in
/// `only`, without peaks, when it is given). The costly estimates are phases of `bounds`:
/// they report progress, throw Interrupted once its stop flag is set, and leave the times
/// its time limit did not reach NaN with a note (bounds.cut() then says so; the peaks of
/// dS_B_dt are then not computed).
EnsembleResult estimate_all(const TrajectorySetup& setup, const BlockFolder& folder,
                            const PhaseBounds& bounds, const std::vector<std::string>* only = nullptr);

/// True when every target column's largest (non-NaN) error over the grid is within its bound
/// (the check is bounded by `bounds` as estimate_all is).
bool targets_met(const TrajectorySetup& setup, const BlockFolder& folder, const PhaseBounds& bounds);

}  // namespace darkcharge
