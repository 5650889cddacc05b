#pragma once
// The S_B estimator of trajectory blocks, shared by the collective path (entanglement.cpp)
// and the local-noise trajectories (ensemble/local_noise_entanglement.cpp): per output time,
// the root-n corrected log2 ||rho^{T_B}||_1 of the averaged state (nonsmooth_estimate.hpp)
// over subsets of the blocks' partial transposes laid out flat (flat_blocks.hpp); over the
// times, dS_B_dt as the time derivative of each replicate curve with its jackknife spread,
// the clamp S_B >= 0, the rare-event floors and the withdrawal beyond the validated width.
#include <cmath>
#include <string>
#include <vector>

#include <Eigen/Dense>

#include "darkcharge/core/time_grid.hpp"
#include "darkcharge/estimate/nonsmooth_estimate.hpp"
#include "darkcharge/estimate/time_series.hpp"
#include "darkcharge/physics/density_matrix.hpp"
#include "darkcharge/physics/model.hpp"
#include "flat_blocks.hpp"

namespace darkcharge {

/// Root-n corrected log2 ||rho^{T_B}||_1 at one time: `transposes` holds each block's summed
/// (not averaged) partial transpose, every flat slot one square symmetric block of it;
/// `order` of the correction as in root_n_corrected.
template <class Key>
RootNEstimate log_negativity_estimate(const std::vector<long>& sizes, const FlatBlocks<Key>& transposes,
                                      int order = 1) {
  return root_n_corrected(sizes, [&](const std::vector<bool>& included) {
    const Eigen::VectorXd subset = transposes.subset(included);
    double trace_norm = 0;
    for (const auto& [key, slot] : transposes.slots()) {
      const Eigen::Index n = std::lround(std::sqrt(double(slot.size)));  // n x n block
      trace_norm += trace_norm_symmetric(Eigen::Map<const Eigen::MatrixXd>(subset.data() + slot.offset, n, n));
    }
    return std::log2(trace_norm) - std::log2(double(subset_trajectories(sizes, included)));
  }, 2, order);
}

/// S_B and dS_B_dt from the per-time estimates, and dS_B_dt's replicate curves.
struct NegativityColumns {
  Column s_b, rate;
  std::vector<double> rate_full;                   ///< dS_B_dt of all blocks
  std::vector<std::vector<double>> rate_leave_one_out;  ///< without block b
};

/// `entropy[0][g]` = the root-n estimate at time g, `entropy[b + 1][g]` its value without
/// block b, `entropy_error[g]` its jackknife error (from log_negativity_estimate). The floors
/// are added where `floor_at[g]` (empty: at every time); `floor_reason` ends the note's
/// sentence saying why. Beyond the validated width (kValidatedEntanglementWidth) both
/// columns are NaN with the reason in their notes.
NegativityColumns negativity_columns(const Model& model, const TimeGrid& grid, long trajectories,
                                     const std::vector<std::vector<double>>& entropy,
                                     const std::vector<double>& entropy_error, bool floors,
                                     const std::vector<bool>& floor_at, const std::string& floor_reason);

/// NaN S_B and dS_B_dt with the reason the trajectories do not estimate them beyond the
/// validated width (2 min(j_C, j_B) + 1 > kValidatedEntanglementWidth), or an empty string
/// where they do.
std::string negativity_withdrawn_reason(const Model& model);

}  // namespace darkcharge
