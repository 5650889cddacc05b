#pragma once
// W_B and W_B_sym of trajectory-averaged battery level populations at one output time, shared
// by the collective observable (battery_ergotropy.cpp) and the local-noise sampler
// (ensemble/local_noise_sampler.cpp): rho_B is diagonal in m_B within each sector j_B
// (physics.md), so its spectrum is the level populations, with multiplicities.
#include <map>
#include <utility>
#include <vector>

#include <Eigen/Dense>

#include "darkcharge/estimate/nonsmooth_estimate.hpp"

namespace darkcharge {

/// Battery level populations summed over one block's trajectories at one output time: sector
/// j_B -> vector over m_B + j_B (2 j_B + 1 levels). Linear in the trajectories.
using LevelSums = std::map<double, Eigen::VectorXd>;

/// (W_B, W_B_sym) from the blocks' level sums (`per_block[b]`, `block_sizes[b]` trajectories):
/// root-n corrected (nonsmooth_estimate.hpp) with delete-one-block jackknife errors,
/// unclamped, `order` of the correction as in root_n_corrected. W_B_sym is NaN when any
/// block holds a sector other than j_B = N_B/2.
std::pair<RootNEstimate, RootNEstimate> battery_ergotropies(
    const std::vector<const LevelSums*>& per_block, const std::vector<long>& block_sizes,
    int n_battery, int order = 1);

}  // namespace darkcharge
