// The resource estimate of the local-noise trajectories' own terms: their jumps, the W_B
// estimate after them, and a protocol's segments (see resource_terms.hpp).
#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "ensemble/resource_terms.hpp"

namespace darkcharge::resource_terms {
namespace {

// The W_B (and W_B_sym) estimate after the local-noise trajectories (local_noise_columns.cpp:
// second-order root-n correction, ~1.7 (3 B + 5) block subsets per output time from 8 blocks
// on, else 3 B + 5): each subset sums the B blocks' level populations over the battery
// levels the trajectories visit (~kErgotropySecondsPerLevelBlock per level and block) and
// sorts them into the passive state for W_B and W_B_sym (~kErgotropySecondsPerLevel per
// level). Fitted to bench/local_estimate_cost.cpp (one thread, N_B = N_C = 50-2000, thermal
// and ground battery, dephasing 0.01-1, 16-1024 trajectories, 21-81 times: estimated /
// measured 0.76-1.83; bench/README.md).
constexpr double kErgotropySecondsPerLevelBlock = 4.3e-9;
constexpr double kErgotropySecondsPerLevel = 2.5e-8;

/// Battery levels (sum of 2 j_B + 1 over sectors) that n trajectories visit at one time,
/// at most. The initial sectors: a thermal battery's weight of sector j_B, P(j) = d(N, j)
/// sum_m p^(N/2+m) q^(N/2-m) (d: the multiplicity of j among N spins, p the up probability),
/// visited by one of n trajectories with probability 1 - (1 - P(j))^n; a ground battery's
/// one sector. Single-spin jumps on the battery then spread j_B: by ~2 sqrt(E) sectors after
/// E of them (a random walk), added in quadrature to the initial spread; at most n sectors,
/// and at most every level.
double visited_battery_levels(const Model& m, double n, double t_max) {
  const double nb = m.n_battery, top = m.j_battery(), p = m.thermal_up_probability();
  double all = 0;
  for (double jb = top; jb >= 0; jb -= 1) all += 2 * jb + 1;
  double sectors = 1, levels = nb + 1;
  if (m.battery_init == BatteryInit::thermal && p > 0) {
    const double q = 1 - p, r = p / q;
    sectors = levels = 0;
    for (double jb = top; jb >= 0; jb -= 1) {
      const double k = top - jb;
      const double log_weight = std::lgamma(nb + 1) - std::lgamma(k + 1) - std::lgamma(nb - k + 1) +
                                std::log((2 * jb + 1) / (top + jb + 1)) + top * std::log(p * q) -
                                jb * std::log(r) + std::log((1 - std::pow(r, 2 * jb + 1)) / (1 - r));
      const double weight = std::min(1.0, std::exp(log_weight));
      const double seen = weight >= 1 ? 1.0 : -std::expm1(n * std::log1p(-weight));
      sectors += seen;
      levels += seen * (2 * jb + 1);
    }
  }
  const LocalRates& b = m.local.battery;
  const double jumps = t_max * nb * (b.pumping + b.dephasing) + std::min(t_max * nb * b.decay, nb);
  const double spread = std::min(n, std::sqrt(sectors * sectors + 4 * jumps));
  return std::min(all, levels * spread / sectors);
}

}  // namespace

/// Jumps of one trajectory with single-spin noise: the collective ones, plus every
/// spin's pumping and dephasing at its rate through t_max; a decay needs an excitation (the
/// initial ones, those pumped in and those absorbed from the reservoir); and every pumped
/// excitation or dephasing event can make one more quantum bright, emitted collectively.
double local_jumps_per_trajectory(const Model& m, double t_max) {
  const LocalRates &c = m.local.charger, &b = m.local.battery;
  const double collective = jumps_per_trajectory(m, t_max);
  const double pumped = t_max * (m.n_charger * c.pumping + m.n_battery * b.pumping);
  const double dephased = t_max * (m.n_charger * c.dephasing + m.n_battery * b.dephasing);
  const double decayed = std::min(t_max * (m.n_charger * c.decay + m.n_battery * b.decay),
                                  m.n_battery + m.n_charger + pumped + collective);
  return collective + decayed + 2 * (pumped + dephased);
}

double local_ergotropy_estimate_seconds(const Model& m, const TimeGrid& grid, double blocks, double n) {
  const double subsets = (3 * blocks + 5) * (blocks >= 8 ? 1.7 : 1.0);
  return grid.points * subsets * visited_battery_levels(m, n, grid.t_max) *
         (kErgotropySecondsPerLevelBlock * blocks + kErgotropySecondsPerLevel);
}

/// Local-noise trajectories through a protocol: each segment as a run of its model over its
/// duration and output times, the times summed, the memory the largest.
ResourceEstimate protocol_trajectory_estimate(const RunRequest& o, const Protocol& protocol) {
  ResourceEstimate total;
  total.trajectories = true;
  double jumps = 0;
  for (const ProtocolSegment& s : protocol.segments) {
    RunRequest part = o;
    part.model = s.model;
    const int first = o.grid.first_index_not_before(s.start);
    const int last = o.grid.first_index_not_before(s.start + s.duration);
    part.grid = TimeGrid{s.duration, std::max(2, std::min(last, o.grid.points - 1) - first + 1)};
    const ResourceEstimate r = simulate_estimate(part, true);
    total.cpu_seconds += r.cpu_seconds;
    total.bytes = std::max(total.bytes, r.bytes);
    jumps += local_jumps_per_trajectory(s.model, s.duration);
  }
  const double n = static_cast<double>(o.ensemble.trajectories);
  total.work = fmt::format("{:.2g} quantum jumps ({:.2g} per trajectory) through {} segments",
                           n * jumps, jumps, protocol.segments.size());
  return total;
}

}  // namespace darkcharge::resource_terms
