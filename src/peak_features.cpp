#include "darkcharge/peak_features.hpp"

#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "darkcharge/curve_features.hpp"

namespace darkcharge {
namespace {

constexpr double kMaxDisagreement = 0.10;  // fraction of pseudo-samples allowed elsewhere

/// Grid index of the peak of y (global maximum or largest interior local maximum), -1 if
/// there is no interior local maximum.
int peak_index(const std::vector<double>& y, PeakKind kind) {
  const int n = static_cast<int>(y.size());
  int best = -1;
  for (int i = 0; i < n; ++i) {
    const bool candidate =
        kind == PeakKind::global || (i > 0 && i + 1 < n && y[i] > y[i - 1] && y[i] >= y[i + 1]);
    if (candidate && (best < 0 || y[i] > y[best])) best = i;
  }
  return best;
}

/// [first, last] grid indices of the basin of the maximum at i: downhill on both sides
/// until the curve turns up again.
std::pair<int, int> basin(const std::vector<double>& y, int i) {
  int first = i, last = i;
  while (first > 0 && y[first - 1] <= y[first]) --first;
  while (last + 1 < static_cast<int>(y.size()) && y[last + 1] <= y[last]) ++last;
  return {first, last};
}

/// The maximum of y inside [first, last], parabola-refined.
Peak peak_in(const std::vector<double>& y, const TimeGrid& grid, std::pair<int, int> range) {
  int best = range.first;
  for (int i = range.first + 1; i <= range.second; ++i)
    if (y[i] > y[best]) best = i;
  return parabola_peak(y, grid, best);
}

PeakFeature unresolved(std::string reason) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  return {{nan, nan}, {nan, nan}, std::move(reason), {}};
}

}  // namespace

PeakFeature peak_feature(const std::vector<double>& curve,
                         const std::vector<std::vector<double>>& leave_one_out,
                         const TimeGrid& grid, PeakKind kind) {
  const int last = static_cast<int>(curve.size()) - 1;
  const int i = peak_index(curve, kind);
  if (i < 0) return unresolved("no interior local maximum in the run");
  if (i == 0 || i == last)
    return unresolved(fmt::format("the maximum is at the end of the run (t = {:g}): the peak is "
                                  "not inside it",
                                  grid.time(i)));
  const std::pair<int, int> range = basin(curve, i);
  const int blocks = static_cast<int>(leave_one_out.size());
  int elsewhere = 0;
  const double scale = blocks > 1 ? (blocks - 1) / std::sqrt(double(blocks)) : 0.0;
  std::vector<double> pseudo(curve.size());
  for (const auto& r : leave_one_out) {
    for (int g = 0; g <= last; ++g) pseudo[g] = curve[g] + scale * (curve[g] - r[g]);
    const int j = peak_index(pseudo, kind);
    elsewhere += j < range.first || j > range.second || j == 0 || j == last;
  }
  if (elsewhere > kMaxDisagreement * blocks)
    return unresolved(fmt::format(
        "not resolved: {} of {} pseudo-samples put the maximum elsewhere (another local maximum "
        "or the end of the run)",
        elsewhere, blocks));
  const Peak full = parabola_peak(curve, grid, i);
  std::vector<double> values, times;
  for (const auto& r : leave_one_out) {
    const Peak p = peak_in(r, grid, range);
    values.push_back(p.value);
    times.push_back(p.time);
  }
  return {jackknife_spread(full.value, values), jackknife_spread(full.time, times), "", times};
}

}  // namespace darkcharge
