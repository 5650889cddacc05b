#pragma once
// Sampling::cascade (ensemble.hpp): run_ensemble() at nbar = 0 without sampling.
#include "darkcharge/coupled_exact_solver.hpp"
#include "darkcharge/ensemble.hpp"

namespace darkcharge {

/// The estimated cost of run_cascade_ensemble() for these options (the coupled solver's
/// estimate for the columns they ask for).
CoupledExactCost cascade_ensemble_cost(const Model& model, const TimeGrid& grid,
                                       const EnsembleOptions& options);

/// The columns, side outputs and peaks run_ensemble() gives, computed exactly from the
/// zero-temperature cascade (errors 0); the jump records of the first
/// options.record_trajectories trajectories are drawn as usual. Throws InvalidArgument
/// unless model.nbar == 0.
EnsembleResult run_cascade_ensemble(const Model& model, const TimeGrid& grid,
                                    const EnsembleOptions& options,
                                    const ProgressCallback& progress);

}  // namespace darkcharge
