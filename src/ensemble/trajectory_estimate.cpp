// The resource estimate of trajectory: see resource_terms.hpp.
#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "darkcharge/ensemble/column_selection.hpp"
#include "darkcharge/physics/density_matrix.hpp"
#include "ensemble/local_noise_entanglement.hpp"
#include "ensemble/resource_terms.hpp"

namespace darkcharge::resource_terms {
namespace {

// Per-operation costs (seconds on one core), measured on the development machine (x86-64,
// Release build): a jump of a small system (N_B = 2, N_C = 10, nbar = 100: 0.46 s for
// 3.3e6 jumps), one linear observation (one Clebsch-Gordan coefficient and one dense
// floating-point operation: resource_terms.hpp). Good to a factor of a few; only used to
// refuse the hopeless.
constexpr double kSecondsPerJump = 1.5e-7;
constexpr double kSecondsPerObservation = 5e-8;
constexpr double kSecondsPerSubsetEstimate = 3.6e-6;
// The S_B estimate after the trajectories: the trace norm of a symmetric n x n block (its
// eigenvalues: Eigen's tridiagonalization and QR) ~kTraceNormFlops n^3, a block subset's sum
// ~kSubsetSumFlops per double and block; fitted to the estimate's CPU time at N_B = 8-20,
// 16-6400 trajectories (bench/estimate_cost.py: estimate / measured 0.56-1.33).
constexpr double kTraceNormFlops = 1.2;
constexpr double kSubsetSumFlops = 1.25;
// Local-noise trajectories (LocalNoiseSampler, CLI, 10^4 trajectories, 201 points, one
// thread; w = 2 min(j_C, j_B) + 1): decay 0.1 to t = 10 at N_B = 2, N_C = 10: 0.6-1.0 s,
// N_B = 10, N_C = 30: 1.3 s, N_B = 20, N_C = 60: 2.2 s; dephasing 1 to t = 100 at N_B = 2,
// N_C = 10 (2.4e7 jumps): 2.9 s. Fitted: an observation 0.3 us + 0.02 us w, a jump
// 0.1 us + 0.02 us w.
constexpr double kLocalSecondsPerObservation = 3e-7, kLocalSecondsPerObservationWidth = 2e-8;
constexpr double kLocalSecondsPerJump = 1e-7, kLocalSecondsPerJumpWidth = 2e-8;

/// <J(J+1)>, conserved: charger |j_C, j_C> times a product of independent battery spins,
/// so <J_C . J_B> = j_C <J_B^z> and <J_B^2> = 3 N_B/4 + N_B (N_B - 1) <s_z>^2.
double mean_total_casimir(const Model& m) {
  const double jc = m.j_charger(), n = m.n_battery;
  const double sz = (m.battery_init == BatteryInit::ground ? 0.0 : m.thermal_up_probability()) - 0.5;
  return jc * (jc + 1) + 0.75 * n + n * (n - 1) * sz * sz + 2 * jc * n * sz;
}

}  // namespace

/// Jumps of one trajectory: at most N_B + N_C at nbar = 0 (M only decreases); with a
/// reservoir, the rate in a multiplet spread over M is ~ 2 gamma (2 nbar + 1) (2/3) J(J+1),
/// weighted by x = nbar / (nbar + 1) (at small nbar the state sits near the dark M = -J).
double jumps_per_trajectory(const Model& m, double t_max) {
  const double x = m.nbar / (m.nbar + 1);
  return m.n_battery + m.n_charger +
         2 * m.gamma * t_max * (2 * m.nbar + 1) * (2.0 / 3.0) * mean_total_casimir(m) * x;
}

double simulate_table_doubles(const Model& m) {
  std::vector<double> battery_sectors;
  for (const auto& s : populated_sectors(m)) battery_sectors.push_back(s.j_battery);
  return ProductBasis::table_size(m.j_charger(), battery_sectors);
}

ResourceEstimate simulate_estimate(const RunRequest& o, bool local_engine) {
  const Model& m = o.model;
  const EnsembleOptions& e = o.ensemble;
  const double n = static_cast<double>(e.trajectories), points = o.grid.points;
  const double blocks = std::min<double>(e.blocks, n), per_block = std::ceil(n / blocks);
  const auto sectors = populated_sectors(m);
  ResourceEstimate r;
  // Sampled values per trajectory and time: one per plain column, a few moments for the
  // jump-record statistics (sigma_B, F_em); at least the 4 of the paper's linear columns.
  const double columns = std::max<double>(e.observables.size(), 4);
  const double sampled = 2 * columns;
  r.bytes = blocks * points * sampled * 32;  // block statistics (32 B cells)
  r.bytes += 3 * columns * 2 * points * 8;   // result columns, selection, output
  if (e.sector_populations) r.bytes += blocks * points * (0.5 * (m.n_battery + m.n_charger) + 1) * 32;
  const bool local = local_engine || m.local.any();
  const double jumps_each =
      local ? local_jumps_per_trajectory(m, o.grid.t_max) : jumps_per_trajectory(m, o.grid.t_max);
  // P(n, t) at the count times: per block, one cell per emitted count n <= N + jumps.
  r.bytes += blocks * e.count_times.size() * (m.n_battery + m.n_charger + jumps_each) * 32;
  // Recorded jumps (time, channel, M) in memory and in the jump-record output text.
  r.bytes += std::min<double>(e.record_trajectories, n) * jumps_each * (24 + 40);
  // A checkpoint (or MPI's rank 0) keeps every unit's serialized sums: up to 8 units per
  // block, each the size of the linear block statistics.
  if (o.checkpoint) r.bytes += 2 * 8 * blocks * points * sampled * 32;
  const bool product = e.ergotropy || e.entanglement;
  double table = 0, pairs = 0, largest_sector = 0;
  for (const auto& s : sectors) {
    table += s.table_size;
    pairs += s.m_count;  // (j_B, M) blocks
    largest_sector = std::max(largest_sector, 2 * s.j_battery + 1);
  }
  double state_work = 0, estimate_work = 0;  // flops: the trajectories', the estimate's after them
  if (e.ergotropy) {  // per block and time: level sums of the sectors its trajectories visit
    // Single-spin noise on the battery lets a trajectory reach every sector j_B; with a time
    // limit the local-noise sampler keeps a copy of its block sums (restored if the limit
    // cuts a round).
    const double reachable = m.local.battery.any() ? m.n_battery / 2 + 1 : sectors.size();
    const double visited = std::min<double>(per_block, reachable);
    const double copies = m.local.any() && e.time_limit > 0 ? 2 : 1;
    r.bytes += copies * blocks * points * visited * (largest_sector * 8 + kMapNodeBytes);
  }
  if (e.entanglement && local) {
    // Per block and time, psi psi^T of every (j_C, j_B, M) its trajectories visit, and the
    // estimator's working copies (local_noise_entanglement.hpp); each running thread's work
    // unit holds the same for its trajectories.
    const int threads = e.threads > 0 ? e.threads : 2;
    const int b = static_cast<int>(blocks);
    const long unit = work_layout(e).unit_size;
    r.bytes += local_noise::EntanglementSums::estimated_bytes(m, o.grid.points, b, e.trajectories, threads) +
               threads * local_noise::EntanglementSums::estimated_bytes(m, o.grid.points, 1, unit, 0);
  } else if (e.entanglement) {
    // A block holds one dense n(M) x n(M) matrix per (j_B, M) its trajectories visit at a
    // time: at most min(trajectories per block, number of (j_B, M) blocks) of them; the
    // averaged state (EnsembleResult::density) is one more such set per time.
    const double mean_square = table / pairs;
    const double visited = std::min(per_block, pairs), visited_all = std::min(n, pairs);
    r.bytes += (blocks * visited + visited_all) * points * (mean_square * 8 + kMapNodeBytes);
    // The estimate after the trajectories (entanglement.cpp): per output time the root-n
    // corrected S_B evaluates 3 B + 5 block subsets (nonsmooth_estimate.hpp: the full set,
    // two half-splits, and per left-out block the rest and its two halves), each the sum of
    // the blocks' partial transposes (~kSubsetSumFlops B per double of the visited blocks)
    // and the trace norm of every visited block (~kTraceNormFlops n^3). The partial
    // transpose of one (j_B, M) block of n levels reaches ~2 n blocks (j_B, Q = m_C - m_B):
    // a few trajectories already reach most of them.
    double cubes = 0;
    for (const auto& sector : sectors) cubes += sector.cube_sum;
    const double reached = std::min(1.0, 2 * n * sectors.front().width / pairs);
    estimate_work += points * (3 * blocks + 5) * reached *
                     (kSubsetSumFlops * blocks * table + kTraceNormFlops * cubes);
  }
  const double levels = thermal_levels(sectors);
  const double threads = e.threads > 0 ? e.threads : 2;  // ~ a laptop's worth when unset
  if (product) {
    r.bytes += threads * simulate_table_doubles(m) * 8 + levels * 24;  // CG caches, mixture
    state_work += levels * sectors.size();  // finding the populated sectors among the levels
  }
  // At nbar = 0 each running unit remembers the sampled row of every (time, M) state it
  // met (up to kMaxCountedStates of them) and the record entries shown once per state
  // (W_B, S_B, sectors), up to a budget (EnsembleOptions::counting_memory_bytes) that one
  // trajectory and vector growth can overshoot by 2x.
  const double states = (m.n_battery + m.n_charger + 1) * points;  // (t, M) pairs
  const bool counting = m.nbar == 0.0 && states <= kMaxCountedStates;
  if (m.nbar == 0.0) {
    if (counting) r.bytes += threads * states * (sampled * 8 + 16);
    if (product || e.sector_populations || !e.count_times.empty()) {
      const double entry_bytes = (largest_sector + 0.5 * (m.n_battery + m.n_charger) + 8) * 8 * 3;
      r.bytes += threads * std::min(2 * e.counting_memory_bytes, states * entry_bytes);
    }
  }
  const double width = sectors.front().width;
  const double jumps = n * jumps_each;
  const double observation = kSecondsPerObservation + (product ? width * width * kSecondsPerFlop : 0);
  // Calibrated with the default 9 columns; the jump-record statistics add their own work.
  const double column_factor = std::max(1.0, columns / 9);
  // States evaluated: every trajectory at every time, except on the counting path, where
  // a work unit evaluates each (t, M) state it meets once (at most N + 1 per time).
  double observed = n * points;
  if (counting) {
    const WorkLayout layout = work_layout(e);
    observed = std::min(observed, layout.units() * points *
                                      std::min<double>(layout.unit_size, m.n_battery + m.n_charger + 1));
  }
  // The root-n corrected W_B/S_B estimates evaluate 3 B + 5 block subsets per output time
  // (~100 at B = 32), whatever the trajectory count: measured ~0.11 s for 301 times (3.6 us
  // a subset) at N_B = 2, N_C = 10, and 8.9 s CPU for 1000 trajectories at 10^4 times (1.1 s
  // estimated without this term).
  r.estimate_seconds = estimate_work * kSecondsPerFlop +
                       (product ? points * (3 * blocks + 5) * kSecondsPerSubsetEstimate : 0.0);
  r.cpu_seconds = jumps * kSecondsPerJump + observed * observation * column_factor +
                  state_work * kSecondsPerFlop + r.estimate_seconds;
  if (local) {  // its own engine: exact jump times, O(L) per jump (coupled basis) or O(k L)
    // With G not diagonal in the coupled basis (g_down - g_up differ between the ensembles)
    // each jump builds a Lanczos basis of the tridiagonal G: measured 8.3e-5 s per jump at
    // N_B = 1000, N_C = 10000 (load ~6), ~4x the coupled basis's per-jump cost.
    const LocalRates& lc = o.model.local.charger;
    const LocalRates& lb = o.model.local.battery;
    // With the reservoir on one ensemble or none G is diagonal in the product basis: O(L).
    const bool coupled = lc.decay - lc.pumping == lb.decay - lb.pumping;
    const double lanczos = coupled || o.model.reservoir != ReservoirCoupling::both ? 1.0 : 4.0;
    r.estimate_seconds = e.entanglement ? kSecondsPerFlop * local_noise::EntanglementSums::estimated_flops(
                                                                m, o.grid.points, static_cast<int>(blocks), e.trajectories)
                                        : 0.0;
    if (e.ergotropy) r.estimate_seconds += local_ergotropy_estimate_seconds(m, o.grid, blocks, n);
    r.cpu_seconds = jumps * (kLocalSecondsPerJump + lanczos * kLocalSecondsPerJumpWidth * width) +
                    n * points * (kLocalSecondsPerObservation + kLocalSecondsPerObservationWidth * width) +
                    r.estimate_seconds;
  }
  r.work = fmt::format("{:.2g} quantum jumps ({:.2g} per trajectory)", jumps, jumps / n);
  if (r.estimate_seconds > 0) r.work += fmt::format("; the estimate after them ~{:.2g} s", r.estimate_seconds);
  add_output_cost(o, r);
  return r;
}

}  // namespace darkcharge::resource_terms
