#pragma once
/// @file column_selection.hpp
/// What a front end asks for (a subset of columns, state snapshots, sector populations) and
/// what the library must therefore compute. The CLI and the Python module both call these,
/// so the same request gives the same columns and the same numbers in both. Column names,
/// the default set and what each column needs come from the observable registry
/// (observable_registry.hpp); these functions only adapt it to the front ends.
#include <initializer_list>
#include <string>
#include <vector>

#include "darkcharge/exact/coupled_exact_solver.hpp"
#include "darkcharge/ensemble/ensemble.hpp"
#include "darkcharge/exact/exact_solver.hpp"
#include "darkcharge/physics/model.hpp"
#include "darkcharge/observables/registry.hpp"
#include "darkcharge/exact/steady_state.hpp"
#include "darkcharge/core/time_grid.hpp"
#include "darkcharge/estimate/time_series.hpp"

namespace darkcharge {

/// What a simulate run computes and writes.
struct ObservablePlan {
  std::vector<std::string> columns;  ///< output columns, canonical order
  std::vector<std::string> notes;    ///< why something was left out (for the user)
};

/// Plans a run for the requested columns (empty = the default set, ObservableInfo::in_default). Sets options.observables
/// to what must be computed: the requested columns, P_B (peak summary), and S_B when
/// `need_density` (averaged state outputs). By default S_B and dS_B_dt are left out above
/// 2 min(j_C, j_B) + 1 = 61 (their trajectory estimate diagonalises rho^{T_B} ~100 times
/// per block and time, and is validated only up to width 21), with a note -- unless the
/// run takes the exact nbar = 0 cascade (choose_sampling(), S_B included, within budget),
/// where S_B is exact and costs one diagonalisation per time.
ObservablePlan plan_observables(const Model& model, const TimeGrid& grid,
                                const std::vector<std::string>& requested, bool need_density,
                                EnsembleOptions& options);

/// Every time-series column simulate can output, in output order (the registry's names;
/// those beyond the default set only on request).
const std::vector<std::string>& time_series_columns();
/// The columns simulate outputs when none are requested (the registry's default set; S_B
/// and dS_B_dt may still be left out at large sizes, see plan_accumulators()).
const std::vector<std::string>& default_columns();
/// The columns simulate computes by default with local (single-spin) noise, in output order:
/// those of the local-noise trajectories that the exact reduced Dicke-basis solver also
/// gives (so `auto` can take it when cheap).
const std::vector<std::string>& local_noise_simulate_columns();
/// Those, S_B and dS_B_dt (on request only), and the emission record N_em, N_abs, F_em
/// (collective jumps only; trajectories only): all a local-noise simulate request may name.
const std::vector<std::string>& local_noise_requestable_columns();
/// Every column of the closed-form steady state, in output order (no P_B, dS_B_dt: they
/// vanish at the steady state; dE_B_dT is the temperature derivative of E_B^ss).
const std::vector<std::string>& steady_columns();

/// Throws InvalidArgument naming `argument` and the first unknown name unless every entry
/// of `requested` is in `known`.
void check_columns(const char* argument, const std::vector<std::string>& requested,
                   const std::vector<std::string>& known);

/// True if `requested` is empty (all columns) or holds one of `names` (requests_any()).
bool wants(const std::vector<std::string>& requested, std::initializer_list<const char*> names);

/// Sets the columns `options` computes (plan_observables(): the requested ones, or the
/// registry's default set; S_B when `states` asks for the averaged joint state at output
/// times) and the sector populations. Returns notes for the user (e.g. S_B left out by
/// default at large sizes).
std::vector<std::string> plan_accumulators(const Model& model, const TimeGrid& grid,
                                           const std::vector<std::string>& requested,
                                           bool states, bool sectors, EnsembleOptions& options);

/// Exact solver: nonlinear observables only if one is requested (or none is), the jump
/// record's moments (N_em, N_abs, F_em) only if one is named.
void plan_exact(const std::vector<std::string>& requested, ExactOptions& options);
/// The coupled-basis solver: nonlinear columns, and among them the costly negativity, only
/// if requested.
void plan_exact(const std::vector<std::string>& requested, CoupledExactOptions& options);
/// Throws InvalidArgument (naming `argument` and the column) unless every requested column
/// is computed by the exact solver of `method` ("coupled" or "product").
void check_exact_columns(const std::vector<std::string>& requested, const std::string& method,
                         const char* argument);
/// The columns an exact run outputs: `requested`, or the registry's default set of columns
/// the exact solvers compute (as for simulate, sigma_B, I_em, I_abs only on request).
std::vector<std::string> exact_columns(const std::vector<std::string>& requested);
/// Steady state: W_B, W_B_sym, S_B only if one is requested.
void plan_steady(const std::vector<std::string>& requested, SteadyStateOptions& options);

// select_columns(series, requested): observable_registry.hpp.

/// Grid indices nearest to `times` (argument names the option in messages); throws
/// InvalidArgument for a time < 0 or beyond t_max.
std::vector<int> state_indices(const TimeGrid& grid, const std::vector<double>& times,
                               const char* argument);

}  // namespace darkcharge
