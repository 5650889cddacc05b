#pragma once
// Sampling::cascade: the columns, side outputs and peaks of the trajectory ensemble at
// nbar = 0, computed exactly from the zero-temperature cascade (errors 0); only the jump
// records of the first options.record_trajectories trajectories are drawn.
#include "darkcharge/exact/coupled_exact_solver.hpp"
#include "ensemble/sampler.hpp"

namespace darkcharge {

class CascadeSampler : public Sampler {
 public:
  /// Throws InvalidArgument unless plan.model.nbar == 0.
  EnsembleResult run(const EnsemblePlan& plan, const ProgressCallback& progress) const override;
  /// The estimated cost of run() for these options (the coupled solver's estimate for the
  /// columns they ask for).
  static CoupledExactCost cost(const Model& model, const TimeGrid& grid,
                               const EnsembleOptions& options);
};

}  // namespace darkcharge
