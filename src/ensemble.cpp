#include "darkcharge/ensemble.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <exception>
#include <limits>
#include <map>

#include <fmt/format.h>
#include <omp.h>

#include "darkcharge/block_statistics.hpp"
#include "darkcharge/bounded_estimate.hpp"
#include "darkcharge/curve_features.hpp"
#include "darkcharge/errors.hpp"
#include "darkcharge/initial_state.hpp"
#include "darkcharge/nonsmooth_estimate.hpp"
#include "darkcharge/peak_features.hpp"
#include "darkcharge/rare_event_floor.hpp"
#include "darkcharge/trajectory.hpp"

namespace darkcharge {
namespace {

enum LinearObservable { kEnergyBattery, kEnergyCharger, kPowerBattery, kDark, kLinearCount };
const char* const kLinearNames[kLinearCount] = {"E_B", "E_C", "P_B", "dark"};

using LinearRow = std::array<double, kLinearCount>;

/// Battery level populations summed over one block's trajectories: sector j_B -> vector
/// over m_B + j_B. Linear in the trajectories, so leave-one-block-out sums are differences.
using LevelSums = std::map<double, Eigen::VectorXd>;

/// Everything one block of trajectories accumulates, per grid time.
struct BlockAccumulators {
  BlockStatistics linear;
  BlockStatistics sectors;          // population of each total J (if requested)
  std::vector<LevelSums> levels;    // W_B, W_B_sym
  std::vector<DensityMatrix> rho;   // S_B
};

struct Plan {
  const Model& model;
  const TimeGrid& grid;
  const EnsembleOptions& options;
  const ProductBasis* basis;  // null unless ergotropy or entanglement
  double lowest_j;            // lowest total J of the whole space (sector columns)
  int j_count;
};

/// Turns snapshots into per-spin densities (physics.md) and, where requested, product-basis
/// amplitudes, and adds them to one block's accumulators.
class BlockObserver : public TrajectoryObserver {
 public:
  BlockObserver(const Plan& plan, BlockAccumulators& acc)
      : plan_(plan), acc_(acc), linear_only_(!plan.basis && !plan.options.sector_populations) {
    // At nbar = 0 every trajectory starts in the same state and M only decreases, so the
    // state at output time g is a function of M alone: observe it once, then count.
    // Dense table over (g, M) when it is small; plain path otherwise.
    const double m_max = plan.model.j_charger() + plan.model.j_battery();
    m_count_ = static_cast<long>(std::lround(2 * m_max)) + 1;
    if (plan.model.nbar == 0.0 && linear_only_ && m_count_ * plan.grid.points <= kMaxKnownStates)
      by_m_.assign(m_count_ * plan.grid.points, KnownState{});
  }

  bool state_is_function_of_m() const override { return !by_m_.empty(); }

  bool count_if_known(int g, double total_m) override {
    KnownState& known = by_m_[index(g, total_m)];
    if (known.count == 0) return false;
    ++known.count;
    return true;
  }

  void observe(int begin, int end, const Snapshot& s) override {
    const auto v = s.state.linear_values(s.c, s.norm2);
    const LinearRow values = {
        v.battery_jz / plan_.model.n_battery + 0.5,
        (s.state.total_m() - v.battery_jz) / plan_.model.n_charger + 0.5,
        v.power / plan_.model.n_battery,
        v.dark,
    };
    if (!by_m_.empty()) {  // remember the state of (g, M); later trajectories only count
      for (int g = begin; g < end; ++g) {
        KnownState& known = by_m_[index(g, s.state.total_m())];
        if (known.count++ == 0) known.values = values;
      }
      return;
    }
    if (s.frozen && linear_only_) {
      // Final states repeat exactly across trajectories (the dark levels, the ground):
      // count how many trajectories froze in each at each time, add them all in flush().
      std::vector<long>& starts = frozen_[values];
      if (starts.empty()) starts.assign(plan_.grid.points + 1, 0);
      ++starts[begin];
      return;
    }
    acc_.linear.add_rows(begin, end, values.data());
    if (plan_.options.sector_populations) add_sectors(begin, end, s);
    if (plan_.basis) add_product_state(begin, end, s);
  }

  /// Adds what was only counted: the (g, M) states of the nbar = 0 path, and the frozen
  /// tails (a trajectory frozen from index g0 on counts at every g >= g0).
  void flush() {
    for (std::size_t i = 0; i < by_m_.size(); ++i)
      if (by_m_[i].count > 0) {
        const int g = static_cast<int>(i / m_count_);
        acc_.linear.add_rows(g, g + 1, by_m_[i].values.data(), by_m_[i].count);
        by_m_[i].count = 0;
      }
    for (const auto& [values, starts] : frozen_) {
      std::vector<long> active(plan_.grid.points, 0);
      long running = 0;
      for (int g = 0; g < plan_.grid.points; ++g) active[g] = (running += starts[g]);
      acc_.linear.add_weighted_rows(active, values.data());
    }
    frozen_.clear();
  }

 private:
  void add_sectors(int begin, int end, const Snapshot& s) {
    sector_values_.assign(plan_.j_count, 0.0);
    for (int k = s.state.active_begin(); k < s.state.active_end(); ++k)
      sector_values_[std::lround(s.state.j_of(k) - plan_.lowest_j)] = s.c[k] * s.c[k] / s.norm2;
    for (int g = begin; g < end; ++g)
      for (int j = 0; j < plan_.j_count; ++j) acc_.sectors.add(g, j, sector_values_[j]);
  }

  void add_product_state(int begin, int end, const Snapshot& s) {
    const CoupledState& st = s.state;
    const double jb = st.j_battery(), M = st.total_m();
    plan_.basis->to_product(jb, M, s.c + st.first(), st.size() - st.first(), s.norm2, psi_);
    const double m_first = first_battery_level(plan_.model.j_charger(), jb, M);
    const int offset = static_cast<int>(std::lround(m_first + jb));
    for (int g = begin; g < end; ++g) {
      if (plan_.options.ergotropy) {
        Eigen::VectorXd& sums = acc_.levels[g][jb];
        if (sums.size() == 0) sums = Eigen::VectorXd::Zero(std::lround(2 * jb) + 1);
        sums.segment(offset, psi_.size()) += psi_.cwiseAbs2();
      }
      if (plan_.options.entanglement) acc_.rho[g].add_pure(jb, M, psi_);
    }
  }

  struct KnownState {
    long count = 0;
    LinearRow values{};
  };
  static constexpr long kMaxKnownStates = 1 << 18;
  std::size_t index(int g, double total_m) const {
    const double m_max = 0.5 * (m_count_ - 1);
    return std::size_t(g) * m_count_ + static_cast<std::size_t>(std::lround(total_m + m_max));
  }

  const Plan& plan_;
  BlockAccumulators& acc_;
  const bool linear_only_;  // no product-basis state and no sector populations needed
  long m_count_ = 0;
  std::vector<KnownState> by_m_;  // (g, M) -> values and count (nbar = 0 fast path)
  std::map<LinearRow, std::vector<long>> frozen_;  // final values -> count by start index
  Eigen::VectorXd psi_;
  std::vector<double> sector_values_;
};

long block_begin(long n, int blocks, int b) { return n * b / blocks; }
long block_size(long n, int blocks, int b) {
  return block_begin(n, blocks, b + 1) - block_begin(n, blocks, b);
}

/// Runs every trajectory, block by block, in parallel over blocks.
void run_blocks(const Plan& plan, const ProgressCallback& progress,
                std::vector<BlockAccumulators>& acc) {
  const long n = plan.options.trajectories;
  const int block_count = static_cast<int>(acc.size());
  std::atomic<long> done{0};
  std::exception_ptr failure;
  const int threads = plan.options.threads > 0 ? plan.options.threads : omp_get_max_threads();
#pragma omp parallel num_threads(threads)
  {
    CoupledState state;
    std::vector<double> scratch;
#pragma omp for schedule(dynamic, 1)
    for (int b = 0; b < block_count; ++b) {
      try {
        BlockObserver observer(plan, acc[b]);
        for (long k = block_begin(n, block_count, b); k < block_begin(n, block_count, b + 1); ++k) {
          if (plan.options.stop && plan.options.stop->load(std::memory_order_relaxed))
            throw Interrupted("run interrupted before all trajectories finished");
          Rng rng = trajectory_rng(plan.options.seed, static_cast<std::uint64_t>(k));
          const InitialState init = sample_initial_state(plan.model, rng);
          run_trajectory(plan.model, init, plan.grid, rng, observer, state, scratch);
          const long finished = ++done;
          if (progress && omp_get_thread_num() == 0) progress(finished, n);
        }
        observer.flush();
      } catch (...) {
#pragma omp critical(darkcharge_failure)
        if (!failure) failure = std::current_exception();
      }
    }
  }
  if (failure) std::rethrow_exception(failure);
}

Column empty_column(const std::string& name, int points) {
  return {name, std::vector<double>(points), std::vector<double>(points), "standard-error", ""};
}

Column linear_column(const std::string& name, const std::vector<BlockAccumulators>& acc,
                     BlockStatistics BlockAccumulators::*which, int o, int points) {
  std::vector<BlockStatistics> stats;  // the combine() interface takes the block list
  for (const auto& a : acc) stats.push_back(a.*which);
  Column column = empty_column(name, points);
  for (int g = 0; g < points; ++g)
    BlockStatistics::combine(stats, g, o, column.value[g], column.error[g]);
  return column;
}

/// Leave-one-block-out means of linear observable o: replicate[b][g].
std::vector<std::vector<double>> leave_one_out_means(const std::vector<BlockAccumulators>& acc,
                                                     int o, const Column& full) {
  const int points = static_cast<int>(full.value.size());
  std::vector<std::vector<double>> out(acc.size(), std::vector<double>(points));
  for (int g = 0; g < points; ++g) {
    double n = 0;
    for (const auto& a : acc) n += a.linear.count(g, o);
    for (std::size_t b = 0; b < acc.size(); ++b) {
      const double nb = acc[b].linear.count(g, o);
      out[b][g] = (full.value[g] * n - acc[b].linear.mean(g, o) * nb) / (n - nb);
    }
  }
  return out;
}

/// W_B and W_B_sym of the level populations sums / count.
std::pair<double, double> ergotropies(const LevelSums& sums, double count, int n_battery) {
  std::vector<SectorEigenvalue> eig;
  double jz = 0;
  for (const auto& [jb, v] : sums)
    for (int i = 0; i < v.size(); ++i) {
      eig.push_back({jb, v(i) / count});
      jz += (i - jb) * v(i) / count;
    }
  return {ergotropy(eig, jz, n_battery), ergotropy_symmetric(eig, jz, n_battery)};
}

/// levels[g] summed over the included blocks (from the total when fewer are left out).
LevelSums subset_levels(const std::vector<BlockAccumulators>& acc, int g, const LevelSums& total,
                        const std::vector<bool>& included) {
  const long kept = std::count(included.begin(), included.end(), true);
  const bool from_total = 2 * kept > static_cast<long>(included.size());
  LevelSums out;
  if (from_total) out = total;
  for (std::size_t b = 0; b < acc.size(); ++b) {
    if (included[b] == from_total) continue;
    for (const auto& [jb, v] : acc[b].levels[g]) {
      Eigen::VectorXd& sums = out[jb];
      if (sums.size() == 0) sums = Eigen::VectorXd::Zero(v.size());
      if (from_total) sums -= v;
      else sums += v;
    }
  }
  return out;
}

/// rho[g] summed over the included blocks, likewise.
DensityMatrix subset_density(const std::vector<BlockAccumulators>& acc, int g,
                             const DensityMatrix& total, const std::vector<bool>& included) {
  const long kept = std::count(included.begin(), included.end(), true);
  const bool from_total = 2 * kept > static_cast<long>(included.size());
  DensityMatrix out;
  if (from_total) out = total;
  for (std::size_t b = 0; b < acc.size(); ++b)
    if (included[b] != from_total) out.add(acc[b].rho[g], from_total ? -1.0 : 1.0);
  return out;
}

std::vector<long> block_sizes(long n, int blocks) {
  std::vector<long> sizes;
  for (int b = 0; b < blocks; ++b) sizes.push_back(block_size(n, blocks, b));
  return sizes;
}

long included_trajectories(const std::vector<long>& sizes, const std::vector<bool>& included) {
  long n = 0;
  for (std::size_t b = 0; b < sizes.size(); ++b) n += included[b] ? sizes[b] : 0;
  return n;
}

/// W_B, W_B_sym columns: root-n corrected (nonsmooth_estimate.hpp: populations that cross
/// make the ergotropy nonsmooth) at every grid time, clamped at the bound W >= 0.
void add_ergotropy_columns(const Plan& plan, const std::vector<BlockAccumulators>& acc,
                           TimeSeries& series) {
  const int points = plan.grid.points, blocks = static_cast<int>(acc.size());
  const std::vector<long> sizes = block_sizes(plan.options.trajectories, blocks);
  Column w = empty_column("W_B", points), w_sym = empty_column("W_B_sym", points);
  w.error_method = w_sym.error_method = "jackknife";
#pragma omp parallel for schedule(dynamic, 1)
  for (int g = 0; g < points; ++g) {
    LevelSums total;
    for (const auto& a : acc)
      for (const auto& [jb, v] : a.levels[g]) {
        if (total[jb].size() == 0) total[jb] = Eigen::VectorXd::Zero(v.size());
        total[jb] += v;
      }
    auto work = [&](bool symmetric) {
      return [&, symmetric](const std::vector<bool>& included) {
        const auto e = ergotropies(subset_levels(acc, g, total, included),
                                   included_trajectories(sizes, included), plan.model.n_battery);
        return symmetric ? e.second : e.first;
      };
    };
    const RootNEstimate a = root_n_corrected(sizes, work(false));
    const RootNEstimate s = root_n_corrected(sizes, work(true));
    w.value[g] = a.value, w.error[g] = a.error;
    w_sym.value[g] = s.value, w_sym.error[g] = s.error;
  }
  enforce_lower_bound(w);
  enforce_lower_bound(w_sym);
  series.columns.push_back(std::move(w));
  series.columns.push_back(std::move(w_sym));
}

/// S_B and dS_B_dt columns and the averaged joint states; returns the dS_B/dt curves
/// (full first, then one per left-out block) for the peak summary. S_B is root-n corrected
/// (nonsmooth_estimate.hpp: the trace norm is not smooth at the many near-zero eigenvalues
/// of rho^{T_B}); dS_B_dt is the time derivative of the corrected curve (before S_B is
/// clamped at 0), its error the jackknife spread of the same derivative of each replicate.
std::vector<std::vector<double>> add_entanglement_columns(const Plan& plan,
                                                          const std::vector<BlockAccumulators>& acc,
                                                          EnsembleResult& result) {
  const int points = plan.grid.points, blocks = static_cast<int>(acc.size());
  const long n = plan.options.trajectories;
  const std::vector<long> sizes = block_sizes(n, blocks);
  const double jc = plan.model.j_charger();
  std::vector<std::vector<double>> entropy(blocks + 1, std::vector<double>(points));
  std::vector<double> entropy_error(points);
  result.density.assign(points, DensityMatrix());
#pragma omp parallel for schedule(dynamic, 1)
  for (int g = 0; g < points; ++g) {
    DensityMatrix total;
    for (const auto& a : acc) total.add(a.rho[g], 1.0);
    const RootNEstimate e = root_n_corrected(sizes, [&](const std::vector<bool>& included) {
      return log_negativity(subset_density(acc, g, total, included), jc) -
             std::log2(double(included_trajectories(sizes, included)));
    });
    entropy[0][g] = e.value;
    entropy_error[g] = e.error;
    for (int b = 0; b < blocks; ++b) entropy[b + 1][g] = e.leave_one_out[b];
    total.scale(1.0 / n);
    result.density[g] = std::move(total);
  }
  std::vector<std::vector<double>> rate;
  for (const auto& curve : entropy) rate.push_back(time_derivative(curve, plan.grid));
  Column s_b = empty_column("S_B", points), ds = empty_column("dS_B_dt", points);
  s_b.error_method = ds.error_method = "jackknife";
  for (int g = 0; g < points; ++g) {
    std::vector<double> loo_rate;
    for (int b = 1; b <= blocks; ++b) loo_rate.push_back(rate[b][g]);
    const Estimate r = jackknife_spread(rate[0][g], loo_rate);
    s_b.value[g] = entropy[0][g], s_b.error[g] = entropy_error[g];
    ds.value[g] = r.value, ds.error[g] = r.error;
  }
  enforce_lower_bound(s_b);
  result.series.columns.push_back(std::move(s_b));
  result.series.columns.push_back(std::move(ds));
  return rate;
}

/// Peak features of the reported curves (peak_features.hpp), with the reasons for any NaN.
PeakSummary peaks_with_errors(const TimeGrid& grid, const std::vector<double>& power,
                              const std::vector<std::vector<double>>& power_replicates,
                              const std::vector<double>* rate,
                              const std::vector<std::vector<double>>* rate_replicates) {
  PeakSummary p;
  const PeakFeature power_peak = peak_feature(power, power_replicates, grid, PeakKind::global);
  p.power_max = power_peak.value;
  p.power_max_time = power_peak.time;
  p.power_note = power_peak.unresolved;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  if (!rate) {
    p.entanglement_rate_max = p.entanglement_rate_max_time = p.lag = {nan, nan};
    p.entanglement_note = "S_B not computed";
    return p;
  }
  const PeakFeature rate_peak =
      peak_feature(*rate, *rate_replicates, grid, PeakKind::largest_interior);
  p.entanglement_rate_max = rate_peak.value;
  p.entanglement_rate_max_time = rate_peak.time;
  p.entanglement_note = rate_peak.unresolved;
  // The lag's error from the replicates' own differences: both peak times are measured on
  // the same trajectories, so their errors are correlated.
  std::vector<double> lags;
  for (std::size_t b = 0; b < rate_peak.leave_one_out_time.size(); ++b)
    if (b < power_peak.leave_one_out_time.size())
      lags.push_back(rate_peak.leave_one_out_time[b] - power_peak.leave_one_out_time[b]);
  p.lag = jackknife_spread(rate_peak.time.value - power_peak.time.value, lags);
  if (std::isnan(p.lag.value)) p.lag.error = nan;
  return p;
}

/// Linear columns: error >= the rare-event floor (rare_event_floor.hpp). E_B and E_C are
/// energies per spin in [0, 1], dark a population in [0, 1].
void add_rare_event_floors(const Model& model, long n, TimeSeries& series) {
  for (Column& c : series.columns)
    apply_rare_event_floor(c, c.name == "P_B" ? power_range(model) : 1.0, n);
}

/// Linear column o: where one block dominates the spread, the dominance bound.
void add_dominance_bound(const std::vector<BlockAccumulators>& acc, int o, Column& column) {
  std::vector<BlockDominance> by_time;
  std::vector<double> means(acc.size());
  std::vector<long> counts(acc.size());
  for (std::size_t g = 0; g < column.value.size(); ++g) {
    for (std::size_t b = 0; b < acc.size(); ++b) {
      counts[b] = acc[b].linear.count(static_cast<int>(g), o);
      means[b] = counts[b] ? acc[b].linear.mean(static_cast<int>(g), o) : 0.0;
    }
    by_time.push_back(block_dominance(means, counts));
  }
  apply_dominance_bound(column, by_time);
}

/// S_B and dS_B_dt at nbar = 0, where lingering rare trajectories carry the late-time state:
/// the same floor through the largest move of S_B (negativity_range), and for the rate the
/// finite-difference stencil applied to the S_B floors.
void add_negativity_floors(const Model& model, const TimeGrid& grid, long n, TimeSeries& series) {
  auto named = [&series](const char* name) -> Column& {
    return *std::find_if(series.columns.begin(), series.columns.end(),
                         [name](const Column& c) { return c.name == name; });
  };
  Column& s = named("S_B");
  Column& rate = named("dS_B_dt");
  std::vector<double> floor(grid.points);
  for (int g = 0; g < grid.points; ++g)
    floor[g] = rare_event_floor(negativity_range(model, s.value[g], n), n);
  for (int g = 0; g < grid.points; ++g) s.error[g] = std::max(s.error[g], floor[g]);
  const int last = grid.points - 1;
  for (int g = 0; g <= last && last >= 2; ++g) {
    const double stencil = g == 0      ? 3 * floor[0] + 4 * floor[1] + floor[2]
                           : g == last ? 3 * floor[last] + 4 * floor[last - 1] + floor[last - 2]
                                       : floor[g - 1] + floor[g + 1];
    rate.error[g] = std::max(rate.error[g], stencil / (2 * grid.step()));
  }
  s.note += std::string(s.note.empty() ? "" : " ") +
            "Error >= a rare-event floor (lingering trajectories with probability < 3/n may be "
            "missing at nbar = 0; see rare_event_floor.hpp); dS_B_dt likewise.";
}

std::vector<double> visited_battery_sectors(const Model& model) {
  std::vector<double> sectors;
  for (const auto& level : initial_mixture(model))
    if (level.probability > 0 &&
        std::find(sectors.begin(), sectors.end(), level.state.j_battery) == sectors.end())
      sectors.push_back(level.state.j_battery);
  return sectors;
}

void add_sector_columns(const Plan& plan, const std::vector<BlockAccumulators>& acc,
                        EnsembleResult& result) {
  result.sectors.time = result.series.time;
  for (int j = 0; j < plan.j_count; ++j)
    result.sectors.columns.push_back(linear_column(fmt::format("J={}", plan.lowest_j + j), acc,
                                                   &BlockAccumulators::sectors, j,
                                                   plan.grid.points));
}

}  // namespace

void validate(const EnsembleOptions& options) {
  check_at_least("trajectories", options.trajectories, 1);
  check_at_least("threads", options.threads, 0);
  check_at_least("blocks", options.blocks, 2);
}

EnsembleResult run_ensemble(const Model& model, const TimeGrid& grid,
                            const EnsembleOptions& options, const ProgressCallback& progress) {
  validate(model);
  validate(grid);
  validate(options);
  const long n = options.trajectories;
  const int block_count = static_cast<int>(std::min<long>(options.blocks, n));
  const bool product = options.ergotropy || options.entanglement;
  std::unique_ptr<ProductBasis> basis;
  if (product) {
    const auto sectors = visited_battery_sectors(model);
    const double size = ProductBasis::table_size(model.j_charger(), sectors);
    if (size > options.max_table_doubles)
      throw InvalidArgument(fmt::format(
          "ergotropy/entanglement need Clebsch-Gordan tables of {:.3g} doubles for N_B = {}, "
          "N_C = {} (limit {:.3g}); leave W_B, W_B_sym, S_B out for this size",
          size, model.n_battery, model.n_charger, options.max_table_doubles));
    basis = std::make_unique<ProductBasis>(model.j_charger(), sectors);
  }
  const double lowest_j = (model.n_battery + model.n_charger) % 2 ? 0.5 : 0.0;
  const int j_count = static_cast<int>(std::lround(model.j_charger() + model.j_battery() - lowest_j)) + 1;
  const Plan plan{model, grid, options, basis.get(), lowest_j, j_count};

  std::vector<BlockAccumulators> acc;
  for (int b = 0; b < block_count; ++b)
    acc.push_back({BlockStatistics(grid.points, kLinearCount),
                   BlockStatistics(options.sector_populations ? grid.points : 0, j_count),
                   std::vector<LevelSums>(options.ergotropy ? grid.points : 0),
                   std::vector<DensityMatrix>(options.entanglement ? grid.points : 0)});
  run_blocks(plan, progress, acc);
  if (progress) progress(n, n);

  EnsembleResult result;
  for (int g = 0; g < grid.points; ++g) result.series.time.push_back(grid.time(g));
  for (int o = 0; o < kLinearCount; ++o)
    result.series.columns.push_back(
        linear_column(kLinearNames[o], acc, &BlockAccumulators::linear, o, grid.points));
  for (int o = 0; o < kLinearCount; ++o) add_dominance_bound(acc, o, result.series.columns[o]);
  add_rare_event_floors(model, n, result.series);
  // W_open = E_B - E_B^th (Eq. 8): a shift of E_B, same error.
  Column open = result.series.columns[kEnergyBattery];
  open.name = "W_open";
  for (double& v : open.value) v -= model.thermal_up_probability();
  result.series.columns.insert(result.series.columns.begin() + kPowerBattery + 1, open);

  const Column power = result.series.column("P_B");
  const auto power_replicates = leave_one_out_means(acc, kPowerBattery, power);
  if (options.ergotropy) add_ergotropy_columns(plan, acc, result.series);
  if (options.entanglement) {
    auto rate = add_entanglement_columns(plan, acc, result);
    if (model.nbar == 0.0) add_negativity_floors(model, grid, n, result.series);
    const std::vector<double> rate_full = rate.front();
    rate.erase(rate.begin());
    result.peaks = peaks_with_errors(grid, power.value, power_replicates, &rate_full, &rate);
  } else {
    result.peaks = peaks_with_errors(grid, power.value, power_replicates, nullptr, nullptr);
  }
  if (options.sector_populations) add_sector_columns(plan, acc, result);
  return result;
}

TimeSeries simulate(const Model& model, const TimeGrid& grid, const EnsembleOptions& options,
                    const ProgressCallback& progress) {
  return run_ensemble(model, grid, options, progress).series;
}

PeakSummary peak_summary(const TimeSeries& series, const TimeGrid& grid) {
  const std::vector<double>& power = series.column("P_B").value;
  if (!series.has("dS_B_dt")) return peaks_with_errors(grid, power, {}, nullptr, nullptr);
  const std::vector<std::vector<double>> none;
  return peaks_with_errors(grid, power, {}, &series.column("dS_B_dt").value, &none);
}

}  // namespace darkcharge
