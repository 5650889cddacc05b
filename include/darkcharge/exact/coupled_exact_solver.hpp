#pragma once
/// @file coupled_exact_solver.hpp
/// Exact evolution of Eq. 2 in the coupled basis |j_C j_B; J M> (physics.md, "Facts"):
/// the averaged state is block diagonal in (j_B, M), and the entries r_JJ'(M) of one pair
/// (J, J') form a birth-death chain in M, never mixed with other pairs. So the solver
/// - at nbar > 0 (or from several initial levels) advances each chain by a type (14, 14)
///   rational approximation of exp(A h) (7 complex tridiagonal solves, O(length), uniformly
///   accurate on the negative axis; one per grid interval at nbar > 0, where A is similar to
///   a symmetric matrix; substeps with h |A_ii| <= 3 for the far-from-normal pure-death
///   chains at nbar = 0, which only the cross-check with the cascade turned off runs), only
///   on the window of entries above 1e-18 and only for the pairs (J, J') that start above
///   it: memory ~ chains x (N + 1) doubles, not (N + 1)^2 per chain;
/// - at nbar = 0 from one level uses the rank-one cascade of zero_temperature_cascade.hpp:
///   one chain of N + 1 populations instead of (2 min + 1)^2 chains.
/// W_B, W_B_sym and S_B need the product basis |m_C> (x) |m_B>: each M block is turned over
/// with the Clebsch-Gordan columns of the J it holds (clebsch_gordan_recursion.hpp), rho_B is
/// diagonal in m_B, and rho^{T_B} is block diagonal in Q = m_C - m_B (Eq. 12).
///
/// Same columns as solve_exact() (the product-basis solver, kept as the independent check).
#include <string>
#include <vector>

#include "darkcharge/physics/model.hpp"
#include "darkcharge/core/time_grid.hpp"
#include "darkcharge/estimate/time_series.hpp"
#include "darkcharge/exact/zero_temperature_cascade.hpp"

namespace darkcharge {

/// physics/density_matrix.hpp (Eigen/Dense): included only where a state is read, not by
/// every user of the options.
class DensityMatrix;

struct CoupledExactOptions {
  /// W_B, W_B_sym, S_B, dS_B_dt (Clebsch-Gordan transforms and rho^{T_B} spectra).
  bool nonlinear = true;
  /// With `nonlinear`: also S_B and dS_B_dt (NaN otherwise). They cost one Cholesky
  /// factorisation (and, for a block that is not positive definite, one eigenproblem) of width
  /// <= 2 min(j_C, j_B) + 1 per populated Q block and grid time.
  bool negativity = true;
  /// Use the rank-one cascade when it applies (nbar = 0, one initial level). Off: the
  /// general chains even then (a cross-check of the cascade).
  bool zero_temperature_cascade = true;
  /// Absolute local error per step of the cascade's populations.
  double cascade_tolerance = 1e-13;
  /// Refuse (InvalidArgument, before any expensive work) when the estimated peak memory
  /// exceeds this many GiB ...
  double max_memory_gib = 4.0;
  /// ... or the estimated run time exceeds this many seconds (on one core).
  double max_seconds = 3600.0;
  /// Times (each in [0, t_max]) at whose nearest grid time solve_exact_coupled_detailed()
  /// keeps the state rho(t) itself, in the product basis (CoupledExactResult::density).
  std::vector<double> state_times;
};

/// What a run will cost, estimated from the problem's size alone (cheap).
struct CoupledExactCost {
  std::string method;     ///< "zero-temperature cascade" or "birth-death chains"
  std::string size;       ///< the sizes the estimate grows with, for messages
  double memory_gib = 0;  ///< peak memory of the solver's own arrays
  double seconds = 0;     ///< single-core run time (within ~2x where bench/README.md measured it)
};

CoupledExactCost estimate_coupled_exact_cost(const Model& model, const TimeGrid& grid,
                                             const CoupledExactOptions& options = {});

/// The full result. `emitted` is filled only on the zero-temperature cascade path:
/// emitted[g][k] = probability that exactly k quanta were emitted by time t_g (the state is
/// then in total M = M0 - k), for the ground battery. density[g]: at the grid times nearest
/// options.state_times, rho(t_g) as DensityMatrix blocks (j_B, M) in the product basis, each
/// sector weighted by its population (empty elsewhere, and no entries when state_times is
/// empty).
struct CoupledExactResult {
  TimeSeries series;
  std::vector<std::vector<double>> emitted;
  std::vector<DensityMatrix> density;
};

/// Same columns as solve_exact(), errors 0 with error_method "exact". Throws
/// InvalidArgument (naming the size, the estimate and the option to raise) when the
/// estimate exceeds options.max_memory_gib or options.max_seconds.
TimeSeries solve_exact_coupled(const Model& model, const TimeGrid& grid,
                               const CoupledExactOptions& options = {},
                               const ProgressCallback& progress = {});

CoupledExactResult solve_exact_coupled_detailed(const Model& model, const TimeGrid& grid,
                                                const CoupledExactOptions& options = {},
                                                const ProgressCallback& progress = {});

}  // namespace darkcharge
