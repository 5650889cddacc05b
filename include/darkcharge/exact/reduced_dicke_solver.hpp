#pragma once
/// @file reduced_dicke_solver.hpp
/// Exact Lindblad evolution of Eq. 2 plus single-spin noise on each ensemble (physics.md,
/// "Local (single-spin) noise"), in the reduced Dicke basis: permutation symmetry within
/// the charger and within the battery makes
///   rho = sum_{j_C, j_B} rhot_{j_C j_B} (x) 1/d(N_C, j_C) (x) 1/d(N_B, j_B),
/// and every term of the generator keeps each block rhot_{j_C j_B} block diagonal in total
/// M = m_C + m_B (collective jumps and s^+- move M by -+1 on both sides of rho, s^z keeps it,
/// H = omega J^z is a phase that cancels inside a definite-M block). The state is the set
/// of real blocks <m_C m_B|rhot_{j_C j_B}|m_C' m_B'> at fixed M, in the product Dicke basis
/// (rows m_B ascending, as DensityMatrix), for the sectors the dynamics reaches.
///
/// Columns: those of solve_exact_coupled() (errors 0, error_method "exact") plus the
/// single-spin currents I_loc_em_C, I_loc_abs_C, I_loc_em_B, I_loc_abs_B and the population
/// of each battery sector, "jB=<j_B>". N_em, N_abs and F_em are not provided.
#include <atomic>
#include <string>
#include <vector>

#include "darkcharge/physics/model.hpp"
#include "darkcharge/physics/local_noise.hpp"
#include "darkcharge/physics/protocol.hpp"
#include "darkcharge/core/progress.hpp"
#include "darkcharge/core/time_grid.hpp"
#include "darkcharge/estimate/time_series.hpp"

namespace darkcharge {

struct ReducedDickeOptions {
  /// Error control of the integrator: per step, max |error| <= absolute + relative max|rho|.
  double relative_tolerance = 1e-11;
  double absolute_tolerance = 1e-13;
  /// Refuse (InvalidArgument, before any expensive work) above this estimated peak memory...
  double max_memory_gib = 4.0;
  /// ... or above this estimated run time (seconds, on the threads OpenMP will use).
  double max_seconds = 3600.0;
  /// Checked between steps: when it becomes true the run throws Interrupted.
  const std::atomic<bool>* stop = nullptr;
};

/// What a run will cost, from the problem's size alone (cheap).
struct ReducedDickeCost {
  std::string size;       ///< sectors, stored numbers and generator entries, for messages
  double numbers = 0;     ///< real numbers in the state (sum over blocks of n^2)
  double entries = 0;     ///< nonzeros of the generator
  double steps = 0;       ///< estimated integrator steps
  double memory_gib = 0;  ///< peak memory of the solver's own arrays
  double seconds = 0;     ///< rough run time
};

ReducedDickeCost estimate_reduced_dicke_cost(const Model& model, const LocalNoise& noise,
                                             const TimeGrid& grid,
                                             const ReducedDickeOptions& options = {});

/// Names of the columns solve_exact_local() returns for this model, in order.
std::vector<std::string> reduced_dicke_columns(const Model& model, const LocalNoise& noise);
/// Throws InvalidArgument for the first name that solve_exact_local() does not provide
/// (e.g. "N_em": a statistic of the jump record, not of rho).
void validate_reduced_dicke_columns(const Model& model, const LocalNoise& noise,
                                    const std::vector<std::string>& names);

/// Evolves the model's initial state with collective and local noise; see the file comment.
/// Throws InvalidArgument for invalid inputs or when the cost estimate exceeds
/// options.max_memory_gib or options.max_seconds, Interrupted when options.stop is set.
TimeSeries solve_exact_local(const Model& model, const LocalNoise& noise, const TimeGrid& grid,
                             const ReducedDickeOptions& options = {},
                             const ProgressCallback& progress = {});

/// Evolves the first segment's initial state (the thermal battery at its nbar) through the
/// protocol's segments (protocol.hpp): within each segment the generator of its model (its
/// reservoir coupling, rates and local noise), the state carried across every boundary
/// unchanged. `grid` must hold every boundary (protocol_time_grid()). Columns as
/// solve_exact_local(); the columns that depend on the rates (P_B, I_em, I_abs, I_loc_*,
/// W_open) are those of the segment that starts at a boundary time (its right-hand limit),
/// and of the last segment at the end. Throws as solve_exact_local(), the cost estimate
/// summed over the segments.
TimeSeries solve_exact_protocol(const Protocol& protocol, const TimeGrid& grid,
                                const ReducedDickeOptions& options = {},
                                const ProgressCallback& progress = {});

/// The estimated cost of solve_exact_protocol(): seconds summed over the segments, the
/// largest memory.
ReducedDickeCost estimate_protocol_cost(const Protocol& protocol, const TimeGrid& grid,
                                        const ReducedDickeOptions& options = {});

/// The stationary state of the same generator, as the time-independent columns (one row,
/// time = +inf; P_B, dS_B_dt = 0). The stationary state is unique when some local decay or
/// pumping rate is > 0 (it then connects every sector and M); without them (collective
/// and dephasing only) conserved quantities make it depend on the initial state, and this
/// function throws InvalidArgument (use solve_exact_local() at long times instead).
TimeSeries solve_steady_local(const Model& model, const LocalNoise& noise,
                              const ReducedDickeOptions& options = {});

}  // namespace darkcharge
