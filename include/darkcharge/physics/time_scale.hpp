#pragma once
/// @file time_scale.hpp
/// The system's own time scale, for default output grids. A fully excited ensemble of N
/// spins emits its superradiant burst around t ~ ln(N) / (gamma N) (the delay of Dicke
/// superradiance; measured with the exact solver: P_B peaks at 0.6-0.75 ln(N)/(gamma N) for
/// N = 120-11000 at nbar = 0, and about (nbar + 1) times sooner in a warm reservoir). A fixed
/// default such as t_max = 2 misses the whole burst of a large system (at N = 11000 it is
/// over by t ~ 1e-3), so defaults follow this scale instead.
#include "darkcharge/physics/model.hpp"
#include "darkcharge/core/time_grid.hpp"

namespace darkcharge {

/// ln(N) / (gamma (nbar + 1) N) with N = N_C + N_B (ln 2 / ... for N = 1, 2).
double superradiant_time(const Model& model);

/// Default last output time: 10 superradiant times, rounded down to one significant digit
/// (the paper's Fig. 2a case N_B = 2, N_C = 10, nbar = 0 gives 2; N_B = 100, N_C = 1000
/// gives 0.06; N_B = 1000, N_C = 10000 gives 0.008). Covers the burst and the approach to
/// the dark-state plateau; explicit --t-max wins.
double default_t_max(const Model& model);

}  // namespace darkcharge
