#pragma once
// The parallel runner: trajectories in work units, each unit run by one thread in trajectory
// order and handed to the observables. It names no observable. Work units are decoupled from
// the statistics blocks: unit u holds trajectories [u U, (u + 1) U) and belongs
// to block u mod B; a block is the fold of its units in increasing u, so results do not
// depend on threads, processes, completion order or interruption.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "darkcharge/estimate/block_statistics.hpp"
#include "darkcharge/core/progress.hpp"
#include "darkcharge/run/run_options.hpp"
#include "darkcharge/run/observable.hpp"

namespace darkcharge {

/// What to run and whom to tell: the observables, and where each one's sampled values sit in
/// the row summed per unit.
struct RunPlan {
  const Model& model;
  const TimeGrid& grid;
  const EnsembleOptions& options;
  std::vector<const Observable*> observables;
  std::vector<int> offsets;  // first sampled value of observable i in the row
  int width = 0;             // sampled values per row
  const ProductBasis* basis = nullptr;  // when some observable needs product amplitudes
  std::uint64_t run_key = 0;  // run_key(): written into every saved unit, compared on load
};

/// A hash (CRC-64) of everything a unit's result depends on: model, grid, seed, work layout,
/// the observable units with their offsets, count times and recorded trajectories. A saved
/// unit carries it, so a unit of another run (other N_B, seed, columns...) is refused even
/// when its sizes happen to fit.
std::uint64_t run_key(const RunPlan& plan, const std::vector<std::string>& unit_names);

/// Sums over a set of trajectories (one unit, or a block of folded units).
struct UnitResult {
  long trajectories = 0;
  BlockStatistics means{0, 0};
  std::vector<std::unique_ptr<BlockRecord>> records;  // per observable, null if none

  /// Adds `next` (the next unit of the same block).
  void merge(const UnitResult& next);
};

/// An empty result shaped for `plan`.
UnitResult new_unit_result(const RunPlan& plan);
/// Unit u's result as bytes: plan.run_key, u, the trajectory count, the sums, the records.
std::string save_unit(const RunPlan& plan, long u, const UnitResult& unit);
/// Reads what save_unit() wrote for unit u of the same run. The bytes may be damaged or
/// crafted: throws InvalidArgument (message starting "work-unit data:") unless the key, the
/// unit index, the trajectory count and every size and count inside fit the plan and layout.
UnitResult load_unit(const RunPlan& plan, const WorkLayout& layout, long u,
                     const std::string& bytes);

/// Runs `units` in parallel (dynamic schedule). `done(u, result)` is called once per finished
/// unit, one call at a time, in any order. Before starting a unit, `keep_going()` is asked;
/// a unit it refuses is skipped. Throws Interrupted when options.stop is set (units already
/// reported stay reported).
void run_units(const RunPlan& plan, const WorkLayout& layout, const std::vector<long>& units,
               const std::function<bool()>& keep_going,
               const std::function<void(long, UnitResult&&)>& done,
               const ProgressCallback& progress, long already_done);

}  // namespace darkcharge
