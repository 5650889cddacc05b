#include "ensemble/local_noise_sampler.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <utility>

#include <fmt/format.h>
#include <omp.h>

#include "darkcharge/core/errors.hpp"
#include "darkcharge/run/local_trajectory.hpp"
#include "ensemble/local_noise_columns.hpp"
#include "ensemble/local_noise_units.hpp"
#include "ensemble/run_bounds.hpp"

namespace darkcharge {

using local_noise::BlockTotals;
using local_noise::sector_name;
using local_noise::wanted;

std::vector<std::string> LocalNoiseSampler::columns(const Model& model) {
  std::vector<std::string> names = {"E_B", "E_C", "P_B", "W_open", "dark", "W_B", "W_B_sym", "S_B", "dS_B_dt", "sigma_B", "I_em",
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
          "E_B, E_C, P_B, W_open, dark, W_B, W_B_sym, S_B, dS_B_dt, sigma_B, I_em, I_abs, N_em, "
          "N_abs, F_em, I_loc_*, jB=*)", name));
}

namespace {

using local_noise::UnitFolder;
using local_noise::UnitPlan;
using local_noise::UnitSums;

/// Checks the request (columns, target errors, trajectories) and says whether W_B is computed.
bool check_request(const Model& model, const EnsembleOptions& options) {
  LocalNoiseSampler::check_columns(model, options.observables);
  if (options.trajectories < 2)
    throw InvalidArgument(fmt::format("trajectories: local-noise sampling needs >= 2, got {}", options.trajectories));
  const std::vector<std::string> known = LocalNoiseSampler::columns(model);
  for (const auto& [name, bound] : options.target_errors) {
    if (std::find(known.begin(), known.end(), name) == known.end() ||
        !(options.observables.empty() || wanted(options.observables, name.c_str())))
      throw InvalidArgument(fmt::format(
          "target_errors: column '{}' is not computed by this local-noise run", name));
    if (!(bound > 0))
      throw InvalidArgument(fmt::format("target_errors: {} = {} must be > 0", name, bound));
  }
  return options.observables.empty()
             ? options.ergotropy
             : wanted(options.observables, "W_B") || wanted(options.observables, "W_B_sym");
}

/// Runs work units in parallel (dynamic schedule), each by one thread in trajectory order
/// into its own sums; the per-thread no-jump caches live as long as the runner.
class UnitRunner {
 public:
  /// `protocol`: run its segments (run_local_protocol) instead of plan.model alone.
  UnitRunner(const UnitPlan& plan, const EnsembleOptions& options, const Protocol* protocol = nullptr)
      : plan_(plan), options_(options), protocol_(protocol),
        threads_(options.threads > 0 ? options.threads : std::max(1, omp_get_max_threads())),
        caches_(threads_), segment_caches_(protocol ? threads_ : 0),
        segment_at_(protocol ? segment_at_points(*protocol, plan.grid) : std::vector<int>{}) {}

  /// `done(u, sums)` is called once per finished unit, one call at a time, in any order.
  /// `keep_going()` is asked before each unit; a unit it refuses is skipped. Throws
  /// Interrupted when options.stop is set (units already reported stay reported).
  void run(const std::vector<long>& units, const std::function<bool()>& keep_going,
           const std::function<void(long, UnitSums&&)>& done, const ProgressCallback& progress,
           long already_done) {
    const Model& model = plan_.model;
    const TimeGrid& grid = plan_.grid;
    const WorkLayout& layout = plan_.layout;
    const int slots = plan_.slots;
    std::atomic<long> finished{already_done};
    std::atomic<bool> failed{false};
    std::exception_ptr failure;
    const long count = static_cast<long>(units.size());
#pragma omp parallel num_threads(threads_)
    {
      const std::size_t thread = std::min<std::size_t>(omp_get_thread_num(), caches_.size() - 1);
      auto& slot = caches_[thread];
#pragma omp for schedule(dynamic, 1)
      for (long i = 0; i < count; ++i) {
        try {
          if (failed.load() || (keep_going && !keep_going())) continue;
          if (!slot) slot = std::make_unique<NoJumpCache>(model);
          // A protocol: one cache per segment per thread, and each grid time's segment model.
          if (protocol_ && segment_caches_[thread].empty()) segment_caches_[thread] = protocol_caches(*protocol_);
          const long u = units[i];
          UnitSums unit = plan_.new_unit();
          for (long k = layout.first(u); k < layout.end(u); ++k) {
            if (options_.stop && options_.stop->load())
              throw Interrupted("local-noise trajectories stopped");
            Rng rng = trajectory_rng(options_.seed, static_cast<std::uint64_t>(k));
            const LocalRecord record =
                [&](int point, const LocalJumpState& psi, const LocalTrajectoryStats& so_far) {
                  const LocalSnapshot s =
                      observe(protocol_ ? protocol_->segments[segment_at_[point]].model : model, psi);
                  double* row = unit.sums.data() + std::size_t(point) * slots;
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
                  if (plan_.ergotropy) {
                    Eigen::VectorXd& v = unit.levels[point][psi.jb];
                    if (v.size() == 0) v = Eigen::VectorXd::Zero(std::lround(2 * psi.jb) + 1);
                    const long level = std::lround(psi.first_mb() + psi.jb);
                    for (int a = 0; a < psi.size(); ++a) v[level + a] += psi.amp[a] * psi.amp[a];
                  }
                  if (unit.states.keeping()) unit.states.add(0, point, psi);
                };
            const LocalTrajectoryStats stats =
                protocol_ ? run_local_protocol(*protocol_, grid, rng, segment_caches_[thread], record, options_.stop)
                          : run_local_trajectory(model, grid, rng, *slot, record, options_.stop);
            unit.jumps += stats.jumps;
            unit.local_jumps += stats.local_jumps;
            ++unit.trajectories;
            const long now = ++finished;
            if (progress && omp_get_thread_num() == 0) progress(now, layout.trajectories);
          }
          // An exception must not leave a critical region: catch it inside, rethrow outside.
          std::exception_ptr done_failure;
#pragma omp critical(local_noise_unit_done)
          {
            try {
              done(u, std::move(unit));
            } catch (...) {
              done_failure = std::current_exception();
            }
          }
          if (done_failure) std::rethrow_exception(done_failure);
        } catch (...) {
#pragma omp critical(local_noise_failure)
          if (!failure) failure = std::current_exception();
          failed = true;
        }
      }
    }
    if (failure) {
      try {
        std::rethrow_exception(failure);
      } catch (const Interrupted&) {
        throw;
      } catch (const InvalidArgument&) {
        throw;
      } catch (const std::exception& e) {
        throw NumericalError(e.what());
      }
    }
  }

 private:
  const UnitPlan& plan_;
  const EnsembleOptions& options_;
  const Protocol* protocol_;
  int threads_;
  std::vector<std::unique_ptr<NoJumpCache>> caches_;
  std::vector<std::vector<NoJumpCache>> segment_caches_;
  std::vector<int> segment_at_;
};

/// Whether every target error holds on the folded blocks (rounds 0..r). The check (its W_B,
/// S_B can be costly) is bounded by the run's `bounds`; once bounds.cut() its answer is moot.
bool targets_met(const Model& model, const TimeGrid& grid, const BlockTotals& totals,
                 const EnsembleOptions& options, const PhaseBounds& bounds, const Protocol* protocol) {
  const std::vector<Column> partial = local_noise::estimate(model, grid, totals, options, true, bounds, protocol);
  bool met = true;
  for (const auto& [name, bound] : options.target_errors) {
    double largest = -1;
    for (const Column& c : partial)
      if (c.name == name)
        for (double e : c.error)
          if (!std::isnan(e)) largest = std::max(largest, e);
    met = met && largest >= 0 && largest <= bound;
  }
  return met;
}

/// Runs what is not in options.completed_units and folds everything in unit order; returns
/// the stop reason. Stopping rules are decided after whole rounds of B units, from rounds
/// 0..r alone, as on the collective path: a target-error stop is the same for any threads
/// and ranks; a time limit starts no unit after it and keeps the units done. `bounds` (the
/// run's: its time limit counts from the run's start) bound the units and the target checks.
std::string run_and_fold(const UnitPlan& plan, const EnsembleOptions& o, UnitFolder& folder,
                         BlockTotals& totals, const ProgressCallback& progress, const PhaseBounds& bounds,
                         const Protocol* protocol) {
  const WorkLayout& layout = plan.layout;
  for (const auto& [u, bytes] : o.completed_units) {
    if (u < 0 || u >= layout.units())
      throw InvalidArgument(fmt::format("completed_units: unit {} is outside 0..{}", u, layout.units() - 1));
    // Every given unit is checked now, before any work.
    try {
      (void)local_noise::load_unit(plan, u, bytes);
    } catch (const InvalidArgument& e) {
      throw InvalidArgument(fmt::format("completed_units: unit {}: {}", u, e.what()));
    }
  }
  UnitRunner runner(plan, o, protocol);
  std::atomic<bool> timed_out{false};
  const std::function<bool()> keep_going = [&] {
    if (bounds.out_of_time()) timed_out = true;
    return !timed_out.load();
  };
  const std::function<void(long, UnitSums&&)> done = [&](long u, UnitSums&& unit) {
    if (o.on_unit_done) o.on_unit_done(u, local_noise::save_unit(plan, u, unit));
    folder.add(u, std::move(unit));
  };
  long already = 0;
  bool missing = false;  // a unit neither given nor allowed to run (options.run_unit)
  auto to_run = [&](long first, long last) {
    std::vector<long> todo;
    for (long u = first; u < last; ++u) {
      const auto it = o.completed_units.find(u);
      if (it == o.completed_units.end()) {
        if (o.run_unit && !o.run_unit(u))
          missing = true;
        else
          todo.push_back(u);
        continue;
      }
      UnitSums unit = local_noise::load_unit(plan, u, it->second);
      already += unit.trajectories;
      folder.add(u, std::move(unit));
    }
    return todo;
  };
  if (o.target_errors.empty()) {
    runner.run(to_run(0, layout.units()), keep_going, done, progress, already);
    folder.finish();
    return timed_out ? "time-limit" : missing ? "incomplete" : "completed";
  }
  for (long first = 0; first < layout.units(); first += layout.blocks) {
    const long last = std::min(layout.units(), first + layout.blocks);
    runner.run(to_run(first, last), keep_going, done, progress, already);
    already = folder.trajectories();
    if (missing) {  // no decision without the whole round
      folder.finish();
      return "incomplete";
    }
    if (timed_out) {
      folder.finish();
      return "time-limit";
    }
    const bool met = targets_met(plan.model, plan.grid, totals, o, bounds, protocol);
    if (bounds.cut()) {  // the check itself was cut: its errors are not all known
      folder.finish();
      return "time-limit";
    }
    if (met) return "target-error";
    bounds.begin("trajectories");
  }
  folder.finish();
  return "completed";
}

}  // namespace

EnsembleResult LocalNoiseSampler::run(const EnsemblePlan& plan, const ProgressCallback& progress) const {
  const Model& model = plan.model;
  const TimeGrid& grid = plan.grid;
  const EnsembleOptions& options = plan.options;
  const bool ergotropy = check_request(model, options);
  refuse_side_outputs(options, "local-noise trajectories");
  const Protocol* protocol = plan.protocol ? &*plan.protocol : nullptr;
  const UnitPlan units(model, grid, options, ergotropy, protocol ? protocol_json(*protocol) : "");
  const int blocks = units.layout.blocks;
  local_noise::EntanglementSums states(model, blocks, grid.points, units.entanglement);
  if (states.keeping())
    local_noise::EntanglementSums::refuse_beyond(model, grid.points, blocks, options.trajectories,
                                                 omp_get_max_threads(), options.entanglement_max_memory_gib);
  BlockTotals totals(blocks, grid.points, units.slots, ergotropy, std::move(states));
  UnitFolder folder(units, totals);
  const PhaseBounds bounds = run_bounds(options, progress);
  const std::string stop_reason = run_and_fold(units, options, folder, totals, progress, bounds, protocol);
  const long n = options.trajectories;
  const long run = totals.trajectories();
  if (run == 0) {
    if (stop_reason == "time-limit")
      throw InvalidArgument(fmt::format("time_limit: {} s ended the run before its first work unit finished",
                                        options.time_limit));
    throw InvalidArgument("run_unit: no work unit was run or given (completed_units)");
  }
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
      "({:.4g} local)",
      run, blocks, double(total_jumps) / run, double(total_local) / run));
  if (stop_reason == "time-limit" || stop_reason == "target-error")
    result.notes.push_back(fmt::format("local-noise trajectories stopped by {} after {} of {} trajectories",
                                       stop_reason == "time-limit" ? "the time limit" : "the target errors",
                                       run, n));
  TimeSeries& out = result.series;
  for (int g = 0; g < grid.points; ++g) out.time.push_back(grid.time(g));
  // The run's bounds: what is left of its time limit after the trajectories bounds the
  // estimate (the times it did not reach are NaN, with a note).
  out.columns = local_noise::estimate(model, grid, totals, options, false, bounds, protocol);
  note_estimate_cut(bounds, result);
  leave_out_peaks(result);
  return result;
}

std::map<long, std::string> LocalNoiseSampler::run_units(const EnsemblePlan& plan,
                                                         const std::function<bool(long unit)>& select,
                                                         const ProgressCallback& progress) const {
  const EnsembleOptions& options = plan.options;
  const bool ergotropy = check_request(plan.model, options);
  const Protocol* protocol = plan.protocol ? &*plan.protocol : nullptr;
  const UnitPlan units(plan.model, plan.grid, options, ergotropy, protocol ? protocol_json(*protocol) : "");
  std::vector<long> todo;
  for (long u = 0; u < units.layout.units(); ++u)
    if (select(u)) todo.push_back(u);
  std::map<long, std::string> out;
  UnitRunner(units, options, protocol).run(todo, {}, [&](long u, UnitSums&& unit) {
    std::string bytes = local_noise::save_unit(units, u, unit);
    if (options.on_unit_done) options.on_unit_done(u, bytes);
    out[u] = std::move(bytes);
  }, progress, 0);
  return out;
}

void LocalNoiseSampler::refuse_side_outputs(const EnsembleOptions& options, const char* engine) {
  const std::pair<const char*, bool> unsupported[] = {
      {"count_times", !options.count_times.empty()},
      {"record_trajectories", options.record_trajectories > 0},
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
