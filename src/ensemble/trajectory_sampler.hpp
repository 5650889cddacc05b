#pragma once
// Sampling::trajectories: quantum-jump trajectories in work units (run/ensemble_runner.hpp),
// folded into blocks in unit order and estimated with each observable's error method.
#include <functional>
#include <map>
#include <string>

#include "ensemble/sampler.hpp"

namespace darkcharge {

class TrajectorySampler : public Sampler {
 public:
  /// Runs the work units not in options.completed_units (until a target error, time limit
  /// or the end) and estimates every column from all of them.
  EnsembleResult run(const EnsemblePlan& plan, const ProgressCallback& progress) const override;
  /// Runs only the units u with select(u) and returns their serialized results, without
  /// estimating anything (for spreading one run over processes).
  std::map<long, std::string> run_units(const EnsemblePlan& plan,
                                        const std::function<bool(long unit)>& select,
                                        const ProgressCallback& progress) const;
};

}  // namespace darkcharge
