#pragma once
// From folded blocks to results: every observable turns its blocks' sums into columns with
// errors (its own error method), then the peak features of the reported curves.
#include <string>
#include <vector>

#include "darkcharge/run/ensemble_result.hpp"
#include "ensemble/block_folder.hpp"
#include "ensemble/trajectory_setup.hpp"

namespace darkcharge {

/// Columns and side outputs from the folded blocks (only the units making columns in
/// `only`, without peaks, when it is given).
EnsembleResult estimate_all(const TrajectorySetup& setup, const BlockFolder& folder,
                            const std::vector<std::string>* only = nullptr);

/// True when every target column's largest (non-NaN) error over the grid is within its bound.
bool targets_met(const TrajectorySetup& setup, const BlockFolder& folder);

}  // namespace darkcharge
