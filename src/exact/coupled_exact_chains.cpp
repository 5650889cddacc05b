// nbar > 0 (or several initial levels): the averaged state in the coupled basis splits
// into one birth-death chain in M per pair (J, J') of each battery sector. Each chain is
// advanced over the grid's intervals, two at a time where they are of about the same length,
// by checked rational-exponential steps on its window of entries that are not negligible
// (coupled_exact_steps.cpp); this file builds the chains and observes them.
//
// Why windows: a chain's l1 norm never grows (a level loses at least what it passes on), so
// a pair that starts negligible stays negligible and is never built, and an entry below
// kNegligible can only feed neighbours below it. The state is narrow in M before and after
// the superradiant burst (near its starting level, then near the bottom of each ladder),
// so most steps touch a few dozen entries of each chain, not 2J + 1.
#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <memory>

#include <omp.h>

#include "darkcharge/physics/initial_state.hpp"
#include "exact/coupled_exact_internal.hpp"
#include "exact/coupled_exact_steps.hpp"

namespace darkcharge::coupled_exact {
namespace {

/// What entry i of a chain with J' - J <= 2 adds to the linear columns, per unit of r(i),
/// by kind (linear_weight_kinds(gap) numbers per entry): they depend on (J, J', M) only,
/// and evaluated afresh at every grid time (square roots and quotients of the Clebsch-Gordan
/// algebra) they were 8% of a thermal run's CPU time at N_B = 50, N_C = 500.
struct LinearWeights {
  std::vector<double> w;  // entry i's kinds at w[linear_weight_kinds(gap) i ..]
};

struct Sector {
  double j_battery;
  std::vector<PairChain> chains;  // the non-negligible pairs only
  std::vector<LinearWeights> linear;  // by chain; empty for J' - J > 2
  std::size_t first = 0;              // index of chains[0] among all sectors' chains
};

}  // namespace

int widest_gap(const CoupledExactOptions& options) {
  return options.nonlinear || !options.state_times.empty() ? std::numeric_limits<int>::max() : 2;
}

std::vector<std::pair<int, int>> held_pairs(const Model& model, double j_battery,
                                            const std::vector<std::pair<double, double>>& levels,
                                            int widest_gap,
                                            std::vector<std::vector<double>>* weighted_out) {
  const double j1 = model.j_charger(), j_low = std::fabs(j1 - j_battery);
  const int n = count(j1 + j_battery - j_low) + 1;
  std::vector<std::vector<double>> weighted(levels.size());  // sqrt(p) c_J by level, J index
  for (std::size_t l = 0; l < levels.size(); ++l) {
    const auto [m_b, p] = levels[l];
    weighted[l].resize(n);
    for (int a = 0; a < n; ++a)
      weighted[l][a] = std::sqrt(p) * clebsch_gordan_charger_up(j1, j_battery, m_b, j_low + a);
  }
  // Largest sqrt(p) |c_J| over levels: a pair is held when some level gives it more than
  // kNegligible (checked exactly below for the candidates this bound lets through).
  std::vector<double> largest(n, 0.0);
  for (const auto& w : weighted)
    for (int a = 0; a < n; ++a) largest[a] = std::max(largest[a], std::fabs(w[a]));
  std::vector<std::pair<int, int>> out;
  for (int a = 0; a < n; ++a) {
    if (largest[a] * largest[a] <= kNegligible && largest[a] <= kNegligible) continue;
    for (int b = a; b < n && b - a <= widest_gap; ++b) {
      if (largest[a] * largest[b] <= kNegligible) continue;
      for (const auto& w : weighted)
        if (std::fabs(w[a] * w[b]) > kNegligible) {
          out.emplace_back(a, b);
          break;
        }
    }
  }
  if (weighted_out) *weighted_out = std::move(weighted);
  return out;
}

namespace {

/// The chains of one battery sector with their initial values
/// r_JJ'(M0) = sum_levels p c_J c_J', c_J = <j_C j_C; j_B m_B|J M0>; pairs whose every
/// initial value is negligible are left out (they stay negligible), and those wider than
/// `widest_gap` (the run reads none of them).
Sector sector_chains(const Model& model, double j_battery,
                     const std::vector<std::pair<double, double>>& levels, int widest_gap) {
  const double j1 = model.j_charger(), j_low = std::fabs(j1 - j_battery);
  std::vector<std::vector<double>> weighted;
  const auto pairs = held_pairs(model, j_battery, levels, widest_gap, &weighted);
  Sector sector{j_battery, {}, {}};
  std::vector<double> start(levels.size());
  for (const auto& [a, b] : pairs) {
    for (std::size_t l = 0; l < levels.size(); ++l) start[l] = weighted[l][a] * weighted[l][b];
    PairChain c;
    c.J = j_low + a;
    c.Jp = j_low + b;
    c.r.assign(count(2 * c.J) + 1, 0.0);
    for (std::size_t l = 0; l < levels.size(); ++l) {
      const double M0 = j1 + levels[l].first;
      if (c.J < std::fabs(M0) - 0.25) continue;
      c.r[count(M0 + c.J)] += start[l];
    }
    trim_window(c, 0, c.length() - 1);
    if (c.alive()) sector.chains.push_back(std::move(c));
  }
  return sector;
}

/// The linear weights of a chain (empty for J' - J > 2: the linear columns read none).
LinearWeights linear_weights(const Model& model, const Rates& rates, double j_battery,
                             const PairChain& c) {
  const double j1 = model.j_charger(), j2 = j_battery;
  LinearWeights out;
  const int gap = count(c.Jp - c.J);
  if (gap > 2) return out;
  const int kinds = linear_weight_kinds(gap);
  out.w.resize(static_cast<std::size_t>(c.length()) * kinds);
  // (J_B^z)^2 links J to J, J +- 1, J +- 2: pairs off the diagonal count twice (r is
  // symmetric).
  const double twice = gap == 0 ? 1.0 : 2.0;
  auto x_diagonal = [&](int i) { return battery_jz_diagonal(j1, j2, c.J, c.m(i)); };
  // J_B^z links J and J + 1 (both >= |M| here).
  auto x_link = [&](int i) { return 2 * battery_jz_offdiagonal(j1, j2, c.Jp, c.m(i)); };
  for (int i = 0; i < c.length(); ++i) {
    double* w = out.w.data() + static_cast<std::size_t>(i) * kinds;
    const double M = c.m(i), squared = twice * battery_jz_squared_element(j1, j2, c.J, c.Jp, M);
    if (gap == 0) {
      w[0] = M;
      w[1] = x_diagonal(i);
      w[2] = rates.adjoint(c, i, x_diagonal);
      w[3] = lowering_squared(c.J, M);
      w[4] = raising_squared(c.J, M);
      w[5] = squared;
    } else if (gap == 1) {
      w[0] = x_link(i);
      w[1] = rates.adjoint(c, i, x_link);
      w[2] = squared;
    } else {
      w[0] = squared;
    }
  }
  return out;
}

/// Chain k of the sector as the observers read it: its own entries, or (`middle` not null)
/// those kept aside for the middle time of a pair of intervals (by chain index among all
/// sectors' chains).
ChainView view(const Sector& sector, std::size_t k, const std::vector<ChainSnapshot>* middle) {
  const PairChain& c = sector.chains[k];
  if (middle == nullptr) return {c.J, c.Jp, c.lo, c.hi, c.r.data() + c.lo};
  const ChainSnapshot& m = (*middle)[sector.first + k];
  return {c.J, c.Jp, m.lo, m.hi, m.window.data()};
}

/// The sector's chains that are not negligible, as view() reads them.
std::vector<ChainView> views(const Sector& sector, const std::vector<ChainSnapshot>* middle) {
  std::vector<ChainView> out;
  out.reserve(sector.chains.size());
  for (std::size_t k = 0; k < sector.chains.size(); ++k) {
    const ChainView v = view(sector, k, middle);
    if (v.lo <= v.hi) out.push_back(v);
  }
  return out;
}

/// Linear observables of one sector from its chains (`middle`: see view()).
void observe_linear(const Model& model, const Sector& sector,
                    const std::vector<ChainSnapshot>* middle, Snapshot& s) {
  const bool symmetric = sector.j_battery == model.j_battery();
  const double j_top = model.j_charger() + sector.j_battery;
  for (std::size_t k = 0; k < sector.chains.size(); ++k) {
    const LinearWeights& weights = sector.linear[k];
    const ChainView c = view(sector, k, middle);
    if (c.lo > c.hi || weights.w.empty()) continue;
    const int gap = count(c.Jp - c.J);
    const int kinds = linear_weight_kinds(gap);
    const double* w = weights.w.data() + static_cast<std::size_t>(c.lo) * kinds;
    const double* r = c.window;
    const int n = c.hi - c.lo + 1;
    if (gap == 0) {
      double sums[6] = {0, 0, 0, 0, 0, 0};
      for (int i = 0; i < n; ++i, w += 6)
        for (int kind = 0; kind < 6; ++kind) sums[kind] += w[kind] * r[i];
      s.jz_total += sums[0];
      s.jz_battery += sums[1];
      s.power += sums[2];
      s.emission += sums[3];
      s.absorption += sums[4];
      s.jz_battery_squared += sums[5];
      // |J, -J> (index 0) is dark; the all-down state (J = j_C + j_B of the symmetric
      // sector) is not.
      if (c.lo == 0 && !(symmetric && c.Jp == j_top)) s.dark += r[0];
    } else if (gap == 1) {
      double sums[3] = {0, 0, 0};
      for (int i = 0; i < n; ++i, w += 3)
        for (int kind = 0; kind < 3; ++kind) sums[kind] += w[kind] * r[i];
      s.jz_battery += sums[0];
      s.power += sums[1];
      s.jz_battery_squared += sums[2];
    } else {
      double sum = 0;
      for (int i = 0; i < n; ++i) sum += w[i] * r[i];
      s.jz_battery_squared += sum;
    }
  }
}

/// The nonlinear columns (W_B, S_B) and states of every sector at one grid time, with the
/// buffers and Clebsch-Gordan columns kept from one time to the next.
class NonlinearObserver {
 public:
  NonlinearObserver(const Model& model, const std::vector<Sector>& sectors,
                    const CoupledExactOptions& options, bool parallel)
      : model_(model), sectors_(sectors), options_(options), parallel_(parallel) {
    // A Q block of rho^{T_B} whose eigenvalues are all >= -slack counts as positive
    // semidefinite (sector_nonlinear): off by at most 2 slack per row, and the blocks of a
    // sector have (2 j_C + 1)(2 j_B + 1) rows together, so ||rho^{T_B}||_1 moves by at most
    // kBlockBudget at any time; the blocks that fail are tried once more with the same budget
    // spread over their rows alone (sector_nonlinear), and before either the blocks of smallest
    // norm are settled by their norms alone within one more kBlockBudget, so in all by at
    // most 3 kBlockBudget, S_B by at most 4.4 kBlockBudget (the second try: N_B = 100,
    // N_C = 1000, 98.9 -> 91.9 s wall on two threads, S_B moved by 7e-11, <= 1e-10 at 6/30 ..
    // 30/300; the norms: 61 -> 55 s, S_B moved by <= 4.6e-11). The slack (~2e-16 at
    // N_B = 100, N_C = 1000) is above the negative eigenvalues of the size of the negligible
    // chain entries (kNegligible, 1e-18: 200x below it there, ~10x at N_B = 270, N_C = 2700,
    // equal near N_B = 550, N_C = 5500, where blocks would take the exact eigenvalue path
    // more often: slower, not wrong) that they leave in PSD blocks, which failed an exact
    // Cholesky test. The budget is below the accuracy of the chains' steps (S_B at N_B = 100,
    // N_C = 1000 on the default grid is within 5e-11 of a run on a grid twice as fine; 1.6e-8
    // when entries down to 1e-24 were kept) and of the 1e-8 the solver is
    // held to against the product solver: with 1e-12 instead, the blocks whose rounding-level
    // negative eigenvalues the steps' errors had pushed below the slack took the eigenvalue
    // path, 26% of that run (127 s -> 102 s wall on two threads; S_B moved by <= 3e-12).
    constexpr double kBlockBudget = 1e-9;
    double rows = 0;
    for (const auto& sector : sectors)
      rows += (2 * model.j_charger() + 1) * (2 * sector.j_battery + 1);
    eigenvalue_slack_ = kBlockBudget / (2 * rows);
    std::vector<double> j_batteries;
    for (const auto& sector : sectors) j_batteries.push_back(sector.j_battery);
    const std::vector<char> cached = cached_sectors(model.j_charger(), j_batteries);
    for (std::size_t i = 0; i < sectors.size(); ++i) columns_.push_back(make_column_cache(cached[i]));
    for (int t = 0; t < omp_get_max_threads(); ++t) scratch_.push_back(make_nonlinear_scratch());
  }

  /// Adds W_B's and S_B's terms to `s`; `state` (optional) receives rho; `middle`: see
  /// view().
  void observe(Snapshot& s, DensityMatrix* state, const std::vector<ChainSnapshot>* middle) {
    // Several sectors: one sector per thread (few barriers); one sector: its M and Q
    // blocks across threads. Summed in sector order either way.
    const long n_sectors = static_cast<long>(sectors_.size());
    std::vector<SectorNonlinear> parts(n_sectors);
    std::vector<DensityMatrix> states(state != nullptr ? n_sectors : 0);
    const bool across = parallel_ && n_sectors > 1;
    // Widest sectors (largest j_B, last) first: started last, the widest held the other
    // thread idle at every grid time.
#pragma omp parallel for schedule(dynamic) if (across)
    for (long first = 0; first < n_sectors; ++first) {
      const long i = n_sectors - 1 - first;
      parts[i] = sector_nonlinear(model_.j_charger(), sectors_[i].j_battery, views(sectors_[i], middle),
                                  options_.nonlinear && options_.negativity, eigenvalue_slack_,
                                  parallel_ && !across, *scratch_[omp_get_thread_num()],
                                  *columns_[i], state != nullptr ? &states[i] : nullptr);
    }
    for (auto& part : states) state->blocks.merge(part.blocks);
    for (long i = 0; options_.nonlinear && i < n_sectors; ++i) {
      for (const double p : parts[i].level_populations)
        s.battery_spectrum.push_back({sectors_[i].j_battery, p});
      s.trace_norm += parts[i].trace_norm;
    }
  }

 private:
  const Model& model_;
  const std::vector<Sector>& sectors_;
  const CoupledExactOptions& options_;
  bool parallel_;
  double eigenvalue_slack_ = 0;
  std::vector<std::shared_ptr<ColumnCache>> columns_;
  std::vector<std::shared_ptr<NonlinearScratch>> scratch_;
};

}  // namespace

CoupledExactResult solve_with_chains(const Model& model, const TimeGrid& grid,
                                     const CoupledExactOptions& options,
                                     const ProgressCallback& progress) {
  const Rates rates{model.emission_rate() / 2, model.absorption_rate() / 2};
  std::vector<Sector> sectors;
  for (const auto& [j_battery, levels] : levels_by_sector(model)) {
    sectors.push_back(sector_chains(model, j_battery, levels, widest_gap(options)));
    for (const auto& c : sectors.back().chains)
      sectors.back().linear.push_back(linear_weights(model, rates, j_battery, c));
  }
  std::vector<PairChain*> all;
  for (auto& s : sectors) {
    s.first = all.size();
    for (auto& c : s.chains) all.push_back(&c);
  }
  const long n_chains = static_cast<long>(all.size());
  double work = 0;  // entries; small problems stay on one thread (no barriers)
  for (const PairChain* c : all) work += c->length();
  const bool parallel = work > 2e4;
  const std::vector<char> keep_state = marked_indices(grid, options.state_times, "state_times");
  CoupledExactResult result;
  result.density.assign(options.state_times.empty() ? 0 : grid.points, DensityMatrix());
  NonlinearObserver nonlinear(model, sectors, options, parallel);
  std::vector<Snapshot> snapshots(grid.points);
  // Every chain advanced by one interval (dt2 = 0), or by two with `middle` receiving the
  // chains at the first one's end (advance_pair: at nbar > 0, where the steps are checked);
  // the observers read them there.
  std::vector<ChainSnapshot> middle(rates.up > 0 ? n_chains : 0);
  auto advance_all = [&](double dt1, double dt2) {
#pragma omp parallel if (parallel)
    {
      StepScratch step;
#pragma omp for schedule(dynamic, 16)
      for (long i = 0; i < n_chains; ++i) {
        if (dt2 > 0) advance_pair(*all[i], rates, dt1, dt2, step, middle[i]);
        else advance(*all[i], rates, dt1, step);
      }
    }
  };
  // Each sector's linear terms on its own (in parallel: serial, they were 12% of the wall
  // time at N_B = 50, N_C = 500 on two threads), summed in sector order.
  std::vector<Snapshot> linear(sectors.size());
  auto observe = [&](int g, const std::vector<ChainSnapshot>* at) {
    const long n_sectors = static_cast<long>(sectors.size());
#pragma omp parallel for schedule(dynamic) if (parallel && n_sectors > 1)
    for (long i = 0; i < n_sectors; ++i) {
      linear[i] = Snapshot();
      observe_linear(model, sectors[i], at, linear[i]);
    }
    for (const auto& part : linear) snapshots[g].add_linear(part);
    if (options.nonlinear || keep_state[g])
      nonlinear.observe(snapshots[g], keep_state[g] ? &result.density[g] : nullptr, at);
    if (progress) progress(g + 1, grid.points);
  };
  // Two intervals are checked together only when neither is longer than kPairRatio times the
  // other: each kept step then moves weight at most 5/9 as far as the checked one (1/2 for
  // advance()'s half steps). After a much shorter first interval the second's step would be
  // nearly the checked one and could share its error, so agreement would not show accuracy
  // (a precaution: at times 0, 1e-5, 0.04 through the burst of N_B = 4, N_C = 40 the pair
  // gave the same columns; test UnequalIntervalsInTheBurstAgreeWithProduct).
  constexpr double kPairRatio = 1.25;
  auto pairs = [&](int g) {
    if (middle.empty() || g + 1 >= grid.points) return false;
    const double dt1 = grid.time(g) - grid.time(g - 1), dt2 = grid.time(g + 1) - grid.time(g);
    return std::max(dt1, dt2) <= kPairRatio * std::min(dt1, dt2);
  };
  observe(0, nullptr);
  for (int g = 1; g < grid.points;) {
    const double dt1 = grid.time(g) - grid.time(g - 1);
    if (!pairs(g)) {
      advance_all(dt1, 0);
      observe(g++, nullptr);
      continue;
    }
    advance_all(dt1, grid.time(g + 1) - grid.time(g));  // the chains at g + 1, `middle` at g
    observe(g, &middle);
    observe(g + 1, nullptr);
    g += 2;
  }
  result.series = to_series(model, grid, snapshots, options);
  return result;
}

}  // namespace darkcharge::coupled_exact
