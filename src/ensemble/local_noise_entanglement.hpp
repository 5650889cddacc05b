#pragma once
// S_B and dS_B_dt of the local-noise trajectories. With single-spin noise the averaged state
// is block diagonal in the sectors (j_C, j_B) and, within each, in total M (physics.md,
// "Local (single-spin) noise"): rhot_{j_C j_B} at fixed M is the mean over all trajectories
// of psi psi^T for those in that block (zero for the others), so its weight is the block's
// population, and ||rho^{T_B}||_1 = sum over sectors of ||rhot_{j_C j_B}^{T_B}||_1. Per
// trajectory block and output time this keeps the summed psi psi^T of every (j_C, j_B, M)
// some trajectory of the block visited (allocated on the first visit), and estimates S_B
// with the collective path's estimator (observables/negativity_estimate.hpp: root-n
// corrected, jackknife errors, clamp, floors, validated width), summed over the sectors.
#include <atomic>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "darkcharge/core/byte_stream.hpp"
#include "darkcharge/estimate/bounded_phase.hpp"
#include "darkcharge/core/time_grid.hpp"
#include "darkcharge/estimate/time_series.hpp"
#include "darkcharge/physics/density_matrix.hpp"
#include "darkcharge/physics/local_jump_state.hpp"
#include "darkcharge/physics/model.hpp"

namespace darkcharge::local_noise {

class EntanglementSums {
 public:
  EntanglementSums() = default;  ///< not asked for: adds nothing, gives no columns
  /// `wanted`: S_B or dS_B_dt asked for. Beyond the validated width nothing is kept and the
  /// columns are NaN with the reason.
  EntanglementSums(const Model& model, int blocks, int points, bool wanted);

  bool wanted() const { return wanted_; }
  /// Whether add() keeps states (wanted and within the validated width).
  bool keeping() const { return !sums_.empty(); }

  /// Adds psi psi^T of one trajectory's state at output time `point` to block `block`. Each
  /// block must be owned by one thread at a time.
  void add(int block, int point, const LocalJumpState& psi);
  /// this += other (the same model, blocks and points).
  void merge(const EntanglementSums& other);
  /// Block `block` of this += the one block of `unit` (a work unit's sums, blocks = 1).
  void fold(int block, const EntanglementSums& unit);
  void save(ByteWriter& out) const;
  /// Reads what save() wrote into this (constructed for the same model, blocks, points).
  /// With `trajectories` >= 0, every (block, time) must hold that many normalized states:
  /// its trace, the sum of the blocks' diagonals, is that count (to 1e-6 relative).
  void load(ByteReader& in, long trajectories = -1);

  /// S_B and dS_B_dt from the blocks' sums; `sizes[b]` = trajectories in block b. A phase
  /// of `bounds` (bounded_phase.hpp): reports (times done, points); once its stop flag is
  /// set, throws Interrupted; once its time limit has passed, estimates no further time (NaN
  /// there, with a note).
  std::pair<Column, Column> columns(const TimeGrid& grid, const std::vector<long>& sizes,
                                    const PhaseBounds& bounds = PhaseBounds()) const;

  /// Bytes the sums and the estimator's working arrays can take for this run (an upper
  /// estimate: every block visits min(trajectories per block, (j_C, j_B, M) blocks the model
  /// can reach) blocks at every time).
  static double estimated_bytes(const Model& model, int points, int blocks, long trajectories, int threads);
  /// Floating-point operations of the estimate: per time, ~3 B + 5 subsets (the root-n
  /// correction and its jackknife, nonsmooth_estimate.hpp), each ~4 n^3 per n x n block of
  /// rho^{T_B} (eigenvalues only) over min(n, all) (j_C, j_B, M) blocks. Calibrated on two
  /// runs (tests/test_resource_estimate.cpp): 0.44x and 3.4x the measured CPU time (it
  /// assumes every block is reached, which weak noise at early times does not do).
  static double estimated_flops(const Model& model, int points, int blocks, long trajectories);
  /// Largest size of save()'s bytes for one block (a work unit): every (j_C, j_B, M) block
  /// of the model at every time.
  static double serialized_bytes(const Model& model, int points);
  /// Throws InvalidArgument naming `max_memory_gib` when estimated_bytes() exceeds it.
  static void refuse_beyond(const Model& model, int points, int blocks, long trajectories, int threads,
                            double max_memory_gib);

 private:
  Model model_;
  bool wanted_ = false;
  int points_ = 0;
  /// sums_[b * points + g]: per j_C, the summed psi psi^T blocks (j_B, M), lower triangles.
  std::vector<std::map<double, DensityMatrix>> sums_;
};

}  // namespace darkcharge::local_noise
