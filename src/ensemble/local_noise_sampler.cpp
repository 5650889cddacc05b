#include "ensemble/local_noise_sampler.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <utility>

#include <fmt/format.h>
#include <omp.h>

#include "darkcharge/core/errors.hpp"
#include "darkcharge/estimate/jackknife.hpp"
#include "darkcharge/run/local_trajectory.hpp"

namespace darkcharge {
namespace {

/// What one trajectory adds at each grid time, in this order, then one battery-sector
/// indicator per j_B = N_B/2 - i.
enum Slot { kJzB, kJzC, kPower, kDark, kJzB2, kEmission, kAbsorption, kSectors };

std::string sector_name(double jb) { return fmt::format("jB={}", jb); }

}  // namespace

std::vector<std::string> LocalNoiseSampler::columns(const Model& model) {
  std::vector<std::string> names = {"E_B", "E_C", "P_B", "W_open", "dark", "sigma_B", "I_em",
                                    "I_abs", "I_loc_em_C", "I_loc_abs_C", "I_loc_em_B", "I_loc_abs_B"};
  for (int i = 0; i <= model.n_battery / 2; ++i) names.push_back(sector_name(model.j_battery() - i));
  return names;
}

void LocalNoiseSampler::check_columns(const Model& model, const std::vector<std::string>& names) {
  const std::vector<std::string> known = columns(model);
  for (const std::string& name : names)
    if (std::find(known.begin(), known.end(), name) == known.end())
      throw InvalidArgument(fmt::format(
          "observables: column '{}' is not computed by the local-noise trajectories (they give "
          "E_B, E_C, P_B, W_open, dark, sigma_B, I_em, I_abs, I_loc_*, jB=*); for W_B, W_B_sym, "
          "S_B, dS_B_dt use the exact solver (darkcharge exact)", name));
}

EnsembleResult LocalNoiseSampler::run(const EnsemblePlan& plan, const ProgressCallback& progress) const {
  const Model& model = plan.model;
  const TimeGrid& grid = plan.grid;
  const EnsembleOptions& options = plan.options;
  check_columns(model, options.observables);
  // Side outputs and stopping rules of the collective runner that this sampler lacks.
  const std::pair<const char*, bool> unsupported[] = {
      {"target_errors", !options.target_errors.empty()},
      {"count_times", !options.count_times.empty()},
      {"record_trajectories", options.record_trajectories > 0},
      {"completed_units", !options.completed_units.empty()},
      {"time_limit", options.time_limit > 0},
      {"sector_populations", options.sector_populations},
  };
  for (const auto& [option, given] : unsupported)
    if (given)
      throw InvalidArgument(fmt::format(
          "{}: not available with local (single-spin) noise (local-noise trajectories)", option));
  const long n = options.trajectories;
  const int blocks = static_cast<int>(std::min<long>(std::max(options.blocks, 2), n));
  if (n < 2)
    throw InvalidArgument(fmt::format("trajectories: local-noise sampling needs >= 2, got {}", n));
  const int sectors = model.n_battery / 2 + 1, slots = kSectors + sectors, points = grid.points;
  // sums[b][point][slot]: each block owned by one thread at a time, filled in index order.
  std::vector<double> sums(std::size_t(blocks) * points * slots, 0.0);
  std::vector<long> jumps(blocks, 0), local_jumps(blocks, 0), done_in_block(blocks, 0);
  std::atomic<long> done{0};
  std::atomic<bool> failed{false};
  std::string failure;
#pragma omp parallel
  {
    NoJumpCache cache(model);
#pragma omp for schedule(dynamic, 1)
    for (int b = 0; b < blocks; ++b) {
      const long first = b * n / blocks, last = (b + 1) * n / blocks;
      double* block = sums.data() + std::size_t(b) * points * slots;
      for (long k = first; k < last && !failed.load(); ++k) {
        if (options.stop && options.stop->load()) break;
        try {
          Rng rng = trajectory_rng(options.seed, static_cast<std::uint64_t>(k));
          const LocalTrajectoryStats stats = run_local_trajectory(
              model, grid, rng, cache, [&](int point, const LocalJumpState& psi) {
                const LocalSnapshot s = observe(model, psi);
                double* row = block + std::size_t(point) * slots;
                row[kJzB] += s.jz_battery;
                row[kJzC] += s.jz_charger;
                row[kPower] += s.power;
                row[kDark] += s.dark;
                row[kJzB2] += s.jz_battery_squared;
                row[kEmission] += s.emission;
                row[kAbsorption] += s.absorption;
                row[kSectors + std::lround(model.j_battery() - psi.jb)] += 1.0;
              },
              options.stop);
          jumps[b] += stats.jumps;
          local_jumps[b] += stats.local_jumps;
          ++done_in_block[b];
        } catch (const Interrupted&) {
          break;  // the stop flag is set: reported below, after the parallel region
        } catch (const std::exception& e) {
#pragma omp critical(local_noise_failure)
          if (!failed.exchange(true)) failure = e.what();
        }
        const long now = ++done;
        if (progress && omp_get_thread_num() == 0) progress(now, n);
      }
    }
  }
  if (failed) throw NumericalError(failure);
  if (options.stop && options.stop->load()) throw Interrupted("local-noise trajectories stopped");

  long total_jumps = 0, total_local = 0;
  for (int b = 0; b < blocks; ++b) {
    total_jumps += jumps[b];
    total_local += local_jumps[b];
  }
  EnsembleResult result;
  result.trajectories_run = n;
  result.stop_reason = "completed";
  result.sampling = Sampling::trajectories;
  result.notes.push_back(fmt::format(
      "local-noise trajectories: {} trajectories in {} blocks, {:.4g} jumps per trajectory "
      "({:.4g} local); W_B, W_B_sym, S_B, dS_B_dt, N_em, N_abs, F_em are not computed",
      n, blocks, double(total_jumps) / n, double(total_local) / n));
  TimeSeries& out = result.series;
  for (int g = 0; g < points; ++g) out.time.push_back(grid.time(g));
  auto block_mean = [&](int b, int g, int slot) {
    const long count = (b + 1) * n / blocks - b * n / blocks;
    return sums[(std::size_t(b) * points + g) * slots + slot] / count;
  };
  // mean over all trajectories, and the standard error from the spread of block means
  // (blocks of unequal size weighted by their counts).
  auto linear = [&](int slot, double scale, double offset, const std::string& name) {
    Column column{name, std::vector<double>(points), std::vector<double>(points), "standard-error", ""};
    for (int g = 0; g < points; ++g) {
      double mean = 0;
      for (int b = 0; b < blocks; ++b) mean += sums[(std::size_t(b) * points + g) * slots + slot];
      mean /= n;
      double var = 0;
      for (int b = 0; b < blocks; ++b) {
        const double count = (b + 1) * n / blocks - b * n / blocks, d = block_mean(b, g, slot) - mean;
        var += count * count * d * d;
      }
      var *= double(blocks) / (blocks - 1) / (double(n) * n);
      column.value[g] = scale * mean + offset;
      column.error[g] = std::fabs(scale) * std::sqrt(var);
    }
    return column;
  };
  const double nb = model.n_battery, nc = model.n_charger;
  const LocalRates& lc = model.local.charger;
  const LocalRates& lb = model.local.battery;
  std::vector<Column> all;
  all.push_back(linear(kJzB, 1 / nb, 0.5, "E_B"));
  all.push_back(linear(kJzC, 1 / nc, 0.5, "E_C"));
  all.push_back(linear(kPower, 1 / nb, 0.0, "P_B"));
  all.push_back(linear(kJzB, 1 / nb, 0.5 - model.thermal_up_probability(), "W_open"));
  all.push_back(linear(kDark, 1, 0, "dark"));
  {
    // sigma_B = sqrt(<(J_B^z)^2> - <J_B^z>^2) / N_B: delete-one-block jackknife.
    Column column{"sigma_B", std::vector<double>(points), std::vector<double>(points), "jackknife", ""};
    auto sigma = [&](double m1, double m2) { return std::sqrt(std::max(0.0, m2 - m1 * m1)) / nb; };
    std::vector<double> leave(blocks);
    for (int g = 0; g < points; ++g) {
      double s1 = 0, s2 = 0;
      for (int b = 0; b < blocks; ++b) {
        s1 += sums[(std::size_t(b) * points + g) * slots + kJzB];
        s2 += sums[(std::size_t(b) * points + g) * slots + kJzB2];
      }
      for (int b = 0; b < blocks; ++b) {
        const double count = (b + 1) * n / blocks - b * n / blocks;
        const double b1 = sums[(std::size_t(b) * points + g) * slots + kJzB];
        const double b2 = sums[(std::size_t(b) * points + g) * slots + kJzB2];
        leave[b] = sigma((s1 - b1) / (n - count), (s2 - b2) / (n - count));
      }
      const Estimate e = jackknife(sigma(s1 / n, s2 / n), leave);
      column.value[g] = e.value;
      column.error[g] = e.error;
    }
    all.push_back(std::move(column));
  }
  all.push_back(linear(kEmission, model.emission_rate(), 0, "I_em"));
  all.push_back(linear(kAbsorption, model.absorption_rate(), 0, "I_abs"));
  // Single-spin currents: g_down <N_X/2 + J_z^X>, g_up <N_X/2 - J_z^X>.
  all.push_back(linear(kJzC, lc.decay, lc.decay * nc / 2, "I_loc_em_C"));
  all.push_back(linear(kJzC, -lc.pumping, lc.pumping * nc / 2, "I_loc_abs_C"));
  all.push_back(linear(kJzB, lb.decay, lb.decay * nb / 2, "I_loc_em_B"));
  all.push_back(linear(kJzB, -lb.pumping, lb.pumping * nb / 2, "I_loc_abs_B"));
  for (int i = 0; i < sectors; ++i) all.push_back(linear(kSectors + i, 1, 0, sector_name(model.j_battery() - i)));
  for (Column& column : all)
    if (options.observables.empty() ||
        std::find(options.observables.begin(), options.observables.end(), column.name) != options.observables.end())
      out.columns.push_back(std::move(column));
  // Peak features need dS_B_dt and replicate curves this sampler does not keep.
  const double nan = std::nan("");
  result.peaks.power_max = result.peaks.power_max_time = {nan, nan};
  result.peaks.entanglement_rate_max = result.peaks.entanglement_rate_max_time = {nan, nan};
  result.peaks.lag = {nan, nan};
  result.peaks.power_note = result.peaks.entanglement_note = "not computed with local noise";
  return result;
}

}  // namespace darkcharge
