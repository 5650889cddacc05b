#include "darkcharge/ensemble.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <exception>
#include <limits>
#include <map>

#include <fmt/format.h>

#include <omp.h>

#include "darkcharge/block_statistics.hpp"
#include "darkcharge/curve_features.hpp"
#include "darkcharge/errors.hpp"
#include "darkcharge/initial_state.hpp"
#include "darkcharge/trajectory.hpp"

namespace darkcharge {
namespace {

enum LinearObservable { kEnergyBattery, kEnergyCharger, kPowerBattery, kDark, kLinearCount };
const char* const kLinearNames[kLinearCount] = {"E_B", "E_C", "P_B", "dark"};

/// Turns snapshots into per-spin densities (physics.md) and adds them, and optionally
/// |psi><psi|, to one block's accumulators.
class BlockObserver : public TrajectoryObserver {
 public:
  BlockObserver(const Model& model, BlockStatistics& stats, std::vector<DensityMatrix>* rho)
      : n_battery_(model.n_battery), n_charger_(model.n_charger), stats_(stats), rho_(rho) {}

  void observe(int begin, int end, const Snapshot& s) override {
    const double jz_battery = s.battery_jz();
    const double values[kLinearCount] = {
        jz_battery / n_battery_ + 0.5,
        (s.state.total_m() - jz_battery) / n_charger_ + 0.5,
        s.power() / n_battery_,
        s.dark_population(),
    };
    for (int g = begin; g < end; ++g) {
      for (int o = 0; o < kLinearCount; ++o) stats_.add(g, o, values[o]);
      if (rho_) (*rho_)[g].add(s);
    }
  }

 private:
  double n_battery_, n_charger_;
  BlockStatistics& stats_;
  std::vector<DensityMatrix>* rho_;
};

struct Nonlinear {
  double w_b, w_b_sym, s_b;
};

/// Population of each total J in rho_sum / count.
std::map<double, double> sector_populations(const DensityMatrix& rho_sum, double count,
                                            double j_charger) {
  std::map<double, double> out;
  for (const auto& [key, block] : rho_sum.blocks) {
    const double j_first = std::max(std::fabs(j_charger - key.first), std::fabs(key.second));
    for (int k = 0; k < block.rows(); ++k) out[j_first + k] += block(k, k) / count;
  }
  return out;
}

/// W_B, W_B_sym, S_B of the state rho_sum / count.
Nonlinear nonlinear_observables(const DensityMatrix& rho_sum, double count, int n_battery,
                                ProductBasis& basis) {
  std::vector<BatteryLevel> levels = battery_level_populations(rho_sum, basis);
  for (auto& l : levels) l.population /= count;
  const double jz = battery_jz(levels);
  const auto eig = spectrum(levels);
  return {ergotropy(eig, jz, n_battery), ergotropy_symmetric(eig, jz, n_battery),
          log_negativity(rho_sum, basis) - std::log2(count)};
}

/// Runs every trajectory, block by block; fills stats (and rho) per block.
void run_blocks(const Model& model, const TimeGrid& grid, const EnsembleOptions& options,
                const ProgressCallback& progress, std::vector<BlockStatistics>& stats,
                std::vector<std::vector<DensityMatrix>>& rho) {
  const long n = options.trajectories;
  const int block_count = static_cast<int>(stats.size());
  std::atomic<long> done{0};
  std::exception_ptr failure;
  const int threads = options.threads > 0 ? options.threads : omp_get_max_threads();
#pragma omp parallel num_threads(threads)
  {
    CoupledState state;
    std::vector<double> scratch;
#pragma omp for schedule(dynamic, 1)
    for (int b = 0; b < block_count; ++b) {
      try {
        BlockObserver observer(model, stats[b], rho.empty() ? nullptr : &rho[b]);
        const long begin = n * b / block_count, end = n * (b + 1) / block_count;
        for (long k = begin; k < end; ++k) {
          Rng rng = trajectory_rng(options.seed, static_cast<std::uint64_t>(k));
          const InitialState init = sample_initial_state(model, rng);
          run_trajectory(model, init, grid, rng, observer, state, scratch);
          const long finished = ++done;
          if (progress && omp_get_thread_num() == 0) progress(finished, n);
        }
      } catch (...) {
#pragma omp critical(darkcharge_failure)
        if (!failure) failure = std::current_exception();
      }
    }
  }
  if (failure) std::rethrow_exception(failure);
}

Column linear_column(int o, const std::vector<BlockStatistics>& stats, int points) {
  Column column{kLinearNames[o], std::vector<double>(points), std::vector<double>(points)};
  for (int g = 0; g < points; ++g)
    BlockStatistics::combine(stats, g, o, column.value[g], column.error[g]);
  return column;
}

/// Leave-one-block-out means of observable o: replicate[b][g].
std::vector<std::vector<double>> leave_one_out_means(const std::vector<BlockStatistics>& stats,
                                                     int o, const Column& full) {
  const int points = static_cast<int>(full.value.size());
  std::vector<std::vector<double>> out(stats.size(), std::vector<double>(points));
  for (int g = 0; g < points; ++g) {
    double n = 0;
    for (const auto& s : stats) n += s.count(g, o);
    const double total = full.value[g] * n;
    for (std::size_t b = 0; b < stats.size(); ++b) {
      const double nb = stats[b].count(g, o);
      out[b][g] = (total - stats[b].mean(g, o) * nb) / (n - nb);
    }
  }
  return out;
}

/// Jackknife of a scalar feature of curves: feature(full) and feature(each replicate).
template <class Feature>
Estimate jackknife_feature(const std::vector<double>& full,
                           const std::vector<std::vector<double>>& replicates, Feature f) {
  std::vector<double> leave_one_out;
  for (const auto& r : replicates) leave_one_out.push_back(f(r));
  return jackknife(f(full), leave_one_out);
}

PeakSummary peaks_with_errors(const TimeGrid& grid, const std::vector<double>& power,
                              const std::vector<std::vector<double>>& power_replicates,
                              const std::vector<double>* rate,
                              const std::vector<std::vector<double>>* rate_replicates) {
  PeakSummary p;
  auto pmax = [&](const std::vector<double>& y) { return global_maximum(y, grid).value; };
  auto pmax_t = [&](const std::vector<double>& y) { return global_maximum(y, grid).time; };
  p.power_max = jackknife_feature(power, power_replicates, pmax);
  p.power_max_time = jackknife_feature(power, power_replicates, pmax_t);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  if (!rate) {
    p.entanglement_rate_max = p.entanglement_rate_max_time = p.lag = {nan, nan};
    return p;
  }
  auto smax = [&](const std::vector<double>& y) { return global_maximum(y, grid).value; };
  auto smax_t = [&](const std::vector<double>& y) { return global_maximum(y, grid).time; };
  p.entanglement_rate_max = jackknife_feature(*rate, *rate_replicates, smax);
  p.entanglement_rate_max_time = jackknife_feature(*rate, *rate_replicates, smax_t);
  std::vector<double> lags;
  for (std::size_t b = 0; b < power_replicates.size(); ++b)
    lags.push_back(smax_t((*rate_replicates)[b]) - pmax_t(power_replicates[b]));
  p.lag = jackknife(smax_t(*rate) - pmax_t(power), lags);
  return p;
}

/// Totals of rho over blocks (in block order) and the nonlinear columns with jackknife.
void add_nonlinear_columns(const Model& model, const TimeGrid& grid, long n,
                           const std::vector<std::vector<DensityMatrix>>& rho,
                           EnsembleResult& result,
                           std::vector<std::vector<double>>& entropy_replicates) {
  const int points = grid.points, blocks = static_cast<int>(rho.size());
  Column w{"W_B", std::vector<double>(points), std::vector<double>(points)};
  Column w_sym{"W_B_sym", w.value, w.error}, s_b{"S_B", w.value, w.error};
  std::vector<double> entropy_full(points);
  entropy_replicates.assign(blocks, std::vector<double>(points));
  result.density.assign(points, DensityMatrix());
  std::vector<std::map<double, Estimate>> sectors(points);
#pragma omp parallel
  {
    ProductBasis basis(model.j_charger());
#pragma omp for schedule(dynamic, 1)
    for (int g = 0; g < points; ++g) {
      DensityMatrix total;
      for (int b = 0; b < blocks; ++b) total.add(rho[b][g], 1.0);
      const Nonlinear full = nonlinear_observables(total, n, model.n_battery, basis);
      const auto sectors_full = sector_populations(total, n, model.j_charger());
      std::map<double, std::vector<double>> sectors_loo;
      std::vector<double> w_loo(blocks), w_sym_loo(blocks);
      for (int b = 0; b < blocks; ++b) {
        DensityMatrix rest = total;
        rest.add(rho[b][g], -1.0);
        const double count = n - (n * (b + 1) / blocks - n * b / blocks);
        const Nonlinear loo = nonlinear_observables(rest, count, model.n_battery, basis);
        const auto rest_sectors = sector_populations(rest, count, model.j_charger());
        for (const auto& [J, p] : sectors_full) {
          const auto it = rest_sectors.find(J);
          sectors_loo[J].push_back(it == rest_sectors.end() ? 0.0 : it->second);
        }
        w_loo[b] = loo.w_b;
        w_sym_loo[b] = loo.w_b_sym;
        entropy_replicates[b][g] = loo.s_b;
      }
      std::vector<double> s_loo(blocks);
      for (int b = 0; b < blocks; ++b) s_loo[b] = entropy_replicates[b][g];
      const Estimate we = jackknife(full.w_b, w_loo), wse = jackknife(full.w_b_sym, w_sym_loo),
                     se = jackknife(full.s_b, s_loo);
      w.value[g] = we.value, w.error[g] = we.error;
      w_sym.value[g] = wse.value, w_sym.error[g] = wse.error;
      s_b.value[g] = se.value, s_b.error[g] = se.error;
      entropy_full[g] = full.s_b;
      for (const auto& [J, p] : sectors_full) sectors[g][J] = jackknife(p, sectors_loo[J]);
      total.scale(1.0 / n);  // keep the averaged state
      result.density[g] = std::move(total);
    }
  }
  // Entanglement rate: differentiate the full and every leave-one-out curve, then jackknife.
  Column rate{"dS_B_dt", std::vector<double>(points), std::vector<double>(points)};
  const std::vector<double> rate_full = time_derivative(entropy_full, grid);
  std::vector<std::vector<double>> rate_replicates;
  for (const auto& r : entropy_replicates) rate_replicates.push_back(time_derivative(r, grid));
  for (int g = 0; g < points; ++g) {
    std::vector<double> loo;
    for (const auto& r : rate_replicates) loo.push_back(r[g]);
    const Estimate e = jackknife(rate_full[g], loo);
    rate.value[g] = e.value, rate.error[g] = e.error;
  }
  for (Column* c : {&w, &w_sym, &s_b, &rate}) result.series.columns.push_back(std::move(*c));
  result.sectors.time = result.series.time;
  std::map<double, Column> by_j;
  for (int g = 0; g < points; ++g)
    for (const auto& [J, e] : sectors[g]) {
      Column& c = by_j[J];
      if (c.value.empty()) {
        c.name = fmt::format("J={}", J);
        c.value.assign(points, 0.0);
        c.error.assign(points, 0.0);
      }
      c.value[g] = e.value;
      c.error[g] = e.error;
    }
  for (auto& [J, c] : by_j) result.sectors.columns.push_back(std::move(c));
  entropy_replicates = std::move(rate_replicates);  // hand the rate replicates back
  entropy_replicates.push_back(rate_full);
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
  std::vector<BlockStatistics> stats(block_count, BlockStatistics(grid.points, kLinearCount));
  std::vector<std::vector<DensityMatrix>> rho;
  if (options.density_matrix)
    rho.assign(block_count, std::vector<DensityMatrix>(grid.points));
  run_blocks(model, grid, options, progress, stats, rho);
  if (progress) progress(n, n);

  EnsembleResult result;
  for (int g = 0; g < grid.points; ++g) result.series.time.push_back(grid.time(g));
  for (int o = 0; o < kLinearCount; ++o)
    result.series.columns.push_back(linear_column(o, stats, grid.points));
  // W_open = E_B - E_B^th (Eq. 8): a shift of E_B, same error.
  Column open = result.series.columns[kEnergyBattery];
  open.name = "W_open";
  for (double& v : open.value) v -= model.thermal_up_probability();
  result.series.columns.insert(result.series.columns.begin() + kPowerBattery + 1, open);

  const Column power = result.series.columns[kPowerBattery];  // copy: columns grow below
  const auto power_replicates = leave_one_out_means(stats, kPowerBattery, power);
  if (options.density_matrix && block_count >= 2) {
    std::vector<std::vector<double>> rate_replicates;
    add_nonlinear_columns(model, grid, n, rho, result, rate_replicates);
    const std::vector<double> rate_full = rate_replicates.back();
    rate_replicates.pop_back();
    result.peaks = peaks_with_errors(grid, power.value, power_replicates, &rate_full,
                                     &rate_replicates);
  } else {
    result.peaks = peaks_with_errors(grid, power.value, power_replicates, nullptr, nullptr);
  }
  return result;
}

TimeSeries simulate(const Model& model, const TimeGrid& grid, const EnsembleOptions& options,
                    const ProgressCallback& progress) {
  return run_ensemble(model, grid, options, progress).series;
}

PeakSummary peak_summary(const TimeSeries& series, const TimeGrid& grid) {
  const std::vector<double>& power = series.column("P_B").value;
  if (!series.has("dS_B_dt")) return peaks_with_errors(grid, power, {}, nullptr, nullptr);
  const std::vector<double>& rate = series.column("dS_B_dt").value;
  const std::vector<std::vector<double>> none;
  return peaks_with_errors(grid, power, {}, &rate, &none);
}

}  // namespace darkcharge
