#pragma once
// The terms of the resource estimates (resource_estimate.hpp) shared between their files:
// one file per engine estimated -- trajectory_estimate.cpp (simulate's trajectories),
// local_noise_estimate.cpp (the local-noise trajectories' own terms: their jumps, the W_B
// estimate after them, a protocol's segments), checkpoint_estimate.cpp (a checkpoint's largest size),
// exact_estimate.cpp (the exact solvers), steady_estimate.cpp (steady's table) -- and
// resource_estimate.cpp (the battery sectors, the output's cost, the dispatch and the checks
// every front end calls).
#include <initializer_list>
#include <vector>

#include "darkcharge/ensemble/resource_estimate.hpp"
#include "darkcharge/physics/protocol.hpp"

namespace darkcharge::resource_terms {

// One dense floating-point operation and one Clebsch-Gordan coefficient (seconds on one
// core; see trajectory_estimate.cpp for the machine).
inline constexpr double kSecondsPerClebschGordan = 1e-7;
inline constexpr double kSecondsPerFlop = 1e-9;
inline constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;
inline constexpr double kMapNodeBytes = 96;  // std::map node + Eigen heap header, per block key


/// The battery sectors j_B the initial state populates, with their total-M count and CG
/// table size (sum over M of the squared number of coupled J): O(1) each, no table built.
struct Sector {
  double j_battery;
  double m_count;     // 2 (j_C + j_B) + 1
  double width;       // 2 min(j_C, j_B) + 1: largest number of J at one M
  double table_size;  // sum over M of n(M)^2
  double cube_sum;    // sum over M of n(M)^3 (dense work on the (j_B, M) blocks)
};

bool asks_for(const RunRequest& o, std::initializer_list<const char*> names);
std::vector<Sector> populated_sectors(const Model& m);
/// Levels (sum of 2 j_B + 1) of `sectors`: the thermal mixture's size.
double thermal_levels(const std::vector<Sector>& sectors);
/// Bytes and CPU seconds of the output times beyond the engine's arrays.
void add_output_cost(const RunRequest& o, ResourceEstimate& r);

/// Doubles one thread's Clebsch-Gordan cache may hold for simulate (ProductBasis::table_size).
double simulate_table_doubles(const Model& m);
/// Collective jumps of one trajectory through t_max (trajectory_estimate.cpp).
double jumps_per_trajectory(const Model& m, double t_max);
/// With single-spin noise: the collective jumps, and the local ones (local_noise_estimate.cpp).
double local_jumps_per_trajectory(const Model& m, double t_max);
/// CPU seconds of the W_B (and W_B_sym) estimate after n local-noise trajectories in
/// `blocks` blocks (local_noise_estimate.cpp).
double local_ergotropy_estimate_seconds(const Model& m, const TimeGrid& grid, double blocks, double n);
/// simulate's trajectories; `local_engine`: the local-noise trajectories run it even without
/// single-spin rates (a protocol's segment).
ResourceEstimate simulate_estimate(const RunRequest& o, bool local_engine = false);
/// Local-noise trajectories through a protocol's segments.
ResourceEstimate protocol_trajectory_estimate(const RunRequest& o, const Protocol& protocol);

/// exact --method product.
ResourceEstimate exact_estimate(const RunRequest& o);
/// exact --method coupled (or the reduced Dicke-basis solver with single-spin noise).
ResourceEstimate exact_coupled_estimate(const RunRequest& o);
/// Refuses a product-basis sector beyond max_dimension.
void check_exact_dimension(const RunRequest& o);

/// steady's table of temperatures.
ResourceEstimate steady_estimate(const RunRequest& o);
/// Refuses steady-state W_B, W_B_sym, S_B asked for beyond the table limit.
void check_steady_tables(const RunRequest& o);

}  // namespace darkcharge::resource_terms
