#include "negativity_estimate.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "darkcharge/estimate/bounded_estimate.hpp"
#include "darkcharge/estimate/curve_features.hpp"
#include "darkcharge/estimate/jackknife.hpp"
#include "darkcharge/estimate/rare_event_floor.hpp"
#include "darkcharge/observables/registry.hpp"

namespace darkcharge {
namespace {

/// Where lingering rare trajectories can carry the state (at nbar = 0; with local noise
/// wherever the sample can have missed something): S_B's error is at least the rare-event
/// floor through the largest move of S_B (negativity_range), the rate's at least the
/// finite-difference stencil applied to those floors.
void add_negativity_floors(const Model& model, const TimeGrid& grid, long n, const std::vector<bool>& at,
                           const std::string& reason, Column& s, Column& rate) {
  std::vector<double> floor(grid.points);
  for (int g = 0; g < grid.points; ++g)
    floor[g] = at.empty() || at[g] ? rare_event_floor(negativity_range(model, s.value[g], n), n) : 0.0;
  for (int g = 0; g < grid.points; ++g) s.error[g] = std::max(s.error[g], floor[g]);
  const int last = grid.points - 1;
  for (int g = 0; g <= last && last >= 2; ++g) {
    if (!grid.equally_spaced()) {
      const DerivativeStencil d = derivative_stencil(grid, g);
      double spread = 0;
      for (int k = 0; k < 3; ++k) spread += std::fabs(d.weight[k]) * floor[d.first + k];
      rate.error[g] = std::max(rate.error[g], spread);
      continue;
    }
    const double stencil = g == 0      ? 3 * floor[0] + 4 * floor[1] + floor[2]
                           : g == last ? 3 * floor[last] + 4 * floor[last - 1] + floor[last - 2]
                                       : floor[g - 1] + floor[g + 1];
    rate.error[g] = std::max(rate.error[g], stencil / (2 * grid.step()));
  }
  s.note += std::string(s.note.empty() ? "" : " ") + "Error >= a rare-event floor (" + reason +
            "; see rare_event_floor.hpp); dS_B_dt likewise.";
}

}  // namespace

// The root-n correction and floors were validated (coverage, bench/README.md) up to
// 2 min(j_C, j_B) + 1 = 21 (N_B = 20, N_C = 100); at larger widths the trace norm's noise
// bias can outgrow them: N_B = 100, N_C = 1000, nbar = 0, 2000 trajectories gave S_B(0.004) =
// 0.92 +- 0.07 against the exact 0.274, and the bias is upward (the trace norm is convex:
// E ||rho_hat^T_B||_1 >= ||rho^T_B||_1). There S_B and dS_B_dt are withdrawn, value and
// error NaN with the reason in the note: a value known to be biased is not a result.
std::string negativity_withdrawn_reason(const Model& model) {
  const int width = std::min(model.n_charger, model.n_battery) + 1;
  if (width <= kValidatedEntanglementWidth) return "";
  return fmt::format(
      "Withdrawn (nan): trajectory estimates of S_B are validated only up to 2 min(j_C, j_B) "
      "+ 1 = {} (here {}); at larger widths sampling noise biases the trace norm of rho^T_B "
      "upward by more than the jackknife and root-n correction remove (measured: S_B = 0.92 "
      "+- 0.07 against the exact 0.274 at N_B = 100, N_C = 1000 in the burst). "
      "`darkcharge exact` gives S_B exactly (the nbar = 0 cascade in seconds; the coupled "
      "solver at nbar > 0).",
      kValidatedEntanglementWidth, width);
}

double levels_per_trajectory(const DensityMatrix& rho, long trajectories) {
  double levels = 0;
  for (const auto& [key, block] : rho.blocks) levels += double(block.rows());
  return levels / double(std::max(1L, trajectories));
}

std::vector<bool> undersampled_times(const std::vector<double>& levels) {
  const int points = static_cast<int>(levels.size());
  std::vector<bool> out(points, false);
  for (int g = 0; g < points; ++g) out[g] = levels[g] > kMaxLevelsPerTrajectory;
  // Grow each stretch outwards through the times still above the edge level.
  for (int g = 1; g < points; ++g)
    if (out[g - 1] && !out[g] && levels[g] > kEdgeLevelsPerTrajectory) out[g] = true;
  for (int g = points - 2; g >= 0; --g)
    if (out[g + 1] && !out[g] && levels[g] > kEdgeLevelsPerTrajectory) out[g] = true;
  return out;
}

std::string undersampled_note(const std::vector<bool>& undersampled, const std::vector<double>& levels) {
  int count = 0;
  double largest = 0;
  for (std::size_t g = 0; g < undersampled.size(); ++g)
    if (undersampled[g]) ++count, largest = std::max(largest, levels[g]);
  if (count == 0) return "";
  return fmt::format(
      "Not estimated (nan) at {} of {} times: there the trajectories visited more than {:g} "
      "product levels of (j_B, M) blocks per trajectory (up to {:.3g}; next to such times, "
      "more than {:g}), too few to average "
      "each block's coherences, and the trace norm of rho^T_B runs high (measured at "
      "N_B = 20, N_C = 200, nbar = 0.1: S_B 0.14-0.30 against the exact 0-0.06 at the burst's "
      "onset); dS_B_dt is nan where its stencil reaches such a time. More trajectories, or "
      "`darkcharge exact`, give them.",
      count, undersampled.size(), kMaxLevelsPerTrajectory, largest, kEdgeLevelsPerTrajectory);
}

NegativityColumns negativity_columns(const Model& model, const TimeGrid& grid, long trajectories,
                                     const std::vector<std::vector<double>>& entropy,
                                     const std::vector<double>& entropy_error, bool floors,
                                     const std::vector<bool>& floor_at, const std::string& floor_reason) {
  const int points = grid.points, blocks = static_cast<int>(entropy.size()) - 1;
  NegativityColumns out;
  const std::string why = negativity_withdrawn_reason(model);
  if (!why.empty()) {  // no replicate curves: the peak summary gets no dS_B_dt either
    const std::vector<double> nan(points, std::numeric_limits<double>::quiet_NaN());
    out.s_b = {"S_B", nan, nan, "jackknife", why};
    out.rate = {"dS_B_dt", nan, nan, "jackknife", why};
    return out;
  }
  // dS_B_dt is the derivative of what S_B prints: each replicate curve clamped at 0 as S_B
  // is. Differentiating the unclamped curve where the exact S_B is 0 (a PPT state) turned the
  // root-n correction's noise below 0 into a rate (N_B = 4, N_C = 40, T = 2: -2.91 +- 0.98 at
  // t = 0 against the exact 0, coverage 0.06 there; bench/README.md).
  for (const auto& unclamped : entropy) {
    std::vector<double> curve = unclamped;
    for (double& v : curve) v = std::max(v, 0.0);  // NaN stays NaN (time limit)
    const std::vector<double> rate = time_derivative(curve, grid);
    if (out.rate_full.empty())
      out.rate_full = rate;
    else
      out.rate_leave_one_out.push_back(rate);
  }
  out.s_b = {"S_B", std::vector<double>(points), std::vector<double>(points), "jackknife", ""};
  out.rate = {"dS_B_dt", out.s_b.value, out.s_b.error, "jackknife", ""};
  for (int g = 0; g < points; ++g) {
    std::vector<double> loo_rate;
    for (int b = 0; b < blocks; ++b) loo_rate.push_back(out.rate_leave_one_out[b][g]);
    const Estimate r = jackknife_spread(out.rate_full[g], loo_rate);
    out.s_b.value[g] = entropy[0][g], out.s_b.error[g] = entropy_error[g];
    out.rate.value[g] = r.value, out.rate.error[g] = r.error;
  }
  enforce_lower_bound(out.s_b);
  if (floors) add_negativity_floors(model, grid, trajectories, floor_at, floor_reason, out.s_b, out.rate);
  return out;
}

}  // namespace darkcharge
