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
  const std::pair<const char*, bool> unsupported[] = {
      {"count_times", !options.count_times.empty()},
      {"record_trajectories", options.record_trajectories > 0},
      {"completed_units", !options.completed_units.empty()},
      {"sector_populations", options.sector_populations},
  };
  for (const auto& [option, given] : unsupported)
    if (given)
      throw InvalidArgument(fmt::format(
          "{}: not available with local (single-spin) noise (the exact reduced Dicke-basis solver)", option));
  ReducedDickeOptions exact;
  exact.max_memory_gib = options.cascade_max_memory_gib;
  exact.max_seconds = std::numeric_limits<double>::infinity();  // the plan chose it within budget
  exact.stop = options.stop;
  const TimeSeries solved = solve_exact_local(model, model.local, plan.grid, exact, progress);

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
  // As the local-noise trajectories: no peak features (they need dS_B_dt replicates).
  const double nan = std::nan("");
  result.peaks.power_max = result.peaks.power_max_time = {nan, nan};
  result.peaks.entanglement_rate_max = result.peaks.entanglement_rate_max_time = {nan, nan};
  result.peaks.lag = {nan, nan};
  result.peaks.power_note = result.peaks.entanglement_note = "not computed with local noise";
  return result;
}

}  // namespace darkcharge
