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

/// The largest number of product levels in the (j_B, M) blocks the trajectories visited at a
/// time, per trajectory, at which the collective path estimates S_B there. Above it most
/// blocks hold fewer trajectories than levels: the averaged block is rank-deficient, the
/// coherences of each trajectory's entangled pure state are not averaged away, and the trace
/// norm of rho^T_B runs high by more than the root-n correction removes. Measured (collective
/// path, nbar = 0.1, thermal battery, 2000 trajectories, second order): N_B = 20, N_C = 200 at
/// the burst's onset has 2.4-6.1 levels per trajectory and S_B 0.14-0.30 against the exact
/// 0-0.06 (coverage 0.20-0.90, 10 seeds), while the times and cases with <= 1.35 covered
/// (bench/README.md). It grows with the width (the levels of a block) and falls with n.
constexpr double kMaxLevelsPerTrajectory = 2.0;

/// The edges of an undersampled stretch: the times next to it (and next to those, while it
/// lasts) whose visited blocks still hold more than this many product levels per
/// trajectory are not estimated either. The trace norm's upward bias falls off continuously
/// as the levels per trajectory fall through the burst: measured at N_B = 20, N_C = 200,
/// nbar = 0.1, 2000 trajectories, 40 seeds (bench/README.md), S_B at the time after the
/// stretch (1.1-1.25 levels per trajectory) ran +0.54 errors high on average, and the central
/// difference reaching it made dS_B_dt -0.52 errors low there (the column's mean z -0.33).
/// Cases without an undersampled time (N_B <= 10 at 2000 trajectories, up to 1.31 levels per
/// trajectory, covered) are untouched.
constexpr double kEdgeLevelsPerTrajectory = 1.0;

/// Which times are not estimated: more than kMaxLevelsPerTrajectory levels per trajectory,
/// and the contiguous neighbours of such times with more than kEdgeLevelsPerTrajectory.
std::vector<bool> undersampled_times(const std::vector<double>& levels);

/// Product levels of the visited blocks of the summed state `rho` per trajectory.
double levels_per_trajectory(const DensityMatrix& rho, long trajectories);

/// The note of S_B and dS_B_dt where `undersampled` times (true) were not estimated
/// (undersampled_times), "" where none.
std::string undersampled_note(const std::vector<bool>& undersampled, const std::vector<double>& levels);

/// NaN S_B and dS_B_dt with the reason the trajectories do not estimate them beyond the
/// validated width (2 min(j_C, j_B) + 1 > kValidatedEntanglementWidth), or an empty string
/// where they do.
std::string negativity_withdrawn_reason(const Model& model);

}  // namespace darkcharge
