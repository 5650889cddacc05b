#pragma once
// The local-noise trajectories' sums per block and the columns estimated from them: linear
// columns with standard errors from the block means, sigma_B and F_em by delete-one-block
// jackknife, W_B and W_B_sym from the battery level populations per sector j_B, S_B and
// dS_B_dt from the summed states (local_noise_entanglement.hpp), and the rare-event floors
// (local_noise_sampler.cpp runs the trajectories and fills the sums).
#include <functional>
#include <string>
#include <vector>

#include "darkcharge/estimate/bounded_phase.hpp"
#include "darkcharge/core/time_grid.hpp"
#include "darkcharge/physics/model.hpp"
#include "darkcharge/physics/protocol.hpp"
#include "darkcharge/run/ensemble_result.hpp"
#include "darkcharge/run/run_options.hpp"
#include "ensemble/local_noise_entanglement.hpp"
#include "observables/battery_ergotropy.hpp"

namespace darkcharge::local_noise {

/// What one trajectory adds at each grid time, in this order, then one battery-sector
/// indicator per j_B = N_B/2 - i. kEmitted, kEmitted2, kAbsorbed: the counts n_em, n_em^2,
/// n_abs of collective jumps J^-, J^+ before that time (the reservoir's record).
enum Slot { kJzB, kJzC, kPower, kDark, kJzB2, kEmission, kAbsorption, kEmitted, kEmitted2, kAbsorbed, kSectors };

/// The column name of the population of battery sector j_B ("jB=<j_B>").
std::string sector_name(double jb);

/// Whether `name` is among `observables` (empty: every column).
bool wanted(const std::vector<std::string>& observables, const char* name);

/// What the trajectories of each block add up to.
struct BlockTotals {
  BlockTotals(int blocks, int points, int slots, bool levels, EntanglementSums states = {})
      : sums(std::size_t(blocks) * points * slots, 0.0),
        levels(levels ? std::size_t(blocks) * points : 0), states(std::move(states)),
        count(blocks, 0), jumps(blocks, 0), local_jumps(blocks, 0) {}
  /// sums[(b * points + g) * slots + slot]: each block owned by one thread at a time.
  std::vector<double> sums;
  /// levels[b * points + g]: the battery's level populations per sector j_B (for W_B,
  /// W_B_sym); a sector's vector is allocated when a trajectory of the block first reaches it.
  std::vector<LevelSums> levels;
  /// For S_B, dS_B_dt: the summed psi psi^T per block, time and (j_C, j_B, M).
  EntanglementSums states;
  std::vector<long> count, jumps, local_jumps;

  long trajectories() const {
    long n = 0;
    for (long c : count) n += c;
    return n;
  }
};

/// The columns from the blocks' totals: every column the options ask for, or with
/// `targets_only` those the target errors name (the check after a round). W_B and W_B_sym,
/// the costly part, run as phases of `bounds` (bounded_phase.hpp): they report (times done,
/// grid points), throw Interrupted once its stop flag is set, and once its time limit has
/// passed are estimated at no further time (NaN there, with a note); so do S_B and dS_B_dt. With a `protocol` (`model` its first segment's), the rates in
/// I_em, I_abs, I_loc_* and nbar in W_open are those of each time's segment
/// (segment_at_points(): a boundary takes the segment that starts there), W_B_sym is NaN
/// after any segment with single-spin noise on the battery has begun, and the counts'
/// rare-event floors hold only when they hold in every segment.
std::vector<Column> estimate(const Model& model, const TimeGrid& grid, const BlockTotals& totals,
                             const EnsembleOptions& options, bool targets_only,
                             const PhaseBounds& bounds = PhaseBounds(), const Protocol* protocol = nullptr);

}  // namespace darkcharge::local_noise
