#include "ensemble/local_noise_sampler.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <limits>
#include <memory>
#include <optional>
#include <tuple>
#include <utility>

#include <fmt/format.h>
#include <omp.h>

#include "darkcharge/core/errors.hpp"
#include "darkcharge/run/local_trajectory.hpp"
#include "ensemble/local_noise_columns.hpp"

namespace darkcharge {

using local_noise::BlockTotals;
using local_noise::sector_name;
using local_noise::wanted;

std::vector<std::string> LocalNoiseSampler::columns(const Model& model) {
  std::vector<std::string> names = {"E_B", "E_C", "P_B", "W_open", "dark", "W_B", "W_B_sym", "sigma_B", "I_em",
                                    "I_abs", "N_em", "N_abs", "F_em", "I_loc_em_C", "I_loc_abs_C", "I_loc_em_B", "I_loc_abs_B"};
  for (int i = 0; i <= model.n_battery / 2; ++i) names.push_back(sector_name(model.j_battery() - i));
  return names;
}

void LocalNoiseSampler::check_columns(const Model& model, const std::vector<std::string>& names) {
  const std::vector<std::string> known = columns(model);
  for (const std::string& name : names)
    if (std::find(known.begin(), known.end(), name) == known.end())
      throw InvalidArgument(fmt::format(
          "observables: column '{}' is not computed by the local-noise trajectories (they give "
          "E_B, E_C, P_B, W_open, dark, W_B, W_B_sym, sigma_B, I_em, I_abs, N_em, N_abs, F_em, "
          "I_loc_*, jB=*); for "
          "S_B, dS_B_dt use the exact solver (darkcharge exact)", name));
}

namespace {

/// Ends of the rounds of trajectory indices: one round [0, n) without stopping rules; with
/// them, a first round of max(256, blocks) trajectories, then rounds adding 25% (at least
/// `blocks`), as the collective runner's automatic units, so a target error ends the run
/// within 1.25x of the first count at which it holds, and a time limit drops at most the
/// last ~20% of the work.
std::vector<long> round_ends(long n, int blocks, bool staged) {
  if (!staged) return {n};
  std::vector<long> ends;
  long end = std::min<long>(n, std::max<long>(256, blocks));
  ends.push_back(end);
  while (end < n) {
    end = std::min<long>(n, std::max<long>(end + blocks, end + end / 4));
    ends.push_back(end);
  }
  return ends;
}

}  // namespace

EnsembleResult LocalNoiseSampler::run(const EnsemblePlan& plan, const ProgressCallback& progress) const {
  const Model& model = plan.model;
  const TimeGrid& grid = plan.grid;
  const EnsembleOptions& options = plan.options;
  check_columns(model, options.observables);
  refuse_side_outputs(options, "local-noise trajectories");
  const long n = options.trajectories;
  const int blocks = static_cast<int>(std::min<long>(std::max(options.blocks, 2), n));
  if (n < 2)
    throw InvalidArgument(fmt::format("trajectories: local-noise sampling needs >= 2, got {}", n));
  const std::vector<std::string> known = columns(model);
  for (const auto& [name, bound] : options.target_errors) {
    if (std::find(known.begin(), known.end(), name) == known.end() ||
        !(options.observables.empty() || wanted(options.observables, name.c_str())))
      throw InvalidArgument(fmt::format(
          "target_errors: column '{}' is not computed by this local-noise run", name));
    if (!(bound > 0))
      throw InvalidArgument(fmt::format("target_errors: {} = {} must be > 0", name, bound));
  }
  const int sectors = model.n_battery / 2 + 1, slots = local_noise::kSectors + sectors, points = grid.points;
  const bool ergotropy = options.observables.empty()
                             ? options.ergotropy
                             : wanted(options.observables, "W_B") || wanted(options.observables, "W_B_sym");
  BlockTotals totals(blocks, points, slots, ergotropy);
  // Block b holds the trajectories k = b mod B, summed in index order. They run in rounds of
  // indices; the stopping rules are decided after whole rounds, from rounds 0..r alone, and a
  // round cut by the time limit is dropped (the totals saved before it are restored). So a
  // run that stops after k trajectories returns the numbers of a run of k trajectories
  // without stopping rules, for any thread count.
  const bool staged = !options.target_errors.empty() || options.time_limit > 0;
  const std::vector<long> ends = round_ends(n, blocks, staged);
  std::vector<std::unique_ptr<NoJumpCache>> caches(std::max(1, omp_get_max_threads()));
  // A protocol: one cache per segment per thread, and each grid time's segment model.
  const Protocol* protocol = plan.protocol ? &*plan.protocol : nullptr;
  std::vector<std::vector<NoJumpCache>> segment_caches(protocol ? caches.size() : 0);
  const std::vector<int> segment_at = protocol ? segment_at_points(*protocol, grid) : std::vector<int>{};
  const auto start = std::chrono::steady_clock::now();
  auto out_of_time = [&] {
    return options.time_limit > 0 &&
           std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() > options.time_limit;
  };
  std::atomic<long> done{0};
  std::atomic<bool> failed{false}, timed_out{false};
  std::string failure, stop_reason = "completed";
  long round_first = 0;
  for (const long round_last : ends) {
    std::optional<BlockTotals> saved;
    if (options.time_limit > 0) saved = totals;  // restored if the time limit cuts the round
#pragma omp parallel
    {
      auto& cache_slot = caches[std::min<std::size_t>(omp_get_thread_num(), caches.size() - 1)];
      if (!cache_slot) cache_slot = std::make_unique<NoJumpCache>(model);
      NoJumpCache& cache = *cache_slot;
      std::vector<NoJumpCache>* per_segment = nullptr;
      if (protocol) {
        per_segment = &segment_caches[std::min<std::size_t>(omp_get_thread_num(), caches.size() - 1)];
        if (per_segment->empty()) *per_segment = protocol_caches(*protocol);
      }
#pragma omp for schedule(dynamic, 1)
      for (int b = 0; b < blocks; ++b) {
        const long first = round_first + ((b - round_first % blocks) % blocks + blocks) % blocks;
        double* block = totals.sums.data() + std::size_t(b) * points * slots;
        for (long k = first; k < round_last && !failed.load() && !timed_out.load(); k += blocks) {
          if (options.stop && options.stop->load()) break;
          if (out_of_time()) {  // start no trajectory after the time limit
            timed_out = true;
            break;
          }
          try {
            Rng rng = trajectory_rng(options.seed, static_cast<std::uint64_t>(k));
            const LocalRecord record = [&](int point, const LocalJumpState& psi, const LocalTrajectoryStats& so_far) {
                  const LocalSnapshot s = observe(protocol ? protocol->segments[segment_at[point]].model : model, psi);
                  double* row = block + std::size_t(point) * slots;
                  row[local_noise::kJzB] += s.jz_battery;
                  row[local_noise::kJzC] += s.jz_charger;
                  row[local_noise::kPower] += s.power;
                  row[local_noise::kDark] += s.dark;
                  row[local_noise::kJzB2] += s.jz_battery_squared;
                  row[local_noise::kEmission] += s.emission;
                  row[local_noise::kAbsorption] += s.absorption;
                  row[local_noise::kEmitted] += double(so_far.emissions);
                  row[local_noise::kEmitted2] += double(so_far.emissions) * double(so_far.emissions);
                  row[local_noise::kAbsorbed] += double(so_far.absorptions);
                  row[local_noise::kSectors + std::lround(model.j_battery() - psi.jb)] += 1.0;
                  if (ergotropy) {
                    Eigen::VectorXd& v = totals.levels[std::size_t(b) * points + point][psi.jb];
                    if (v.size() == 0) v = Eigen::VectorXd::Zero(std::lround(2 * psi.jb) + 1);
                    const long level = std::lround(psi.first_mb() + psi.jb);
                    for (int i = 0; i < psi.size(); ++i) v[level + i] += psi.amp[i] * psi.amp[i];
                  }
                };
            const LocalTrajectoryStats stats =
                protocol ? run_local_protocol(*protocol, grid, rng, *per_segment, record, options.stop)
                         : run_local_trajectory(model, grid, rng, cache, record, options.stop);
            totals.jumps[b] += stats.jumps;
            totals.local_jumps[b] += stats.local_jumps;
            ++totals.count[b];
          } catch (const Interrupted&) {
            break;  // the stop flag is set: reported below, after the parallel region
          } catch (const std::exception& e) {
#pragma omp critical(local_noise_failure)
            if (!failed.exchange(true)) failure = e.what();
          }
          const long now = ++done;
          if (progress && omp_get_thread_num() == 0) progress(round_first + now, n);
        }
      }
    }
    if (failed) throw NumericalError(failure);
    if (options.stop && options.stop->load()) throw Interrupted("local-noise trajectories stopped");
    if (totals.trajectories() < round_last) {  // the time limit cut this round
      totals = std::move(*saved);
      stop_reason = "time-limit";
      break;
    }
    done = 0;
    round_first = round_last;
    if (round_last < n && !options.target_errors.empty()) {
      const std::vector<Column> partial = local_noise::estimate(model, grid, totals, options, true, protocol);
      bool met = true;
      for (const auto& [name, bound] : options.target_errors) {
        double largest = -1;
        for (const Column& c : partial)
          if (c.name == name)
            for (double e : c.error)
              if (!std::isnan(e)) largest = std::max(largest, e);
        met = met && largest >= 0 && largest <= bound;
      }
      if (met) {
        stop_reason = "target-error";
        break;
      }
    }
    if (round_last < n && out_of_time()) {
      stop_reason = "time-limit";
      break;
    }
  }
  const long run = totals.trajectories();
  if (run == 0)
    throw InvalidArgument(fmt::format(
        "time_limit: {} s ended the run before its first round of {} trajectories finished",
        options.time_limit, ends.front()));
  if (progress) progress(run, n);

  long total_jumps = 0, total_local = 0;
  for (int b = 0; b < blocks; ++b) {
    total_jumps += totals.jumps[b];
    total_local += totals.local_jumps[b];
  }
  EnsembleResult result;
  result.trajectories_run = run;
  result.stop_reason = stop_reason;
  result.sampling = Sampling::trajectories;
  if (!plan.sampling.reason.empty()) result.notes.push_back(plan.sampling.reason);
  result.notes.push_back(fmt::format(
      "local-noise trajectories: {} trajectories in {} blocks, {:.4g} jumps per trajectory "
      "({:.4g} local); S_B, dS_B_dt are not computed",
      run, blocks, double(total_jumps) / run, double(total_local) / run));
  if (stop_reason != "completed")
    result.notes.push_back(fmt::format("local-noise trajectories stopped by {} after {} of {} trajectories",
                                       stop_reason == "time-limit" ? "the time limit" : "the target errors",
                                       run, n));
  TimeSeries& out = result.series;
  for (int g = 0; g < points; ++g) out.time.push_back(grid.time(g));
  out.columns = local_noise::estimate(model, grid, totals, options, false, protocol);
  leave_out_peaks(result);
  return result;
}

void LocalNoiseSampler::refuse_side_outputs(const EnsembleOptions& options, const char* engine) {
  const std::pair<const char*, bool> unsupported[] = {
      {"count_times", !options.count_times.empty()},
      {"record_trajectories", options.record_trajectories > 0},
      {"completed_units", !options.completed_units.empty()},
      {"sector_populations", options.sector_populations},
  };
  for (const auto& [option, given] : unsupported)
    if (given)
      throw InvalidArgument(
          fmt::format("{}: not available with local (single-spin) noise ({})", option, engine));
}

void LocalNoiseSampler::leave_out_peaks(EnsembleResult& result) {
  const double nan = std::nan("");
  result.peaks.power_max = result.peaks.power_max_time = {nan, nan};
  result.peaks.entanglement_rate_max = result.peaks.entanglement_rate_max_time = {nan, nan};
  result.peaks.lag = {nan, nan};
  result.peaks.power_note = result.peaks.entanglement_note = "not computed with local noise";
}

}  // namespace darkcharge
