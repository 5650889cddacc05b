#include "ensemble/reduced_dicke_sampler.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "darkcharge/core/errors.hpp"
#include "darkcharge/exact/reduced_dicke_solver.hpp"
#include "ensemble/local_noise_sampler.hpp"

namespace darkcharge {

EnsembleResult ReducedDickeSampler::run(const EnsemblePlan& plan, const ProgressCallback& progress) const {
  const Model& model = plan.model;
  const EnsembleOptions& options = plan.options;
  // The same requests as the trajectories: their columns only, no side outputs.
  LocalNoiseSampler::check_columns(model, options.observables);
  validate_reduced_dicke_columns(model, model.local, options.observables);
  LocalNoiseSampler::refuse_side_outputs(options, "the exact reduced Dicke-basis solver");
  if (!options.completed_units.empty())
    throw InvalidArgument("completed_units: the exact reduced Dicke-basis solver runs no work units; "
                          "resume with sampling = trajectories");
  ReducedDickeOptions exact;
  exact.max_memory_gib = options.cascade_max_memory_gib;
  exact.max_seconds = std::numeric_limits<double>::infinity();  // the plan chose it within budget
  exact.stop = options.stop;
  const TimeSeries solved = plan.protocol
                                ? solve_exact_protocol(*plan.protocol, plan.grid, exact, progress)
                                : solve_exact_local(model, model.local, plan.grid, exact, progress);

  EnsembleResult result;
  result.sampling = Sampling::exact;
  result.stop_reason = "exact";
  result.series.time = solved.time;
  // The trajectories' columns (in their order), or those asked for.
  const std::vector<std::string> names =
      options.observables.empty() ? LocalNoiseSampler::columns(model) : options.observables;
  for (const std::string& name : LocalNoiseSampler::columns(model))
    if (std::find(names.begin(), names.end(), name) != names.end() && solved.has(name))
      result.series.columns.push_back(solved.column(name));
  result.notes.push_back(plan.sampling.reason);
  if (options.time_limit > 0 || !options.target_errors.empty())
    result.notes.push_back(
        "--time-limit and --target-error do not apply to the exact reduced Dicke-basis solver "
        "(nothing is sampled): it ran to the end.");
  LocalNoiseSampler::leave_out_peaks(result);
  return result;
}

}  // namespace darkcharge
