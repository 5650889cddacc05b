// The resource estimate of exact: see resource_terms.hpp.
#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "darkcharge/ensemble/column_selection.hpp"
#include "darkcharge/exact/coupled_exact_solver.hpp"
#include "darkcharge/exact/reduced_dicke_solver.hpp"
#include "ensemble/resource_terms.hpp"

namespace darkcharge::resource_terms {

ResourceEstimate exact_estimate(const RunRequest& o) {
  const Model& m = o.model;
  ResourceEstimate r;
  double largest = 0, flops_per_step = 0, flops_per_point = 0;
  for (const auto& s : populated_sectors(m)) {
    const double d = (m.n_charger + 1.0) * (2 * s.j_battery + 1);
    largest = std::max(largest, d);
    flops_per_step += 7 * 40 * d * d;    // 7 stages of sparse x dense products, ~5 nonzeros per row
    flops_per_point += 20 * d * d * d;   // two Hermitian eigen-decompositions (S_B, W_B)
  }
  // Explicit Dormand-Prince steps are bounded by stability: h <~ 3 / (spectral radius), the
  // radius being ~ the largest jump rate.
  const double steps = o.grid.points + o.grid.t_max * rate_scale(m) / 3;
  const bool nonlinear = o.observables.empty() ||
                         std::any_of(o.observables.begin(), o.observables.end(), [](const auto& c) {
                           return c == "W_B" || c == "W_B_sym" || c == "S_B" || c == "dS_B_dt";
                         });
  // N_em, N_abs, F_em (ExactOptions::counting) integrate rho with three derivative matrices
  // beside it: 4x the state, ~5x the work per step (exact_solver.hpp).
  const bool counting = std::any_of(o.observables.begin(), o.observables.end(), [](const auto& c) {
    return c == "N_em" || c == "N_abs" || c == "F_em";
  });
  r.bytes = (counting ? 4 : 1) * 16 * 16 * largest * largest + thermal_levels(populated_sectors(m)) * 24;
  r.cpu_seconds = kSecondsPerFlop * ((counting ? 5 : 1) * steps * flops_per_step +
                                     (nonlinear ? o.grid.points * flops_per_point : 0));
  r.work = fmt::format("~{:.2g} integrator steps at dimension up to {}", steps, largest);
  add_output_cost(o, r);
  return r;
}

/// exact --method coupled: the solver's own estimate (the cascade or the birth-death
/// chains; with single-spin noise the reduced Dicke-basis solver), plus the output.
ResourceEstimate exact_coupled_estimate(const RunRequest& o) {
  ResourceEstimate r;
  if (o.model.local.any()) {
    const ReducedDickeCost cost = estimate_reduced_dicke_cost(o.model, o.model.local, o.grid);
    r.bytes = cost.memory_gib * kGiB;
    r.cpu_seconds = cost.seconds;
    r.work = "the reduced Dicke-basis solver: " + cost.size;
  } else {
    CoupledExactOptions options;
    plan_exact(o.observables, options);
    options.state_times = o.state_times;
    const CoupledExactCost cost = estimate_coupled_exact_cost(o.model, o.grid, options);
    r.bytes = cost.memory_gib * kGiB;
    r.cpu_seconds = cost.seconds;
    r.work = "the " + cost.method + ": " + cost.size;
  }
  add_output_cost(o, r);
  return r;
}

void check_exact_dimension(const RunRequest& o) {
  const long long d = (o.model.n_charger + 1LL) * (o.model.n_battery + 1LL);
  if (d > o.max_dimension)
    throw InvalidArgument(fmt::format(
        "{0}: the exact solver's largest sector at N_B = {1}, N_C = {2} has dimension "
        "(N_C+1)(N_B+1) = {3} > {4}; raise {0} (memory ~ 16 d^2 bytes per matrix, "
        "time ~ d^3 per output point) or use simulate",
        option_name("max_dimension", o.names), o.model.n_battery, o.model.n_charger, d,
        o.max_dimension));
}

}  // namespace darkcharge::resource_terms
