#include "darkcharge/estimate/peak_features.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "darkcharge/estimate/curve_features.hpp"

namespace darkcharge {
namespace {

constexpr double kResolvingZ = 2.0;  // the peak must beat its best rival by this many errors
constexpr double kCurvatureZ = 3.0;  // and be curved by this many errors

double second_difference(const std::vector<double>& y, int i) {
  return y[i - 1] - 2 * y[i] + y[i + 1];
}

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

/// Indices that could hold the feature instead of the peak whose basin is `range`: any index
/// outside it for the global maximum; for the largest interior maximum, the curve's other
/// interior local maxima.
std::vector<int> rivals(const std::vector<double>& y, std::pair<int, int> range, PeakKind kind) {
  const int n = static_cast<int>(y.size());
  std::vector<int> out;
  for (int i = 0; i < n; ++i)
    if ((i < range.first || i > range.second) &&
        (kind == PeakKind::global || (i > 0 && i + 1 < n && y[i] > y[i - 1] && y[i] >= y[i + 1])))
      out.push_back(i);
  return out;
}

double largest_at(const std::vector<double>& y, const std::vector<int>& indices) {
  double best = -std::numeric_limits<double>::infinity();
  for (int i : indices) best = std::max(best, y[i]);
  return best;
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
  const Peak full = parabola_peak(curve, grid, i);
  const std::vector<int> rival = rivals(curve, range, kind);
  std::vector<double> values, times, margins;
  for (const auto& r : leave_one_out) {
    const Peak p = peak_in(r, grid, range);
    values.push_back(p.value);
    times.push_back(p.time);
    margins.push_back(p.value - largest_at(r, rival));
  }
  // Resolved only if the peak beats its best rival (another local maximum, or for the global
  // maximum an end of the run) by kResolvingZ jackknife errors of the margin: otherwise the
  // data do not say which maximum is the largest, and an error from one basin would not cover.
  const double margin = full.value - largest_at(curve, rival);
  if (!rival.empty() && !leave_one_out.empty()) {
    const double margin_error = jackknife_spread(margin, margins).error;
    if (!(margin > kResolvingZ * margin_error))
      return unresolved(fmt::format(
          "not resolved: the maximum at t = {:.4g} beats its best rival (another local maximum "
          "or an end of the run) by {:.3g} +- {:.3g}, less than {} errors",
          full.time, margin, margin_error, kResolvingZ));
  }
  // Errors: the jackknife spread, or if larger the spread of the peak over pseudo-samples
  // full + (B-1)/sqrt(B) (full - leave_one_out[b]), each with about the noise of an
  // independent run. A vertex time is a ratio of noisy differences (heavy-tailed when the
  // peak is flat); the jackknife, linear in the replicates, understates it, the pseudo-samples
  // see it (bootstrap principle: peak(pseudo) - peak(full) mimics peak(full) - peak(exact)).
  const int blocks = static_cast<int>(leave_one_out.size());
  const double scale = blocks > 1 ? (blocks - 1) / std::sqrt(double(blocks)) : 0.0;
  double value_spread = 0, time_spread = 0, curvature_spread = 0;
  const double curvature = second_difference(curve, i);
  std::vector<double> pseudo(curve.size());
  for (const auto& r : leave_one_out) {
    for (std::size_t g = 0; g < curve.size(); ++g) pseudo[g] = curve[g] + scale * (curve[g] - r[g]);
    const Peak p = peak_in(pseudo, grid, range);
    value_spread += (p.value - full.value) * (p.value - full.value) / blocks;
    time_spread += (p.time - full.time) * (p.time - full.time) / blocks;
    curvature_spread += std::pow(second_difference(pseudo, i) - curvature, 2) / blocks;
  }
  // The vertex time is a ratio with the curvature y[i-1] - 2 y[i] + y[i+1] in the
  // denominator: when that is not clearly negative the time (and the refined value) has
  // heavy tails that no error bar describes.
  if (!leave_one_out.empty() && !(-curvature > kCurvatureZ * std::sqrt(curvature_spread)))
    return unresolved(fmt::format(
        "not resolved: the peak at t = {:.4g} is too flat for the noise (curvature {:.3g} +- "
        "{:.3g} per step^2, needs {} errors below 0); more trajectories help",
        full.time, curvature, std::sqrt(curvature_spread), kCurvatureZ));
  Estimate value = jackknife_spread(full.value, values), time = jackknife_spread(full.time, times);
  value.error = std::max(value.error, std::sqrt(value_spread));
  time.error = std::max(time.error, std::sqrt(time_spread));
  // The vertex time moves as 1/curvature, and both error estimates above take the observed
  // curvature as the true one: a run whose noise sharpened the peak gets too small an
  // error (measured: 11% of thermal N_B = 4 runs missed by 2-2.7 errors). Evaluate the
  // sensitivity at the curvature one error flatter instead (a factor <= 1.5, as
  // -curvature > 3 errors here).
  if (!leave_one_out.empty())
    time.error *= -curvature / (-curvature - std::sqrt(curvature_spread));
  return {value, time, "", times};
}

}  // namespace darkcharge
