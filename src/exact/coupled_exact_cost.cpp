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
/// At nbar > 0 (calibration in bench/README.md, "Cost estimate of the chains" and "The cost
/// estimate re-fitted on 31 runs"): one row of the rational exponential (one tridiagonal row
/// of 7 complex poles, with its rates), and the rows of the intervals that fail the one-step
/// check (halved until they agree; counted per interval as k / (1 + (kFewSubsteps / k)^4)
/// with the k = h |A_ii| / 3 substeps of the cruder fallback, each k counting kFailedShare
/// rows: halving to pieces short enough costs rows ~ k; counted in the solver, the rows
/// redone stay 0.1-0.3x the checked ones up to k ~ 20 (N_B = 10-50, N_C = 10 N_B, default
/// grid: taken up by kSecondsPerRow) and grow steeply beyond, 0.6x at k ~ 25 and 3x at
/// k ~ 40, 100/1000); kSetupSeconds per run (the process, the held pairs, the output); one
/// populated M x n h of the whole product blocks and one populated M x n^2 h of the Q blocks
/// (S_B); with W_B alone, one n h^2 / 2 per populated M (the diagonal of P^M from h^2 / 2
/// entries). Fitted by non-negative least squares in the relative error to the one-thread
/// CPU time of 31 runs (2026-12-07, at 6809a1f's solver: N_B/N_C = 2/10 to 100/1000, nbar
/// 0.1 and 0.5, default, 9, 161, 1001 and 10^5 points, explicit times, 10x t_max, E_B alone
/// and with W_B, the ground battery; two runs side by side on the 2 cores), then x 1.1:
/// 0.40-1.58x of those CPU times (the old constants: 0.37-1.95x), 0.84-1.54x on the default
/// grid at N_C = 10 N_B, N_B = 10-100.
/// (k^0.5-k^2 and kFewSubsteps 10-80 were tried: k with 40 gave the narrowest range.) The
/// 0.40x, a ground battery, is what kSecondsPerEigenUnit below then mended: 0.60-1.58x.
/// (The forms n^2 h / 2 + n h^2 per M for the whole product and n^3 / 3 per Q block were
/// tried in an earlier fit: it gave them no weight beside these.)
constexpr double kSecondsPerRow = 1.74e-8;
constexpr double kFailedShare = 0.552;
constexpr double kFailingExponent = 1;
constexpr double kSetupSeconds = 0.096;
constexpr double kSecondsPerProductUnit = 5.95e-9;
constexpr double kSecondsPerNegativityUnit = 1.19e-10;
constexpr double kSecondsPerDiagonalUnit = 3.40e-10;
/// The eigenvalue path of the Q blocks that fail the Cholesky test (an entangled sector):
/// per n^3 of a block, counted as the sector's initial weight times its populated M (so a
/// ground battery, one sector of weight 1, takes it everywhere; a thermal battery's sectors
/// are light and their blocks pass). Counted in the solver: 70% of a ground battery's time at
/// nbar 0.5 (perf), ~200 blocks per grid time at N_B = 20-50, N_C = 10 N_B, none of size > 2
/// with a thermal battery. Fitted to the ground battery at N_B = 10-100, N_C = 10 N_B (one
/// thread): 0.52-1.28x of its CPU time, where the estimate without it gave 0.32-0.61x.
constexpr double kSecondsPerEigenUnit = 1.5e-10;
/// Each of W_B and S_B also costs this per sector and grid time whatever its size (N_B = 2,
/// N_C = 10, 10^5 points, measured in an earlier fit: E_B 1.22 s, + W_B 2.45 s, + S_B 3.73 s,
/// two sectors, i.e. ~6e-6 s each). Re-fitted with the rest to 1.22e-5 s, about twice those
/// increments, though that run as a whole is estimated at 1.21x of its CPU time (5.54 s
/// against 4.6 s).
constexpr double kSecondsPerSectorTime = 1.22e-5;
/// The time profile of the chains' work (chain_work), fitted to the rows of the rational
/// exponential counted in the solver (every pair built) at N_B/N_C = 10/100, 20/200, 30/300,
/// nbar 0.1 and 0.5, on the default grid, 9, 51 and 1001 points, 10x the default t_max and
/// explicit times: within 0.68-1.41x of every count, 1.58-1.76x at 50/500 (held out), before
/// the factor s below. T = ln N / (gamma (nbar + 1) N) is the superradiant time. A window
/// spans its whole chain until kBurstEnd T s, then shrinks over kWindowDecay T s to the
/// chain's thermal tail (the levels above its bottom until its weight, falling by
/// (nbar + 1) / nbar per level, reaches kNegligible), s = (ln 110 / ln N)^2: the windows'
/// decay time counted in the solver was 3.6, 3.0, 2.5, 2.05 T at N = 110, 220, 330, 550, and
/// kWindowDecay s gives 4, 3.0, 2.6, 2.2 T. (Fitted when kNegligible was 1e-24; with 1e-18
/// the estimates measured 1.26x the CPU time at N_B = 100, N_C = 1000 and 1.8x at 50/500,
/// bench/README.md.)
constexpr double kBurstEnd = 2;
constexpr double kWindowDecay = 4;
/// An interval fails the one-step check (and is halved until its halves agree; the cruder
/// fallback took k = h |A_ii| / 3 substeps, which failing_substeps counts from) for a
/// fraction kFailing exp(-t / settle) of the chains at its start t, settle =
/// kSettle (2 nbar + 1) / (gamma (nbar + 1) N) (counted: the failing fraction falls 2x in
/// 0.3-0.8 T, faster at lower nbar and larger N); only chains heavier than kFailingWeight
/// fail (the check's 1e-13 against a 2e-14 error times the chain's weight: lighter chains
/// never did), and few substeps rarely (x k^4 / (k^4 + kFewSubsteps^4): the rows redone
/// grow steeply beyond k ~ 20, and most heavy chains of the burst fail at k ~ 40).
constexpr double kFailing = 0.8;
constexpr double kSettle = 1.8;
constexpr double kFailingWeight = 1e-12;
constexpr double kFewSubsteps = 40;
/// A coherence chain (J != J') dies when its entries fall below the solver's negligible
/// level (kNegligible) from its initial weight, at the rate gap of its two
/// ladders at the bottom, kDeathRate gamma (2 nbar + 1) (J + J' + 1) (J' - J).
constexpr double kDeathRate = 1;
/// Rows per grid interval and window entry, in rows of a substep (advance_pair in
/// coupled_exact_steps.cpp): 1.5 rational exponentials (one step over two intervals checked
/// against the two steps kept), and with them the copies of the check and the rates of each
/// step: counted at one thread, E_B alone, nbar 0.5, 42 ns per row of a pair's three
/// exponentials (20/200, 1001 points: 79.9 M rows in 3.40 s), 25 ns per row of the
/// intervals redone after a failed check (50/500 and 30/300, 9 points: 75 and 24 M rows).
constexpr double kStepsPerInterval = 1.5 * 42.0 / 25.0;
/// The most runs of intervals an explicit time list's substeps are summed over per chain
/// (chain_work): ~10 us per chain, 0.3 s for the 32,000 chains of N_B = 100, N_C = 1000.
constexpr int kSubstepGroups = 256;

/// head (1 + q + ... + q^(n - 1)), q = exp(-x), exact also for x -> 0.
double geometric(double head, double x, int n) {
  return x > 0 ? head * std::expm1(-n * x) / std::expm1(-x) : head * n;
}

/// Sums over the grid's interval starts (propagation) or points (nonlinear columns) of the
/// time profiles of chain_work: how many fall in [a, b), and the sum over those after `from`
/// of exp(-(t - from) / tau). Closed forms on an equally spaced grid (up to 1e8 points),
/// prefix sums of the explicit times otherwise.
class GridSums {
 public:
  GridSums(const TimeGrid& grid, bool intervals, double from, double tau)
      : grid_(grid), n_(intervals ? grid.points - 1 : grid.points), from_(from), tau_(tau) {
    if (grid.equally_spaced()) return;
    prefix_.assign(n_ + 1, 0.0);
    for (int i = 0; i < n_; ++i)
      prefix_[i + 1] =
          prefix_[i] + (grid.times[i] >= from ? std::exp(-(grid.times[i] - from) / tau) : 0);
  }
  int size() const { return n_; }
  bool uniform() const { return grid_.equally_spaced(); }
  double time(int i) const { return grid_.time(i); }
  double step(int i) const { return grid_.time(i + 1) - grid_.time(i); }
  /// First index whose time is >= t (size() if none).
  int first(double t) const {
    if (t <= 0) return 0;
    if (grid_.equally_spaced())
      return static_cast<int>(std::min<double>(n_, std::ceil(t / grid_.step() - 1e-9)));
    const auto it = std::lower_bound(grid_.times.begin(), grid_.times.begin() + n_, t);
    return static_cast<int>(it - grid_.times.begin());
  }
  double count(double a, double b) const { return std::max(0, first(b) - first(a)); }
  /// Sum of exp(-(t - from) / tau) over the indices with from <= t < b.
  double decay(double b) const {
    const int i0 = first(from_), i1 = first(b);
    if (i1 <= i0) return 0.0;
    if (!grid_.equally_spaced()) return prefix_[i1] - prefix_[i0];
    return geometric(std::exp(-(i0 * grid_.step() - from_) / tau_), grid_.step() / tau_, i1 - i0);
  }

 private:
  const TimeGrid& grid_;
  int n_;
  double from_, tau_;
  std::vector<double> prefix_;
};

/// Rows per window entry of one interval whose one-step check fails (k = h |A_ii| / 3 rounded
/// up: the substeps short enough to need no check), times the fraction of chains that fail
/// it at the start of the burst.
double failing_substeps(double k_exact) {
  const double k = std::ceil(k_exact);
  // 0 for k = 0 (no substep)
  return kFailing * kFailedShare * std::pow(k, kFailingExponent) /
         (1 + std::pow(kFewSubsteps / k, 4));
}

/// The work one held chain costs over the grid (advance_pair() in coupled_exact_steps.cpp:
/// one step over two intervals and one step per interval, plus the substeps of the
/// intervals that fail the check): the rows the rational exponential solves (its cost per
/// call is linear in them; a fixed cost per call made the fit worse). Until `burst` its
/// window spans the chain (length 2J + 1), then its thermal tail (`tail` levels) plus what
/// is left of the spread, decaying over tau (`intervals` sums from the burst's end); a
/// coherence chain stops at its death time. fastest_start, fastest: -A_ii at the top of the
/// chain's start and in the middle of its ladder.
double chain_work(const GridSums& intervals, double length, double tail, double burst,
                  double settle, double death, double weight, double fastest_start,
                  double fastest) {
  tail = std::min(length, tail);
  double rows = kStepsPerInterval * length * intervals.count(0, std::min(burst, death));
  rows += kStepsPerInterval * tail * intervals.count(burst, death);
  rows += kStepsPerInterval * (length - tail) * intervals.decay(death);
  if (weight < kFailingWeight || intervals.size() == 0) return rows;
  // Substeps of the intervals that fail the check: the first starts with the window at the
  // top of the ladder, later ones reach its middle; the failing fraction falls as
  // exp(-t / settle) (from 30 settle on, below 1e-13).
  double substeps = failing_substeps(fastest_start * intervals.step(0) / 3);
  const int last = intervals.first(std::min(death, 30 * settle));
  if (intervals.uniform() && last > 1) {
    const double h = intervals.step(1);
    substeps += geometric(std::exp(-h / settle), h / settle, last - 1) *
                failing_substeps(fastest * h / 3);
  } else {
    // An explicit list may hold millions of times: at most kSubstepGroups runs of
    // consecutive intervals, each counted as its size times its middle interval's failing
    // fraction at its mean step (this runs once per held chain, before any refusal).
    const int runs = std::min(last - 1, kSubstepGroups);
    for (int g = 0; g < runs; ++g) {
      const int i = 1 + static_cast<int>(static_cast<long long>(last - 1) * g / runs);
      const int end = 1 + static_cast<int>(static_cast<long long>(last - 1) * (g + 1) / runs);
      const double mean_step = (intervals.time(end) - intervals.time(i)) / (end - i);
      substeps += (end - i) * std::exp(-intervals.time((i + end) / 2) / settle) *
                  failing_substeps(fastest * mean_step / 3);
    }
  }
  return rows + length * substeps;
}

/// The initial state's battery sectors j_B, ascending.
std::vector<double> battery_sectors(const Model& model) {
  std::vector<double> out;
  for (const auto& sector : coupled_exact::levels_by_sector(model)) out.push_back(sector.first);
  return out;
}

/// How many grid times keep their state, at most (times that share their nearest grid time
/// keep one; the times are checked where they are used, naming the option as each front end
/// spells it).
double kept_states(const TimeGrid& grid, const CoupledExactOptions& options) {
  return std::min<double>(static_cast<double>(options.state_times.size()), grid.points);
}

}  // namespace

using coupled_exact::kNegligible;
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
  // The states kept at --state-times (CoupledExactResult::density): each battery sector's
  // blocks (j_B, M) in the product basis, n_M x n_M (measured: 12.6 MB a state at N_B = 30,
  // N_C = 300, nbar 0.5 thermal, and 62 MB at N_B = 100, N_C = 1000 ground); and (cascade)
  // per M one Clebsch-Gordan transform, ~n^3 / 2 (0.4 s a state at 100/1000 ground).
  const std::vector<double> j_batteries = battery_sectors(model);
  const double states = kept_states(grid, options);
  doubles += states * block_diagonal_size(j1, j_batteries);
  if (uses_cascade(model, options)) {
    const InitialState level = initial_mixture(model).front().state;
    cost.method = "zero-temperature cascade";
    const double table = zero_temperature_cascade_doubles(model, level.j_battery, level.m_battery);
    const double levels = j1 + level.m_battery + j1 + level.j_battery + 1, n_j = table / levels;
    cost.size = fmt::format("{} levels M x {} total J", levels, n_j);
    doubles += 1.1 * table + points * levels + 8 * n_j;  // weights, P(M, t), scratch
    const double n_b = 2 * std::min(j1, level.j_battery) + 1;
    flops += states * (2 * (j1 + level.j_battery) + 1) * n_b * n_b * n_b / 2;
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
    // ~0.1 s at N_B = 100). At nbar > 0 each costs the rows of its rational exponentials
    // (chain_work: its windows through and after the burst, the substeps of the intervals that
    // fail the one-step check, its death if a coherence), and each sector's nonlinear columns
    // cost per grid time and populated M a product block P^M (~ n h, h <= n the J held in any
    // pair) and, for S_B, Q blocks (Cholesky, ~ n^2 h; the eigenvalue path, ~ n^3, in
    // proportion to the sector's weight), with n = 2 min(j_C, j_B) + 1 and the populated M
    // every M of the sector through the burst, then the ladder bottoms plus the thermal tail;
    // W_B alone only the diagonal of each P^M; and kSetupSeconds per run. Measured (one
    // thread, bench/README.md, "The cost estimate re-fitted on 31 runs"): 31 runs of
    // 0.1-112 s, N_B = 2-100.
    // Memory: the Clebsch-Gordan columns each sector keeps for its populated M, the span of
    // the J held there (counted as that of the J held in any pair, at every M of the sector:
    // 1.53 GiB estimated in all at N_B = 100, N_C = 1000 thermal, 945 MiB peak RSS), in the
    // sectors cached_sectors() grants a cache. At nbar = 0 (the cascade turned off) the
    // pure-death chains take substeps (h |A_ii| <= 3) that average out to a fixed cost per
    // chain entry and grid step, and every M is counted.
    cost.method = "birth-death chains";
    double chains = 0, longest = 0, entries = 0, largest_sector = 0, nonlinear = 0;
    double cached_columns = 0, rows = 0, weights = 0;
    // The product-basis blocks are formed at every grid time for the nonlinear columns, and
    // at the state times in any case (with the Clebsch-Gordan columns and buffers of each).
    const bool blocks = options.nonlinear || states > 0;
    const std::vector<char> cached =
        blocks ? coupled_exact::cached_sectors(j1, j_batteries) : std::vector<char>();
    std::size_t sector_index = 0;
    // The time profile of the chains' work at nbar > 0 (chain_work): T the superradiant time,
    // window_late: the thermal tail of unit weight, for the populated M of the nonlinear columns.
    const double n_spins = model.n_charger + model.n_battery;
    const double down = model.emission_rate() / 2, up = model.absorption_rate() / 2;
    const double superradiant = std::log(n_spins) / (model.gamma * (model.nbar + 1) * n_spins);
    const double shrink = std::pow(std::log(110.0) / std::log(n_spins), 2);
    const double burst = kBurstEnd * superradiant * shrink;
    const double tau = kWindowDecay * superradiant * shrink;
    const double settle =
        kSettle * (2 * model.nbar + 1) / (model.gamma * (model.nbar + 1) * n_spins);
    const double window_late =
        model.nbar > 0 ? std::log(1 / kNegligible) / std::log((model.nbar + 1) / model.nbar) : 0;
    const GridSums intervals(grid, true, burst, tau), grid_points(grid, false, burst, tau);
    const int widest = coupled_exact::widest_gap(options);
    for (const auto& [j2, levels] : levels_by_sector(model)) {
      const double j_low = std::fabs(j1 - j2);
      double sector_entries = 0;
      std::vector<char> held_j;  // the J held in some pair: the rank of each P^M at most
      std::vector<std::vector<double>> weighted;
      for (const auto& [a, b] :
           coupled_exact::held_pairs(model, j2, levels, widest, &weighted)) {
        const double J = j_low + a, Jp = j_low + b, length = 2 * J + 1;
        chains += 1;
        longest = std::max(longest, length);
        sector_entries += length;
        weights += length * coupled_exact::linear_weight_kinds(b - a);
        if (held_j.size() <= static_cast<std::size_t>(b)) held_j.resize(b + 1, 0);
        held_j[a] = held_j[b] = 1;
        if (model.nbar == 0) continue;
        // The chain's decay rate -A_ii (Rates::diagonal in coupled_exact_steps.hpp) in the
        // middle of its ladder and at the lowest start (j_C - j_B, 8 margin levels below).
        const auto fastest_at = [&](double M) {
          const double m = std::max(-J, M);
          return down * (lowering_squared(J, m) + lowering_squared(Jp, m)) +
                 up * (raising_squared(J, m) + raising_squared(Jp, m));
        };
        double weight = 0;
        for (const auto& w : weighted) weight += std::fabs(w[a] * w[b]);
        const double death =
            b == a ? 1e300
                   : std::log(std::max(1.0, weight / kNegligible)) /
                         (kDeathRate * model.gamma * (2 * model.nbar + 1) * (J + Jp + 1) * (b - a));
        // The chain's thermal tail: the levels above the bottom until its weight falls below
        // kNegligible.
        const double tail =
            std::log(std::max(1.0, weight / kNegligible)) / std::log((model.nbar + 1) / model.nbar);
        rows += chain_work(intervals, length, tail, burst, settle, death, weight,
                           fastest_at(j1 - j2 - 8), std::max(fastest_at(0), fastest_at(0.5)));
      }
      const double held = static_cast<double>(std::count(held_j.begin(), held_j.end(), 1));
      entries += sector_entries;
      const double n = 2 * std::min(j1, j2) + 1, m_count = 2 * (j1 + j2) + 1;
      // The cache holds, per populated M, the span of the J held there (HeldColumns): at
      // most that of the J held in any pair, at every M at once.
      if (blocks && cached[sector_index++]) {
        const auto first = std::find(held_j.begin(), held_j.end(), 1);
        const auto past_last = std::find(held_j.rbegin(), held_j.rend(), 1).base();
        cached_columns += m_count * n * static_cast<double>(past_last - first);
      }
      if (blocks) largest_sector = std::max(largest_sector, m_count * n * n + 2 * sector_entries);
      // Whole P^M at the state times where the grid times form less (W_B alone: the diagonal).
      if (!options.nonlinear || !options.negativity)
        nonlinear += kSecondsPerProductUnit * states * m_count * held * n;
      if (options.nonlinear) {
        if (model.nbar == 0) {
          nonlinear += kSecondsPerNonlinearUnit * points * m_count * n * n *
                       (options.negativity ? 1.0 : 0.5);
          continue;
        }
        // Populated M x the J populated at each, per grid time: every M of the sector and
        // every held J through the burst; at t = 0 and after it the ladder bottoms (or the
        // starting levels) plus the thermal tail, where an M holds only the J whose bottoms lie
        // within a tail of it, the spread decaying like the chains' windows.
        const double late_m = std::min(m_count, n + window_late);
        const double late_h = std::min(held, std::max(1.0, window_late));
        const auto over_grid = [&](double burst_value, double late_value) {
          return burst_value * (grid_points.count(0, burst) - 1) +
                 late_value * (grid_points.count(burst, 1e300) + 1) +
                 (burst_value - late_value) * grid_points.decay(1e300);
        };
        nonlinear += kSecondsPerSectorTime * points;
        if (!options.negativity) {  // W_B alone: the diagonal of each P^M
          nonlinear += kSecondsPerDiagonalUnit *
                       over_grid(m_count * n * held * held / 2, late_m * n * late_h * late_h / 2);
          continue;
        }
        const double populated = over_grid(m_count * held, late_m * late_h);
        nonlinear += kSecondsPerProductUnit * populated * n +
                     kSecondsPerNegativityUnit * populated * n * n + kSecondsPerSectorTime * points;
        // The Q blocks whose partial transpose is not positive (an entangled sector) take the
        // eigenvalue path: counted as the sector's initial weight times its populated Q blocks.
        double sector_weight = 0;
        for (const auto& level : levels) sector_weight += level.second;
        nonlinear +=
            kSecondsPerEigenUnit * sector_weight * over_grid(m_count, late_m) * n * n * n;
      }
    }
    // The chains and their linear weights, the cached Clebsch-Gordan columns, one sector's
    // blocks per thread (each keeps its buffers: the Q blocks for S_B and the P^M for the
    // states, n (n + 1) / 2 per M each), scratch (the states are counted above);
    // x 1.3 for what the allocator holds beyond them. At nbar > 0 the chains at the middle
    // time of each pair of intervals (advance_pair) are kept as well: at most every entry
    // again. Measured against peak RSS in bench/README.md ("The memory estimate").
    const double chain_copies = model.nbar > 0 ? 2 : 1;
    doubles += 1.3 * (chain_copies * entries + weights + cached_columns +
                      omp_get_max_threads() * largest_sector + 64 * longest);
    const double propagation =
        model.nbar > 0
            ? kSetupSeconds + kSecondsPerRow * rows
            : kSecondsPerChainEntry * entries * (points - 1);
    seconds_direct = propagation + nonlinear;
    cost.size = fmt::format("{} chains of length <= {}", chains, longest);
  }
  cost.memory_gib = 8 * doubles / kGiB;
  cost.seconds = flops * kSecondsPerFlop + units * kSecondsPerUnit + seconds_direct;
  return cost;
}

}  // namespace darkcharge
