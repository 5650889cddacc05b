#pragma once
// The parallel runner: trajectories in work units, each unit run by one thread in trajectory
// order and handed to the observables. It names no observable. Work units are decoupled from
// the statistics blocks: unit u holds trajectories [u U, (u + 1) U) and belongs
// to block u mod B; a block is the fold of its units in increasing u, so results do not
// depend on threads, processes, completion order or interruption.
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
};

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
std::string save_unit(const UnitResult& unit);
/// Reads what save_unit() wrote for the same plan; throws InvalidArgument if it does not fit.
UnitResult load_unit(const RunPlan& plan, const std::string& bytes);

/// Runs `units` in parallel (dynamic schedule). `done(u, result)` is called once per finished
/// unit, one call at a time, in any order. Before starting a unit, `keep_going()` is asked;
/// a unit it refuses is skipped. Throws Interrupted when options.stop is set (units already
/// reported stay reported).
void run_units(const RunPlan& plan, const WorkLayout& layout, const std::vector<long>& units,
               const std::function<bool()>& keep_going,
               const std::function<void(long, UnitResult&&)>& done,
               const ProgressCallback& progress, long already_done);

}  // namespace darkcharge
