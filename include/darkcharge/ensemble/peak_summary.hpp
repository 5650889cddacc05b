#pragma once
/// @file peak_summary.hpp
/// The peak features of a run's curves (paper Fig. 2e and Fig. 5): P_B^max, the largest
/// interior maximum of dS_B/dt, their times and lag, with jackknife errors when replicates
/// are given (peak_features.hpp).
#include <vector>

#include "darkcharge/core/time_grid.hpp"
#include "darkcharge/estimate/time_series.hpp"
#include "darkcharge/run/ensemble_result.hpp"

namespace darkcharge {

/// Peak features of the reported curves, with the reasons for any NaN. `rate` (dS_B/dt) and
/// its replicates may be null: S_B was not computed.
PeakSummary peaks_with_errors(const TimeGrid& grid, const std::vector<double>& power,
                              const std::vector<std::vector<double>>& power_replicates,
                              const std::vector<double>* rate,
                              const std::vector<std::vector<double>>* rate_replicates);

/// The peak features of a curve set without errors (for exact results).
PeakSummary peak_summary(const TimeSeries& series, const TimeGrid& grid);

}  // namespace darkcharge
