#pragma once
// The ways a planned run can be carried out, behind one interface that run_ensemble()
// chooses between (EnsemblePlan::sampling): quantum-jump trajectories averaged with error
// bars (trajectory_sampler.hpp), or at nbar = 0 the exact cascade that integrates the
// distribution of the emitted count instead of sampling it (cascade_sampler.hpp). Neither
// knows the other.
#include "darkcharge/core/progress.hpp"
#include "darkcharge/ensemble/plan.hpp"
#include "darkcharge/run/ensemble_result.hpp"

namespace darkcharge {

class Sampler {
 public:
  virtual ~Sampler() = default;
  /// Every column, side output and peak feature the plan asks for.
  virtual EnsembleResult run(const EnsemblePlan& plan, const ProgressCallback& progress) const = 0;
};

}  // namespace darkcharge
