#include "ensemble/trajectory_sampler.hpp"

#include <algorithm>
#include <atomic>
#include <functional>

#include <fmt/format.h>

#include "darkcharge/core/errors.hpp"
#include "ensemble/block_folder.hpp"
#include "ensemble/estimate_all.hpp"
#include "ensemble/run_bounds.hpp"
#include "ensemble/trajectory_setup.hpp"
#include "run/ensemble_runner.hpp"

namespace darkcharge {
namespace {

/// Runs what is not in options.completed_units and folds everything; returns the stop reason.
/// `bounds` (the run's: its time limit counts from the run's start) bound the target checks.
std::string run_and_fold(const TrajectorySetup& setup, const WorkLayout& layout,
                         BlockFolder& folder, const ProgressCallback& progress,
                         const PhaseBounds& bounds) {
  const RunPlan& plan = setup.plan;
  const EnsembleOptions& o = plan.options;
  for (const auto& [u, bytes] : o.completed_units) {
    if (u < 0 || u >= layout.units())
      throw InvalidArgument(fmt::format("completed_units: unit {} is outside 0..{}", u, layout.units() - 1));
    // Every given unit is checked now, before any work: with target errors the later rounds
    // would otherwise read theirs only after minutes of running.
    try {
      (void)load_unit(plan, layout, u, bytes);
    } catch (const InvalidArgument& e) {
      throw InvalidArgument(fmt::format("completed_units: unit {}: {}", u, e.what()));
    }
  }
  std::atomic<bool> timed_out{false};
  const std::function<bool()> keep_going = [&] {
    if (bounds.out_of_time()) timed_out = true;
    return !timed_out.load();
  };
  const std::function<void(long, UnitResult&&)> done = [&](long u, UnitResult&& unit) {
    if (o.on_unit_done) o.on_unit_done(u, save_unit(plan, u, unit));
    folder.add(u, std::move(unit));
  };
  long already = 0;
  // Units in [first, last) not yet done, after folding those a checkpoint holds.
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
      UnitResult unit = load_unit(plan, layout, u, it->second);
      already += unit.trajectories;
      folder.add(u, std::move(unit));
    }
    return todo;
  };
  if (o.target_errors.empty()) {
    run_units(plan, layout, to_run(0, layout.units()), keep_going, done, progress, already);
    folder.finish();
    return timed_out ? "time-limit" : missing ? "incomplete" : "completed";
  }
  // Rounds of B units: after each, decide from rounds 0..r alone (every block complete).
  for (long first = 0; first < layout.units(); first += layout.blocks) {
    const long last = std::min(layout.units(), first + layout.blocks);
    run_units(plan, layout, to_run(first, last), keep_going, done, progress, already);
    already = folder.trajectories();
    if (missing) {  // no decision without the whole round
      folder.finish();
      return "incomplete";
    }
    if (timed_out) {
      folder.finish();
      return "time-limit";
    }
    const bool met = targets_met(setup, folder, bounds);
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

EnsembleResult TrajectorySampler::run(const EnsemblePlan& ensemble_plan,
                                      const ProgressCallback& progress) const {
  const auto setup = make_trajectory_setup(ensemble_plan.model, ensemble_plan.grid,
                                           ensemble_plan.options);
  const WorkLayout layout = work_layout(ensemble_plan.options);
  BlockFolder folder(layout);
  // The time limit covers the whole run: the trajectories, the target checks and the
  // estimate after them (W_B, S_B: the costly part, NaN at the times it did not reach).
  const PhaseBounds bounds = run_bounds(ensemble_plan.options, progress);
  const std::string stop_reason = run_and_fold(*setup, layout, folder, progress, bounds);
  if (progress) progress(folder.trajectories(), layout.trajectories);
  EnsembleResult result = estimate_all(*setup, folder, bounds);
  result.trajectories_run = folder.trajectories();
  result.stop_reason = stop_reason;
  if (!ensemble_plan.sampling.reason.empty()) result.notes.push_back(ensemble_plan.sampling.reason);
  note_estimate_cut(bounds, result);
  return result;
}

std::map<long, std::string> TrajectorySampler::run_units(
    const EnsemblePlan& ensemble_plan, const std::function<bool(long unit)>& select,
    const ProgressCallback& progress) const {
  const EnsembleOptions& options = ensemble_plan.options;
  const auto setup = make_trajectory_setup(ensemble_plan.model, ensemble_plan.grid, options);
  const WorkLayout layout = work_layout(options);
  std::vector<long> todo;
  for (long u = 0; u < layout.units(); ++u)
    if (select(u)) todo.push_back(u);
  std::map<long, std::string> out;
  darkcharge::run_units(setup->plan, layout, todo, {}, [&](long u, UnitResult&& unit) {
    std::string bytes = save_unit(setup->plan, u, unit);
    if (options.on_unit_done) options.on_unit_done(u, bytes);
    out[u] = std::move(bytes);
  }, progress, 0);
  return out;
}

}  // namespace darkcharge
