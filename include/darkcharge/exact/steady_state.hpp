#pragma once
/// @file steady_state.hpp
/// The exact steady state, in closed form from angular-momentum coupling.
///
/// Total J is conserved, so its populations p_J keep their initial values (Clebsch-Gordan
/// weights of the initial levels). Within one multiplet the jumps J^-, J^+ form a birth-death
/// chain in M with rates 2 gamma (nbar+1) a^2 down and 2 gamma nbar a^2 up over the same
/// link, so detailed balance gives pi_J(M) ~ x^(M+J) with x = nbar/(nbar+1) (at nbar = 0 all
/// weight sits at the dark level M = -J). Coherences between different J decay. Hence
///   rho_ss = sum_{j_B, J, M} p_{j_B, J} pi_J(M) |j_B; J M><j_B; J M|,
/// and <J_B^z>_ss = sum p_J <M>_J X_J with the diagonal element J_B^z = M X_J. At
/// N_B = N_C = 1 this is paper Eq. 13. Energies cost O(N_B N_C) for any size; W_B and S_B
/// need the product basis and are computed up to a table-size limit.
#include "darkcharge/physics/model.hpp"

namespace darkcharge {

struct SteadyState {
  double e_battery;             ///< E_B^ss
  double e_charger;             ///< E_C^ss
  double w_open;                ///< E_B^ss - E_B^th
  double dark;                  ///< dark-state population
  double ergotropy;             ///< W_B^ss (NaN if skipped)
  double ergotropy_symmetric;   ///< W_B_sym^ss (NaN if skipped or battery not symmetric)
  double log_negativity;        ///< S_B^ss (NaN if skipped)
};

struct SteadyStateOptions {
  bool nonlinear = true;             ///< compute W_B, W_B_sym, S_B
  double max_table_doubles = 2.5e8;  ///< skip them (NaN) above this Clebsch-Gordan table size
};

SteadyState steady_state(const Model& model, const SteadyStateOptions& options = {});

/// dE_B^ss/dT at temperature T (units hbar omega / k_B) by a central difference of the
/// closed form (step 1e-4 max(T, 0.01); truncation error ~1e-8 relative).
double steady_energy_temperature_derivative(Model model, double temperature);

}  // namespace darkcharge
