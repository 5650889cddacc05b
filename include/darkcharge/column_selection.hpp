#pragma once
/// @file column_selection.hpp
/// What a front end asks for (a subset of columns, state snapshots, sector populations) and
/// what the library must therefore compute. The CLI and the Python module both call these,
/// so the same request gives the same columns and the same numbers in both.
#include <initializer_list>
#include <string>
#include <vector>

#include "darkcharge/ensemble.hpp"
#include "darkcharge/exact_solver.hpp"
#include "darkcharge/model.hpp"
#include "darkcharge/steady_state.hpp"
#include "darkcharge/time_grid.hpp"
#include "darkcharge/time_series.hpp"

namespace darkcharge {

/// Every time-series column simulate and exact can output, in output order.
const std::vector<std::string>& time_series_columns();
/// Every column of the closed-form steady state, in output order (no P_B, dS_B_dt: they
/// vanish at the steady state; dE_B_dT is the temperature derivative of E_B^ss).
const std::vector<std::string>& steady_columns();

/// Throws InvalidArgument naming `argument` and the first unknown name unless every entry
/// of `requested` is in `known`.
void check_columns(const char* argument, const std::vector<std::string>& requested,
                   const std::vector<std::string>& known);

/// True if `requested` is empty (all columns) or holds one of `names`.
bool wants(const std::vector<std::string>& requested, std::initializer_list<const char*> names);

/// By default every column is on; S_B is then left out above this width 2 min(j_C,j_B)+1
/// (its jackknife does a dense eigen-decomposition per block of rho^{T_B} per replicate).
constexpr int kDefaultEntanglementWidth = 61;

/// Sets the accumulator switches of `options` (ergotropy, entanglement, sector populations)
/// for the requested columns; `states` asks for the averaged joint state at output times.
/// Returns notes for the user (e.g. S_B left out by default at large sizes).
std::vector<std::string> plan_accumulators(const Model& model,
                                           const std::vector<std::string>& requested,
                                           bool states, bool sectors, EnsembleOptions& options);

/// Exact solver: nonlinear observables only if one is requested.
void plan_exact(const std::vector<std::string>& requested, ExactOptions& options);
/// Steady state: W_B, W_B_sym, S_B only if one is requested.
void plan_steady(const std::vector<std::string>& requested, SteadyStateOptions& options);

/// Keeps the requested columns (all if none requested), in the canonical order.
TimeSeries select_columns(const TimeSeries& series, const std::vector<std::string>& requested);

/// Grid indices nearest to `times` (argument names the option in messages); throws
/// InvalidArgument for a time < 0 or beyond t_max.
std::vector<int> state_indices(const TimeGrid& grid, const std::vector<double>& times,
                               const char* argument);

}  // namespace darkcharge
