// The cost estimate of the coupled-basis exact solver: peak memory and single-core run
// time from the problem's size alone, so that a run too large is refused before any work.
#include <algorithm>
#include <cmath>
#include <utility>

#include <fmt/format.h>

#include "darkcharge/physics/initial_state.hpp"
#include "exact/coupled_exact_internal.hpp"

namespace darkcharge {
namespace {

constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;
/// Cost model of estimate_coupled_exact_cost (seconds per unit of work, one core, measured
/// on the development VM with margin): dense flops; terms of the cascade's rate sums and
/// Clebsch-Gordan recursion steps.
constexpr double kSecondsPerFlop = 1e-9;
constexpr double kSecondsPerUnit = 2e-9;

}  // namespace

using coupled_exact::levels_by_sector;
using coupled_exact::uses_cascade;

CoupledExactCost estimate_coupled_exact_cost(const Model& model, const TimeGrid& grid,
                                             const CoupledExactOptions& options) {
  validate(model);
  check_collective_only(model, "the coupled-basis exact solver");
  validate(grid);
  validate(model, grid);
  const double j1 = model.j_charger(), points = grid.points;
  CoupledExactCost cost;
  double doubles = 0, flops = 0, units = 0;  // units: cascade rate terms, recursion steps
  // Nonlinear columns, per grid time: one Clebsch-Gordan block and U r U^T per M, one
  // symmetric eigenproblem per Q block of rho^{T_B} (both of width <= 2 min(j_C, j_B) + 1).
  // The constants are deliberately pessimistic: the estimate guards against hours, not
  // seconds.
  auto nonlinear_cost = [&](double j2) {
    double per_time = 0, block_doubles = 0;
    for (double M = -(j1 + j2); M <= j1 + j2; M += 1) {
      const double n = j1 + j2 - first_total_j(j1, j2, M) + 1;
      per_time += 5 * n * n + 4 * n * n * n;  // CG, U R U^T
      if (options.negativity) per_time += 2 * n * n * n;  // Q block
      block_doubles += n * n;
    }
    return std::make_pair(per_time, block_doubles);
  };
  if (uses_cascade(model, options)) {
    const InitialState level = initial_mixture(model).front().state;
    cost.method = "zero-temperature cascade";
    const double table = zero_temperature_cascade_doubles(model, level.j_battery, level.m_battery);
    const double levels = j1 + level.m_battery + j1 + level.j_battery + 1, n_j = table / levels;
    cost.size = fmt::format("{} levels M x {} total J", levels, n_j);
    doubles = 1.1 * table + points * levels + 8 * n_j;  // weights, P(M, t), scratch
    // ~1000 Radau steps x 8 stage times x levels rates, each over the few J that carry
    // weight (~4 sqrt(n_j)) plus the block bounds (n_j / 16); calibrated on N_B = 100 and
    // 1000 (R = 10): 1 s and 17 s of CPU time.
    const double window = 4 * std::sqrt(n_j) + 10;
    units = 1000.0 * 8 * levels * (window + n_j / 16);
    units += points * levels * 4 * (window + n_j / 16);  // amplitudes of every level per time
    if (options.nonlinear) {
      // Per grid time <= 2 n_j populated levels (the bulk of P(M, t)): Clebsch-Gordan
      // columns for the significant J (window x n_j recursion steps); about as many
      // non-negligible Q blocks, each a symmetric eigenproblem (~ n^3).
      const double populated = std::min(levels, 2 * n_j);
      units += points * populated * window * n_j * 2.5;
      if (options.negativity) flops += points * populated * n_j * n_j * n_j;
      doubles += points * populated * n_j + 2 * n_j * n_j;
      // The battery's level populations (2 j_B + 1 of them) per grid time, sorted for W_B:
      // what dominates at large N_B with few charger levels (measured, N_C = 10: N_B = 1e5,
      // 81 times, 13 s and 140 MB; N_B = 1e6, 21 times, 26 s and 350 MB; linear in both).
      const double battery_levels = 2 * level.j_battery + 1;
      units += points * battery_levels * 1000;
      doubles += points * battery_levels * 3;
    }
  } else {
    cost.method = "birth-death chains";
    double chains = 0, longest = 0;
    for (const auto& [j2, levels] : levels_by_sector(model)) {
      const double j_low = std::fabs(j1 - j2), n = j1 + j2 - j_low + 1;
      for (int a = 0; a < n; ++a) {
        const double length = 2 * (j_low + a) + 1;
        chains += n - a;
        longest = std::max(longest, length);
        doubles += (n - a) * (length * length + 5 * length);  // propagator + generator + state
        flops += (n - a) * (30 * length * length * length + 2 * points * length * length);
      }
      if (options.nonlinear) {
        const auto [per_time, block_doubles] = nonlinear_cost(j2);
        flops += points * per_time;
        doubles += 2 * block_doubles;
      }
    }
    cost.size = fmt::format("{} chains of length <= {}", chains, longest);
  }
  cost.memory_gib = 8 * doubles / kGiB;
  cost.seconds = flops * kSecondsPerFlop + units * kSecondsPerUnit;
  return cost;
}

}  // namespace darkcharge
