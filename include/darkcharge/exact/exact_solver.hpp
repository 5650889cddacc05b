#pragma once
/// @file exact_solver.hpp
/// Exact density-matrix evolution of Eq. 2 for small systems, to validate trajectories.
///
/// Deliberately independent of the trajectory engine: it builds J^-, J^+, J_B^z as explicit
/// matrices in the product Dicke basis |j_C m_C> (x) |j_B m_B> of each battery sector,
/// integrates the generic Lindblad equation with an adaptive Dormand-Prince method, and
/// computes every observable as a trace. A thermal battery is a weighted sum of sectors
/// j_B, each with its Dicke multiplicity (exact by permutation symmetry).
#include <vector>

#include "darkcharge/physics/model.hpp"
#include "darkcharge/core/time_grid.hpp"
#include "darkcharge/estimate/time_series.hpp"

namespace darkcharge {

/// physics/density_matrix.hpp (Eigen/Dense): included only where a state is read, not by
/// every user of the options.
class DensityMatrix;

struct ExactOptions {
  double relative_tolerance = 1e-10;
  double absolute_tolerance = 1e-12;
  long max_dimension = 2000;  ///< largest product-basis dimension per sector accepted
  /// W_B, W_B_sym, S_B, dS_B_dt (dense eigen-decompositions of the state at every time).
  bool nonlinear = true;
  /// N_em, N_abs, F_em: moments of the jump record by full counting statistics, integrating
  /// d rho_s/dt = L rho_s + (e^s - 1) J rho_s's first derivatives in s with rho (J the
  /// emission or absorption jump term). Four matrices per sector instead of one (3-5x the time).
  bool counting = false;
  /// Times (each in [0, t_max]) at whose nearest grid time solve_exact_detailed() keeps the
  /// state rho(t) itself.
  std::vector<double> state_times;
};

/// The columns and, at the grid times nearest options.state_times, the state: density[g] is
/// rho(t_g) as the trajectory average holds it (blocks (j_B, M) in the product basis, each
/// sector weighted by its population, the imaginary part dropped: it is 0 because H =
/// omega J^z is a phase that cancels within a block of fixed M); empty elsewhere.
struct ExactResult {
  TimeSeries series;
  std::vector<DensityMatrix> density;
};

/// Same columns as simulate() with zero errors.
TimeSeries solve_exact(const Model& model, const TimeGrid& grid, const ExactOptions& options = {});
ExactResult solve_exact_detailed(const Model& model, const TimeGrid& grid,
                                 const ExactOptions& options = {});

}  // namespace darkcharge
