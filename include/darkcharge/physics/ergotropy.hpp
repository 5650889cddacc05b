#pragma once
/// @file ergotropy.hpp
/// Ergotropy (paper Eq. 9-10; physics.md `W_B`, `W_B_sym`) from the battery's spectrum.
///
/// A battery state of this model is (+)_{j_B} rho_{j_B} (x) 1_{d(N_B, j_B)} / d in the full
/// 2^N_B space (collective dynamics never touch the permutation-multiplicity labels), so an
/// eigenvalue r of rho_{j_B} (normalised to the sector's total weight) appears d times as
/// r / d. J_B^z level m has multiplicity C(N_B, N_B/2 + m). The passive state puts the
/// largest eigenvalues on the lowest levels; run-length encoding keeps this
/// O(levels log levels) at N_B = 1000, where multiplicities (~1e299) need long double.
#include <vector>

namespace darkcharge {

/// One eigenvalue of the battery state restricted to Dicke sector j_B, summed over the
/// sector's d(N_B, j_B) copies (so all of them add up to 1).
struct SectorEigenvalue {
  double j_battery;
  double weight;
};

/// Ergotropy per spin over all unitaries of the N_B-spin space (`W_B`):
/// (<J_B^z> - min_U Tr[U rho U^dag J_B^z]) / N_B, with `battery_jz` = <J_B^z>.
double ergotropy(const std::vector<SectorEigenvalue>& spectrum, double battery_jz, int n_battery);

/// The same over unitaries of the symmetric subspace only (`W_B_sym`, the paper's figures).
/// NaN unless every nonzero eigenvalue lies in j_B = N_B/2.
double ergotropy_symmetric(const std::vector<SectorEigenvalue>& spectrum, double battery_jz,
                           int n_battery);

}  // namespace darkcharge
