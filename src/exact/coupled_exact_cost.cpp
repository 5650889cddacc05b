// The cost estimate of the coupled-basis exact solver: peak memory and single-core run
// time from the problem's size alone, so that a run too large is refused before any work.
#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <omp.h>

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
/// Birth-death chains (calibration in estimate_coupled_exact_cost and bench/README.md): one
/// chain entry over one grid step, and one unit of the nonlinear columns.
constexpr double kSecondsPerChainEntry = 1.5e-7;
constexpr double kSecondsPerNonlinearUnit = 4.5e-8;
/// At nbar > 0 (calibration in estimate_coupled_exact_cost): one held chain over one grid step
/// (one rational exponential on its window, whose width is set by the negligible level, not
/// by the chain's length); one populated M x n h of the product blocks (W_B) and one
/// populated M x n^2 h of the Q blocks (S_B).
constexpr double kSecondsPerChainStep = 5e-6;
constexpr double kSecondsPerProductUnit = 4.5e-8;
constexpr double kSecondsPerNegativityUnit = 1.5e-9;
/// Entries of a window: the M a sector populates at one time are its ladder bottoms (one per
/// J) plus about this many levels above them.
constexpr double kWindowLevels = 50;

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
  double seconds_direct = 0;                 // terms measured in seconds directly
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
    // The integrator ends a step at every output time, so beyond ~1000 points each one costs
    // a step of its own: measured (one thread, E_B only, 1e5-1e6 points) 1.5 us per level and
    // point at N_B = 2, N_C = 10 and N_B = 10, N_C = 100, 13.6 us at N_B = 100, N_C = 1000,
    // i.e. 2.1-2.6 (1.3 at N_B = 10) units x (window + n_j / 16)^2.
    units += points * levels * 2.5 * (window + n_j / 16) * (window + n_j / 16);
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
    // Only the pairs whose chain starts above the negligible level are built (held_pairs;
    // ~0.1 s at N_B = 100). At nbar > 0 each costs one rational exponential on its window per
    // grid step, and each sector's nonlinear columns cost per grid time and populated M a
    // product block P^M (~ n h, h <= n the J held in any pair) and, for S_B, Q blocks
    // (Cholesky, ~ n^2 h: the blocks are as wide as n, their rank follows h), with
    // n = 2 min(j_C, j_B) + 1 and the populated M the ladder bottoms plus a window. Measured
    // on thermal batteries (h ~ n), nbar = 0.5, R = 10, 201 points, one thread
    // (bench/README.md): 4.0-6.8 us per held chain and grid step at N_B = 20, 30, 40;
    // 45 ns per W_B unit and 1.5 ns per S_B unit at N_B = 30 and 40 (within 1.05x of both).
    // Memory: the Clebsch-Gordan columns each sector keeps for its populated M, at a thermal
    // battery every M of the sector (m_count n^2; 1.4 GiB at N_B = 100, N_C = 1000), within
    // kColumnCacheDoubles (2 GiB) over all sectors. At nbar = 0 (the cascade turned off) the pure-death chains
    // take substeps (h |A_ii| <= 3) that average out to a fixed cost per chain entry and grid
    // step, and every M is counted.
    cost.method = "birth-death chains";
    double chains = 0, longest = 0, entries = 0, largest_sector = 0, nonlinear = 0;
    double cached_columns = 0;
    if (options.nonlinear) {
      std::vector<double> j_batteries;
      for (const auto& sector : levels_by_sector(model)) j_batteries.push_back(sector.first);
      coupled_exact::cached_sectors(j1, j_batteries, &cached_columns);
    }
    for (const auto& [j2, levels] : levels_by_sector(model)) {
      const double j_low = std::fabs(j1 - j2);
      double sector_entries = 0;
      std::vector<char> held_j;  // the J held in some pair: the rank of each P^M at most
      for (const auto& [a, b] : coupled_exact::held_pairs(model, j2, levels, coupled_exact::widest_gap(options))) {
        const double length = 2 * (j_low + a) + 1;
        chains += 1;
        longest = std::max(longest, length);
        sector_entries += length;
        if (held_j.size() <= static_cast<std::size_t>(b)) held_j.resize(b + 1, 0);
        held_j[a] = held_j[b] = 1;
      }
      const double held = static_cast<double>(std::count(held_j.begin(), held_j.end(), 1));
      entries += sector_entries;
      if (options.nonlinear) {
        const double n = 2 * std::min(j1, j2) + 1, m_count = 2 * (j1 + j2) + 1;
        largest_sector = std::max(largest_sector, m_count * n * n + 2 * sector_entries);
        if (model.nbar == 0) {
          nonlinear += kSecondsPerNonlinearUnit * points * m_count * n * n *
                       (options.negativity ? 1.0 : 0.5);
          continue;
        }
        const double populated = std::min(m_count, n + kWindowLevels);
        nonlinear += kSecondsPerProductUnit * points * populated * n * held;
        if (options.negativity) nonlinear += kSecondsPerNegativityUnit * points * populated * n * n * held;
      }
    }
    // States, the cached Clebsch-Gordan columns, one sector's blocks per thread (each keeps
    // its buffers), scratch; x 1.3 for what the allocator holds beyond them (measured at
    // N_B = 100, N_C = 1000 thermal, 2 threads: peak RSS 2.28 GiB against 1.84 GiB counted).
    doubles = 1.3 * (entries + cached_columns + omp_get_max_threads() * largest_sector +
                     64 * longest);
    // At nbar > 0 a grid step is one rational exponential checked against two half steps
    // (coupled_exact_chains.cpp, advance()): 2.5x one step, measured at N_B = 30, N_C = 300 on
    // the default grid; coarse grids whose steps fail the check take substeps and cost more.
    const double propagation = model.nbar > 0 ? 2.5 * kSecondsPerChainStep * chains * (points - 1)
                                              : kSecondsPerChainEntry * entries * (points - 1);
    seconds_direct = propagation + nonlinear;
    cost.size = fmt::format("{} chains of length <= {}", chains, longest);
  }
  cost.memory_gib = 8 * doubles / kGiB;
  cost.seconds = flops * kSecondsPerFlop + units * kSecondsPerUnit + seconds_direct;
  return cost;
}

}  // namespace darkcharge
