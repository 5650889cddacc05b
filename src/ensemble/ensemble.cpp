#include "darkcharge/ensemble/ensemble.hpp"

#include "darkcharge/core/errors.hpp"
#include "ensemble/cascade_sampler.hpp"
#include "ensemble/coupled_exact_sampler.hpp"
#include "ensemble/local_noise_sampler.hpp"
#include "ensemble/reduced_dicke_sampler.hpp"
#include "ensemble/trajectory_sampler.hpp"
#include "run/scoped_threads.hpp"

namespace darkcharge {

EnsembleResult run_ensemble(const EnsemblePlan& plan, const ProgressCallback& progress) {
  const ScopedThreads threads(plan.options.threads);  // the estimators' and solver's loops too
  if (plan.model.local.any() || plan.protocol)
    return plan.sampling.sampling == Sampling::exact ? ReducedDickeSampler().run(plan, progress)
                                                     : LocalNoiseSampler().run(plan, progress);
  if (plan.sampling.sampling == Sampling::cascade) return CascadeSampler().run(plan, progress);
  if (plan.sampling.sampling == Sampling::exact) return CoupledExactSampler().run(plan, progress);
  return TrajectorySampler().run(plan, progress);
}

EnsembleResult run_ensemble(const Model& model, const TimeGrid& grid,
                            const EnsembleOptions& options, const ProgressCallback& progress) {
  return run_ensemble(plan_ensemble(model, grid, options), progress);
}

std::map<long, std::string> run_work_units(const EnsemblePlan& plan,
                                           const std::function<bool(long unit)>& select,
                                           const ProgressCallback& progress) {
  if (plan.sampling.sampling == Sampling::cascade || plan.sampling.sampling == Sampling::exact)
    return {};  // nothing is sampled: run_ensemble() computes everything
  if (plan.model.local.any() || plan.protocol) return LocalNoiseSampler().run_units(plan, select, progress);
  return TrajectorySampler().run_units(plan, select, progress);
}

std::map<long, std::string> run_work_units(const Model& model, const TimeGrid& grid,
                                           const EnsembleOptions& options,
                                           const std::function<bool(long unit)>& select,
                                           const ProgressCallback& progress) {
  return run_work_units(plan_ensemble(model, grid, options), select, progress);
}

TimeSeries simulate(const Model& model, const TimeGrid& grid, const EnsembleOptions& options,
                    const ProgressCallback& progress) {
  return run_ensemble(model, grid, options, progress).series;
}

}  // namespace darkcharge
