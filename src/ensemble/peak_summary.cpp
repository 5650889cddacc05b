#include "darkcharge/ensemble/peak_summary.hpp"

#include <cmath>
#include <limits>

#include "darkcharge/estimate/jackknife.hpp"
#include "darkcharge/estimate/peak_features.hpp"

namespace darkcharge {

/// Peak features of the reported curves (peak_features.hpp), with the reasons for any NaN.
PeakSummary peaks_with_errors(const TimeGrid& grid, const std::vector<double>& power,
                              const std::vector<std::vector<double>>& power_replicates,
                              const std::vector<double>* rate,
                              const std::vector<std::vector<double>>* rate_replicates) {
  PeakSummary p;
  const PeakFeature power_peak = peak_feature(power, power_replicates, grid, PeakKind::global);
  p.power_max = power_peak.value;
  p.power_max_time = power_peak.time;
  p.power_note = power_peak.unresolved;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  if (!rate) {
    p.entanglement_rate_max = p.entanglement_rate_max_time = p.lag = {nan, nan};
    p.entanglement_note = "S_B not computed";
    return p;
  }
  const PeakFeature rate_peak =
      peak_feature(*rate, *rate_replicates, grid, PeakKind::largest_interior);
  p.entanglement_rate_max = rate_peak.value;
  p.entanglement_rate_max_time = rate_peak.time;
  p.entanglement_note = rate_peak.unresolved;
  // The lag's error from the replicates' own differences: both peak times are measured on
  // the same trajectories, so their errors are correlated.
  std::vector<double> lags;
  for (std::size_t b = 0; b < rate_peak.leave_one_out_time.size(); ++b)
    if (b < power_peak.leave_one_out_time.size())
      lags.push_back(rate_peak.leave_one_out_time[b] - power_peak.leave_one_out_time[b]);
  p.lag = jackknife_spread(rate_peak.time.value - power_peak.time.value, lags);
  if (std::isnan(p.lag.value)) p.lag.error = nan;
  return p;
}

PeakSummary peak_summary(const TimeSeries& series, const TimeGrid& grid) {
  const std::vector<double>& power = series.column("P_B").value;
  if (!series.has("dS_B_dt")) return peaks_with_errors(grid, power, {}, nullptr, nullptr);
  const std::vector<std::vector<double>> none;
  return peaks_with_errors(grid, power, {}, &series.column("dS_B_dt").value, &none);
}

}  // namespace darkcharge
