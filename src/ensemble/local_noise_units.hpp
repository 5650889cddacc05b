#pragma once
// The local-noise trajectories' work units: unit u of the WorkLayout holds trajectories
// [first(u), end(u)) and is folded into block u mod B in increasing u, so the block sums
// depend on seed, trajectories, blocks and unit size only (never on threads, ranks,
// completion order or interruption). A unit's result is what the sampler accumulates per
// (time, slot), the battery level populations per sector (W_B) and its counts; it is
// serialized for checkpoints and MPI and read back with every size, count and value checked.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "darkcharge/core/time_grid.hpp"
#include "darkcharge/physics/model.hpp"
#include "darkcharge/run/run_options.hpp"
#include "ensemble/local_noise_columns.hpp"

namespace darkcharge::local_noise {

/// What the trajectories of one unit add up to.
struct UnitSums {
  long trajectories = 0, jumps = 0, local_jumps = 0;
  std::vector<double> sums;        ///< sums[g * slots + slot]
  std::vector<LevelSums> levels;   ///< levels[g] (empty without W_B)
};

/// What shapes and identifies the units of one run.
struct UnitPlan {
  UnitPlan(const Model& model, const TimeGrid& grid, const EnsembleOptions& options, bool ergotropy,
           std::string protocol = "");
  const Model& model;
  const TimeGrid& grid;
  WorkLayout layout;
  std::uint64_t seed;
  int slots;
  bool ergotropy;
  /// The protocol's text (empty: none); recorded so that units of another protocol are refused.
  std::string protocol;
  /// CRC-64 of everything a unit's sums depend on (model with its local rates, grid, seed,
  /// layout, slots, W_B or not, protocol): written into every unit, compared on load.
  std::uint64_t key;

  UnitSums new_unit() const;
};

/// Unit u's result as bytes: a format tag, the model's parameters with the six single-spin
/// rates, the run's size and layout, the seed and the protocol text (so that a unit of
/// another run is refused naming what differs), the key, u, the counts, the sums and the
/// level populations, then a CRC-32 of all of it.
std::string save_unit(const UnitPlan& plan, long u, const UnitSums& unit);
/// Reads what save_unit() wrote for unit u of this run. The bytes may be damaged or crafted:
/// throws InvalidArgument (message starting "work-unit data:") unless the CRC, tag, rates,
/// protocol, key, unit index and trajectory count are this run's, every size and count fits,
/// every value is finite, every sum lies within what the unit's trajectories can add, and
/// nothing trails.
UnitSums load_unit(const UnitPlan& plan, long u, const std::string& bytes);

/// Folds unit results into the blocks of a BlockTotals in increasing unit order as soon as
/// each block's next unit is there; finish() folds what remains past gaps (units a time
/// limit skipped), still in order.
class UnitFolder {
 public:
  UnitFolder(const UnitPlan& plan, BlockTotals& totals);
  void add(long u, UnitSums&& unit);
  void finish();
  long trajectories() const { return totals_.trajectories(); }

 private:
  void fold(int b, const UnitSums& unit);
  const UnitPlan& plan_;
  BlockTotals& totals_;
  std::vector<long> next_;  // next unit index each block expects
  std::map<long, UnitSums> pending_;
};

}  // namespace darkcharge::local_noise
