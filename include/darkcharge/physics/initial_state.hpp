#pragma once
/// @file initial_state.hpp
/// Initial states of a trajectory. The charger is fully up (|j_C, m_C = j_C>); the battery
/// starts in one (j_B, m_B) level. The `thermal` battery is a mixture of such levels, diagonal
/// in (j_B, m_B), so drawing a level with its true weight unravels it exactly.
#include <vector>

#include "darkcharge/physics/model.hpp"
#include "darkcharge/core/rng.hpp"

namespace darkcharge {

/// One pure initial state of definite total M = j_C + m_battery.
struct InitialState {
  double j_battery = 0.5;   ///< battery total spin j_B (a Dicke sector)
  double m_battery = -0.5;  ///< battery J_B^z eigenvalue m_B, |m_B| <= j_B
};

/// The weight of one battery level in the initial mixture, summed over the d(N_B, j_B)
/// copies of the sector: P(j_B, m_B) = d(N_B, j_B) p_up^(N_B/2+m_B) p_down^(N_B/2-m_B).
struct WeightedInitialState {
  InitialState state;
  double probability;
};

/// Draws the initial level of one trajectory: a fixed state for `ground`; for `thermal`,
/// the number of up spins k ~ Binomial(N_B, p_up), then j_B given m_B = k - N_B/2 with
/// P(j_B >= j | m_B) = C(N_B, N_B/2 - j) / C(N_B, N_B/2 - |m_B|) (Dicke counting).
InitialState sample_initial_state(const Model& model, Rng& rng);

/// All initial levels with nonzero weight (for exact solvers and stratified sums). Weights
/// are computed in logs, so they stay finite for thousands of spins.
std::vector<WeightedInitialState> initial_mixture(const Model& model);

}  // namespace darkcharge
