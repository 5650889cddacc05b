#include "darkcharge/ensemble/resource_estimate.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>
#include <unistd.h>

#include "darkcharge/physics/density_matrix.hpp"
#include "darkcharge/core/errors.hpp"
#include "darkcharge/ensemble/column_selection.hpp"
#include "darkcharge/exact/coupled_exact_solver.hpp"
#include "darkcharge/exact/reduced_dicke_solver.hpp"
#include "darkcharge/exact/steady_state.hpp"
#include "ensemble/cascade_sampler.hpp"
#include "ensemble/local_noise_entanglement.hpp"

namespace darkcharge {
namespace {

// Per-operation costs (seconds on one core), measured on the development machine (x86-64,
// Release build): a jump of a small system (N_B = 2, N_C = 10, nbar = 100: 0.46 s for
// 3.3e6 jumps), one linear observation, one Clebsch-Gordan coefficient, one dense
// floating-point operation. Good to a factor of a few; only used to refuse the hopeless.
constexpr double kSecondsPerJump = 1.5e-7;
constexpr double kSecondsPerObservation = 5e-8;
constexpr double kSecondsPerClebschGordan = 1e-7;
constexpr double kSecondsPerFlop = 1e-9;
constexpr double kSecondsPerSubsetEstimate = 3.6e-6;
// The process before any work: the program, its libraries and the C++ runtime (peak RSS of
// the smallest runs, 7.5-11 MB).
constexpr double kProcessBytes = 8.0 * 1024 * 1024;
constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;
constexpr double kMapNodeBytes = 96;  // std::map node + Eigen heap header, per block key
// What every run does with its output times, beyond its engine's own arrays: the engine's
// full time series (every column, value and error: held twice while the selected columns,
// the peaks and the output are made) and, per value written, the selected copy and the
// text (CSV or numpy). Calibrated on the cascade at 1e6 output times (N_B = 2, N_C = 10, one
// thread): 525 MB peak with E_B alone, 720 MB with every default column, of which the
// cascade's own arrays are 88 MB; formatting ~0.1 us per value written.
constexpr double kSeriesBytesPerValue = 16;
constexpr double kOutputBytesPerValue = 24;
constexpr double kSecondsPerOutputValue = 1e-7;
// steady, per temperature row (CLI, 1e5 rows, N_B = 2, N_C = 10, one thread): 0.52 s CPU and
// 46 MB with E_B alone, 3.0 s and 110 MB with every column -- the closed form's fixed work
// per row, and with W_B, W_B_sym, S_B a product-basis density matrix per row (map nodes,
// spectra), both beyond the Clebsch-Gordan terms; memory ~ 460 B (E_B) to 1.1 KB (all) a
// row: the columns, the CSV text held twice, the JSON values and the parsed argument.
constexpr double kSecondsPerSteadyRow = 4e-6;
constexpr double kSecondsPerSteadyNonlinearRow = 2.5e-5;
constexpr double kSteadyBytesPerRow = 256;
constexpr double kSteadyBytesPerValue = 64;
// Local-noise trajectories (LocalNoiseSampler, CLI, 10^4 trajectories, 201 points, one
// thread; w = 2 min(j_C, j_B) + 1): decay 0.1 to t = 10 at N_B = 2, N_C = 10: 0.6-1.0 s,
// N_B = 10, N_C = 30: 1.3 s, N_B = 20, N_C = 60: 2.2 s; dephasing 1 to t = 100 at N_B = 2,
// N_C = 10 (2.4e7 jumps): 2.9 s. Fitted: an observation 0.3 us + 0.02 us w, a jump
// 0.1 us + 0.02 us w.
constexpr double kLocalSecondsPerObservation = 3e-7, kLocalSecondsPerObservationWidth = 2e-8;
constexpr double kLocalSecondsPerJump = 1e-7, kLocalSecondsPerJumpWidth = 2e-8;

/// The battery sectors j_B the initial state populates, with their total-M count and CG
/// table size (sum over M of the squared number of coupled J): O(1) each, no table built.
struct Sector {
  double j_battery;
  double m_count;     // 2 (j_C + j_B) + 1
  double width;       // 2 min(j_C, j_B) + 1: largest number of J at one M
  double table_size;  // sum over M of n(M)^2
  double cube_sum;    // sum over M of n(M)^3 (dense work on the (j_B, M) blocks)
};

bool asks_for(const RunRequest& o, std::initializer_list<const char*> names) {
  for (const char* name : names)
    if (std::find(o.observables.begin(), o.observables.end(), name) != o.observables.end())
      return true;
  return false;
}

std::vector<Sector> populated_sectors(const Model& m) {
  const bool thermal = m.battery_init == BatteryInit::thermal && m.thermal_up_probability() > 0;
  const double jc = m.j_charger();
  std::vector<Sector> out;
  for (double jb = m.j_battery(); jb >= 0; jb -= 1) {
    const double w = 2 * std::min(jc, jb) + 1, d = std::fabs(jc - jb);
    // n(M) = w for |M| <= |j_C - j_B|, then w - 1, ..., 1 on both sides.
    const double edge = (w - 1) * w / 2;  // sum of k for k < w
    out.push_back({jb, 2 * (jc + jb) + 1, w, (2 * d + 1) * w * w + (w - 1) * w * (2 * w - 1) / 3,
                   (2 * d + 1) * w * w * w + 2 * edge * edge});
    if (!thermal) break;
  }
  return out;
}

/// Doubles one thread's Clebsch-Gordan cache may hold for simulate (ProductBasis::table_size).
double simulate_table_doubles(const Model& m) {
  std::vector<double> battery_sectors;
  for (const auto& s : populated_sectors(m)) battery_sectors.push_back(s.j_battery);
  return ProductBasis::table_size(m.j_charger(), battery_sectors);
}

double thermal_levels(const std::vector<Sector>& sectors) {
  double levels = 0;
  for (const auto& s : sectors) levels += 2 * s.j_battery + 1;
  return levels;
}

/// <J(J+1)>, conserved: charger |j_C, j_C> times a product of independent battery spins,
/// so <J_C . J_B> = j_C <J_B^z> and <J_B^2> = 3 N_B/4 + N_B (N_B - 1) <s_z>^2.
double mean_total_casimir(const Model& m) {
  const double jc = m.j_charger(), n = m.n_battery;
  const double sz = (m.battery_init == BatteryInit::ground ? 0.0 : m.thermal_up_probability()) - 0.5;
  return jc * (jc + 1) + 0.75 * n + n * (n - 1) * sz * sz + 2 * jc * n * sz;
}

/// Jumps of one trajectory: at most N_B + N_C at nbar = 0 (M only decreases); with a
/// reservoir, the rate in a multiplet spread over M is ~ 2 gamma (2 nbar + 1) (2/3) J(J+1),
/// weighted by x = nbar / (nbar + 1) (at small nbar the state sits near the dark M = -J).
double jumps_per_trajectory(const Model& m, double t_max) {
  const double x = m.nbar / (m.nbar + 1);
  return m.n_battery + m.n_charger +
         2 * m.gamma * t_max * (2 * m.nbar + 1) * (2.0 / 3.0) * mean_total_casimir(m) * x;
}

/// Jumps of one trajectory with single-spin noise: the collective ones above, plus every
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

/// Output values of a time series run: the time and each column's value and error.
double output_values(const RunRequest& o) {
  const double columns = o.observables.empty()
                             ? static_cast<double>(default_columns().size())
                             : static_cast<double>(o.observables.size());
  return o.grid.points * (1 + 2 * columns);
}

/// Bytes and CPU seconds of the output times beyond the engine's arrays (kSeriesBytesPerValue).
void add_output_cost(const RunRequest& o, ResourceEstimate& r) {
  const double series = o.grid.points * (1 + 2.0 * time_series_columns().size());
  r.bytes += series * kSeriesBytesPerValue + output_values(o) * kOutputBytesPerValue;
  r.cpu_seconds += output_values(o) * kSecondsPerOutputValue;
}

/// `local_engine`: the local-noise trajectories run it even without single-spin rates (a
/// protocol's segment).
ResourceEstimate simulate_estimate(const RunRequest& o, bool local_engine = false) {
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
  double state_work = 0;
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
    // Jackknife of S_B: blocks + 1 partial-transpose spectra per time, ~10 n^3 flops each.
    state_work += (blocks + 1) * points * visited_all * 10 * mean_square * std::sqrt(mean_square);
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
  r.cpu_seconds = jumps * kSecondsPerJump + observed * observation * column_factor +
                  state_work * kSecondsPerFlop;
  // The root-n corrected W_B/S_B estimates evaluate ~100 block subsets per output time,
  // whatever the trajectory count: measured ~0.11 s for 301 times (3.6 us a subset) at
  // N_B = 2, N_C = 10, and 8.9 s CPU for 1000 trajectories at 10^4 times (1.1 s estimated
  // without this term).
  if (product) r.cpu_seconds += points * 100 * kSecondsPerSubsetEstimate;
  if (local) {  // its own engine: exact jump times, O(L) per jump (coupled basis) or O(k L)
    // With G not diagonal in the coupled basis (g_down - g_up differ between the ensembles)
    // each jump builds a Lanczos basis of the tridiagonal G: measured 8.3e-5 s per jump at
    // N_B = 1000, N_C = 10000 (load ~6), ~4x the coupled basis's per-jump cost.
    const LocalRates& lc = o.model.local.charger;
    const LocalRates& lb = o.model.local.battery;
    // With the reservoir on one ensemble or none G is diagonal in the product basis: O(L).
    const bool coupled = lc.decay - lc.pumping == lb.decay - lb.pumping;
    const double lanczos = coupled || o.model.reservoir != ReservoirCoupling::both ? 1.0 : 4.0;
    r.cpu_seconds = jumps * (kLocalSecondsPerJump + lanczos * kLocalSecondsPerJumpWidth * width) +
                    n * points * (kLocalSecondsPerObservation + kLocalSecondsPerObservationWidth * width) +
                    (e.entanglement ? kSecondsPerFlop * local_noise::EntanglementSums::estimated_flops(
                                                            m, o.grid.points, static_cast<int>(blocks), e.trajectories)
                                    : 0.0);
  }
  r.work = fmt::format("{:.2g} quantum jumps ({:.2g} per trajectory)", jumps, jumps / n);
  add_output_cost(o, r);
  return r;
}

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
    const CoupledExactCost cost = estimate_coupled_exact_cost(o.model, o.grid, options);
    r.bytes = cost.memory_gib * kGiB;
    r.cpu_seconds = cost.seconds;
    r.work = "the " + cost.method + ": " + cost.size;
  }
  add_output_cost(o, r);
  return r;
}

ResourceEstimate steady_estimate(const RunRequest& o) {
  const Model m = steady_worst_model(o);
  const double rows = std::max<double>(1, o.temperatures.size() + o.nbar_values.size());
  ResourceEstimate r;
  double coefficients = 0, table = 0;
  for (const auto& s : populated_sectors(m)) {
    coefficients += (2 * s.j_battery + 1) * s.width;  // levels x coupled J per level
    table += s.table_size;
    r.bytes += s.width * kMapNodeBytes;                // conserved populations p_{j_B, J}
  }
  r.bytes += thermal_levels(populated_sectors(m)) * 24;
  // Each row evaluates the closed form three times (value and the two sides of dE_B/dT);
  // W_B and S_B add the product-basis state, ~2 ns per n(M)^3 (measured: N_B = N_C = 300,
  // 8 s).
  r.cpu_seconds = rows * (3 * coefficients * kSecondsPerClebschGordan + kSecondsPerSteadyRow);
  const bool nonlinear = steady_nonlinear_computed(o);
  if (nonlinear) {
    double cubes = 0;
    for (const auto& s : populated_sectors(m)) cubes += s.cube_sum;
    r.cpu_seconds += rows * (cubes * 2 * kSecondsPerFlop + kSecondsPerSteadyNonlinearRow);
    r.bytes += 2 * table * 8;
  }
  // The table: T, nbar and each column's value and error per row.
  const double columns = o.observables.empty() ? static_cast<double>(steady_columns().size())
                                               : static_cast<double>(o.observables.size());
  r.bytes += rows * (kSteadyBytesPerRow + kSteadyBytesPerValue * (2 + 2 * columns));
  r.work = fmt::format("{:.2g} Clebsch-Gordan coefficients", rows * 3 * coefficients);
  return r;
}


/// The steady state's W_B, W_B_sym and S_B need product-basis tables; asked for explicitly
/// beyond the table limit they would only print nan, so the run is refused.
void check_steady_tables(const RunRequest& o) {
  if (!asks_for(o, {"W_B", "W_B_sym", "S_B"})) return;
  const double table = clebsch_gordan_table_doubles(steady_worst_model(o));
  const double limit = SteadyStateOptions{}.max_table_doubles;
  if (table > limit)
    throw InvalidArgument(fmt::format(
        "{}: steady-state W_B, W_B_sym and S_B need Clebsch-Gordan tables of {:.3g} "
        "doubles at N_B = {}, N_C = {} (limit {:.3g}); leave them out for this size",
        option_name("observables", o.names), table, o.model.n_battery, o.model.n_charger, limit));
}

/// simulate's W_B, W_B_sym, S_B, dS_B_dt and state outputs need Clebsch-Gordan caches; the runner
/// refuses them too, but only after building the thermal mixture (minutes at large N_B).
void check_simulate_tables(const RunRequest& o) {
  if (!o.ensemble.ergotropy && !o.ensemble.entanglement) return;
  const double table = simulate_table_doubles(o.model);
  if (table > o.ensemble.max_table_doubles)
    throw InvalidArgument(fmt::format(
        "{}: W_B, W_B_sym, S_B, dS_B_dt and the state outputs need Clebsch-Gordan "
        "caches of {:.3g} doubles per thread at N_B = {}, N_C = {} (limit {:.3g}); request only "
        "E_B, E_C, P_B, W_open, dark for this size",
        option_name("observables", o.names), table, o.model.n_battery, o.model.n_charger, o.ensemble.max_table_doubles));
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

std::string bytes_text(double bytes) {
  return bytes >= kGiB ? fmt::format("{:.3g} GiB", bytes / kGiB)
                       : fmt::format("{:.3g} MiB", bytes / (1024.0 * 1024.0));
}

}  // namespace

std::string option_name(const std::string& snake, OptionStyle style) {
  if (style == OptionStyle::python) return snake;
  std::string out = "--" + snake;
  std::replace(out.begin(), out.end(), '_', '-');
  return out;
}

double clebsch_gordan_table_doubles(const Model& model) {
  double table = 0;
  for (const auto& s : populated_sectors(model)) table += s.table_size;
  return table;
}

Model steady_worst_model(const RunRequest& o) {
  Model m = o.model;
  for (double t : o.temperatures) m.nbar = std::max(m.nbar, nbar_from_temperature(t, m.omega));
  for (double n : o.nbar_values) m.nbar = std::max(m.nbar, n);
  return m;
}

bool steady_nonlinear_computed(const RunRequest& o) {
  const bool wanted = o.observables.empty() || asks_for(o, {"W_B", "W_B_sym", "S_B"});
  return wanted && clebsch_gordan_table_doubles(steady_worst_model(o)) <=
                       SteadyStateOptions{}.max_table_doubles;
}

double checkpoint_max_bytes(const RunRequest& o) {
  const Model& m = o.model;
  const EnsembleOptions& e = o.ensemble;
  const WorkLayout layout = work_layout(e);
  const double points = o.grid.points, unit = static_cast<double>(layout.unit_size);
  // Sampled values per row: a few per column (the jump-record statistics keep moments).
  const double width = 8.0 * (e.observables.size() + 8);
  double per_unit = 64 + points * width * 32;  // key, index, counts; the block statistics
  if (e.sector_populations) per_unit += points * m.total_j_count() * 32 + 8;
  double levels = 0, blocks = 0, block_doubles = 0;
  const double jc = m.j_charger();
  for (double jb = m.j_battery(); jb >= 0; jb -= 1) {
    levels += 16 + 8 * (2 * jb + 1);
    const double w = 2 * std::min(jc, jb) + 1, d = std::fabs(jc - jb);
    blocks += 2 * (jc + jb) + 1;
    block_doubles += (2 * d + 1) * w * w + (w - 1) * w * (2 * w - 1) / 3;  // sum of n(M)^2
  }
  if (m.local.any() || o.protocol_bytes > 0) {
    // Local-noise units (local_noise_units.cpp): sums, level populations and the protocol's text.
    const double slots = 11 + m.n_battery / 2;
    // and with S_B the summed states (at most every (j_C, j_B, M) block at every time)
    const double states = e.entanglement ? local_noise::EntanglementSums::serialized_bytes(m, o.grid.points) : 0;
    return (8 << 20) +
           layout.units() * (512 + double(o.protocol_bytes) + points * (8 * slots + 8 + levels) + states + 16);
  }
  if (e.ergotropy) per_unit += points * (8 + levels);
  if (e.entanglement) per_unit += points * (8 + 32 * blocks + 8 * block_doubles);
  per_unit += e.count_times.size() * (8 + 16 * unit);
  if (e.record_trajectories > 0)
    per_unit += 8 + 28 * std::min<double>(e.record_trajectories, unit) *
                        (m.n_battery + m.n_charger + 100 * jumps_per_trajectory(m, o.grid.t_max));
  // The command line (ARG_MAX is a few MiB) and the framing.
  return (8 << 20) + layout.units() * (per_unit + 16);
}

double physical_memory_gib() {
  const long pages = ::sysconf(_SC_PHYS_PAGES), page = ::sysconf(_SC_PAGE_SIZE);
  if (pages <= 0 || page <= 0) return 16;
  return static_cast<double>(pages) * static_cast<double>(page) / kGiB;
}

/// estimate_resources() without the process's own memory.
/// Local-noise trajectories through a protocol: each segment as a run of its model over its
/// duration and output times, the times summed, the memory the largest.
static ResourceEstimate protocol_trajectory_estimate(const RunRequest& o, const Protocol& protocol) {
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

static ResourceEstimate estimate_run(const RunRequest& o, const EnsemblePlan* plan) {
  if (o.command == "simulate") {
    const SamplingChoice choice =
        plan ? plan->sampling : choose_sampling(o.model, o.grid, o.ensemble);
    if (choice.sampling == Sampling::trajectories && plan && plan->protocol)
      return protocol_trajectory_estimate(o, *plan->protocol);
    if (choice.sampling == Sampling::trajectories) {
      ResourceEstimate r = simulate_estimate(o);
      r.trajectories = true;
      return r;
    }
    ResourceEstimate r;
    r.bytes = choice.memory_gib * kGiB;
    r.cpu_seconds = choice.seconds;
    const bool reduced = o.model.local.any() || (plan && plan->protocol);
    r.work = choice.sampling == Sampling::cascade ? "the exact zero-temperature cascade"
             : !reduced                           ? "the exact coupled-basis solver"
             : plan && plan->protocol             ? "the exact reduced Dicke-basis protocol solver"
                                                  : "the exact reduced Dicke-basis solver";
    add_output_cost(o, r);
    return r;
  }
  if (o.command == "exact")
    return o.exact_method == "product" ? exact_estimate(o) : exact_coupled_estimate(o);
  return steady_estimate(o);
}

ResourceEstimate estimate_resources(const RunRequest& o, const EnsemblePlan* plan) {
  ResourceEstimate r = estimate_run(o, plan);
  r.bytes += kProcessBytes;
  return r;
}

void check_rate_scale(const RunRequest& o) {
  const Model& model = o.command == "steady" ? steady_worst_model(o) : o.model;
  const double scale = rate_scale(model);
  if (!(scale <= kMaxRateScale))
    throw InvalidArgument(fmt::format(
        "{} {} with nbar {} ({}) at N_B = {}, N_C = {}: rate scale (the sum of the processes' "
        "largest rates, 2 gamma (2 nbar + 1) (J_max + 1)^2 for the reservoir) = {:.3g} exceeds "
        "{:.0e}; rates this large overflow "
        "double arithmetic (time is in units of 1/gamma: rescale it)",
        option_name("gamma", o.names), model.gamma, model.nbar,
        o.names == OptionStyle::python ? "from nbar/temperature"
        : o.command == "steady"        ? "--nbar-values/--temperatures"
                                       : "--nbar/--temperature",
        model.n_battery, model.n_charger, scale, kMaxRateScale));
  if (o.command != "steady" && !(o.grid.t_max * scale <= kMaxRateTime))
    throw InvalidArgument(fmt::format(
        "{} {:g}: t_max x rate scale = {:.3g} exceeds {:.0e}, where rate x time overflows "
        "double arithmetic; the system has relaxed long before: use `darkcharge steady` for "
        "the values there", option_name("t_max", o.names), o.grid.t_max, o.grid.t_max * scale, kMaxRateTime));
}

ResourceEstimate check_resources(const RunRequest& o, const EnsemblePlan* plan) {
  check_rate_scale(o);
  if (o.command == "exact" && o.exact_method == "product") check_exact_dimension(o);
  if (o.command == "steady") check_steady_tables(o);
  const ResourceEstimate r = estimate_resources(o, plan);
  if (o.command == "simulate" && r.trajectories) check_simulate_tables(o);
  const double max_memory = o.max_memory_gib.value_or(physical_memory_gib());
  // At nbar = 0 the automatic choice leaves the cascade beyond its time budget (e.g. at
  // 10^7 output times); trajectories may then be far beyond the limits: say what the
  // cascade would cost.
  std::string cascade;
  if (o.command == "simulate" && r.trajectories && o.model.nbar == 0.0 && !o.model.local.any() &&
      o.ensemble.sampling == Sampling::automatic) {
    const CoupledExactCost cost = CascadeSampler::cost(o.model, o.grid, o.ensemble);
    cascade = fmt::format(" (the exact cascade, {}, was estimated at {:.3g} s on one "
                          "core, beyond the automatic budget)",
                          o.names == OptionStyle::python ? "sampling=\"cascade\"" : "--sampling cascade",
                          cost.seconds);
  }
  const std::string sizes =
      o.command == "steady"
          ? option_name(o.names == OptionStyle::cli ? "temperatures" : "temperature", o.names)
          : option_name("points", o.names) + ", " + option_name("trajectories", o.names);
  if (!(r.bytes <= max_memory * kGiB))
    throw InvalidArgument(fmt::format(
        "{0}: this run needs an estimated {1} (upper bound), more than the limit of "
        "{2:.3g} GiB{5}; use fewer {3} or {4}, or raise {0}",
        option_name("max_memory", o.names), bytes_text(r.bytes), max_memory, sizes,
        option_name("observables", o.names), cascade));
  const double hours = r.cpu_seconds / 3600;
  // With target errors the trajectory count is a cap the run stops short of once the
  // targets hold (checked after ~256 trajectories and then every 25% more): the estimate
  // at the cap is an upper bound, not a reason to refuse.
  const bool stops_early = o.command == "simulate" && r.trajectories && !o.ensemble.target_errors.empty();
  if (!stops_early && !(hours <= o.max_cpu_hours))
    throw InvalidArgument(fmt::format(
        "{0}: this run needs an estimated {1:.3g} CPU core-hours ({2}; rough, to a "
        "factor of a few), more than the limit of {3:.3g}{4}; reduce the run or raise {0}",
        option_name("max_cpu_hours", o.names), hours, r.work, o.max_cpu_hours, cascade));
  return r;
}

}  // namespace darkcharge
