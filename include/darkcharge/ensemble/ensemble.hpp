#pragma once
/// @file ensemble.hpp
/// Many trajectories in parallel (OpenMP), averaged into observables with error bars; or,
/// where the unravelling allows, the same columns computed exactly without sampling. The
/// library's entry point: plan a run (plan.hpp), then run the plan.
#include <functional>
#include <map>
#include <string>

#include "darkcharge/core/progress.hpp"
#include "darkcharge/core/time_grid.hpp"
#include "darkcharge/ensemble/peak_summary.hpp"
#include "darkcharge/ensemble/plan.hpp"
#include "darkcharge/estimate/time_series.hpp"
#include "darkcharge/physics/model.hpp"
#include "darkcharge/run/ensemble_result.hpp"
#include "darkcharge/run/run_options.hpp"

namespace darkcharge {

/// Runs a plan (plan_ensemble()): trajectories, or at nbar = 0 the exact cascade
/// (EnsemblePlan::sampling; every error 0 there, error method "exact"). Columns
/// (physics.md, observables/registry.hpp): those named in
/// options.observables (plus P_B, for the peaks), or by default E_B, E_C, P_B, W_open, dark
/// (mean and standard error over trajectories), with `ergotropy` W_B, W_B_sym (NaN unless
/// the battery stays symmetric), with `entanglement` S_B and dS_B_dt. Each observable's
/// estimate() owns its error method: W_B, W_B_sym, S_B root-n corrected
/// (nonsmooth_estimate.hpp), clamped at 0 (bounded_estimate.hpp), jackknife errors; dS_B_dt
/// the derivative of S_B; errors of linear columns at least the rare-event bounds of
/// rare_event_floor.hpp. Column::note says where a bound or clamp acted. Runs the work
/// units not in options.completed_units and folds all of them into blocks in unit order:
/// identical output for any thread count, completion order, or split into earlier runs.
EnsembleResult run_ensemble(const EnsemblePlan& plan, const ProgressCallback& progress = {});

/// run_ensemble(plan_ensemble(model, grid, options), progress).
EnsembleResult run_ensemble(const Model& model, const TimeGrid& grid,
                            const EnsembleOptions& options, const ProgressCallback& progress = {});

/// Runs only the work units u with select(u) and returns their serialized results, without
/// estimating anything: for spreading one run over processes (MPI), where one process then
/// passes every unit's result to run_ensemble() as EnsembleOptions::completed_units. The
/// options must be the same in every process. With local noise or through a protocol the
/// local-noise trajectories' units (their own format); with the cascade or the exact reduced Dicke-basis solver
/// nothing is sampled and the map is empty.
std::map<long, std::string> run_work_units(const EnsemblePlan& plan,
                                           const std::function<bool(long unit)>& select,
                                           const ProgressCallback& progress = {});
std::map<long, std::string> run_work_units(const Model& model, const TimeGrid& grid,
                                           const EnsembleOptions& options,
                                           const std::function<bool(long unit)>& select,
                                           const ProgressCallback& progress = {});

/// run_ensemble(...).series.
TimeSeries simulate(const Model& model, const TimeGrid& grid, const EnsembleOptions& options,
                    const ProgressCallback& progress = {});

}  // namespace darkcharge
