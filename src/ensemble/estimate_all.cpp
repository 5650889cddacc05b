#include "ensemble/estimate_all.hpp"

#include <algorithm>
#include <cmath>

#include "darkcharge/core/errors.hpp"
#include "darkcharge/ensemble/peak_summary.hpp"
#include "darkcharge/observables/registry.hpp"

namespace darkcharge {

EnsembleResult estimate_all(const TrajectorySetup& setup, const BlockFolder& folder,
                            const PhaseBounds& bounds, const std::vector<std::string>* only) {
  const RunPlan& plan = setup.plan;
  const auto& observables = setup.observables;
  const auto& unit_names = setup.unit_names;
  const auto blocks = folder.blocks();
  if (blocks.empty()) throw InvalidArgument("no work unit finished (time limit too short?)");
  std::vector<BlockStatistics> means;
  std::vector<long> sizes;
  for (const UnitResult* b : blocks) {
    means.push_back(b->means);
    sizes.push_back(b->trajectories);
  }
  EnsembleResult result;
  for (int g = 0; g < plan.grid.points; ++g) result.series.time.push_back(plan.grid.time(g));
  Estimates estimates{result, {}, bounds};
  for (std::size_t i = 0; i < observables.size(); ++i) {
    if (only && !unit_makes_any(unit_names[i], *only)) continue;
    bounds.check_stop("estimate");
    std::vector<const BlockRecord*> records;
    if (blocks.front()->records[i])
      for (const UnitResult* b : blocks) records.push_back(b->records[i].get());
    const BlockSums sums(means, plan.offsets[i], std::move(records), sizes, plan.model, plan.grid);
    observables[i]->estimate(sums, estimates);
  }
  if (only) return result;
  bounds.check_stop("estimate");
  const Replicates& power = estimates.curves.at("P_B");
  const auto rate = estimates.curves.find("dS_B_dt");
  if (rate != estimates.curves.end() && bounds.cut()) {  // dS_B_dt NaN where S_B was not reached
    result.peaks = peaks_with_errors(plan.grid, power.full, power.leave_one_out, nullptr, nullptr);
    result.peaks.entanglement_note = "the time limit ended the S_B estimate";
  } else if (rate != estimates.curves.end())
    result.peaks = peaks_with_errors(plan.grid, power.full, power.leave_one_out,
                                     &rate->second.full, &rate->second.leave_one_out);
  else
    result.peaks = peaks_with_errors(plan.grid, power.full, power.leave_one_out, nullptr, nullptr);
  return result;
}
bool targets_met(const TrajectorySetup& setup, const BlockFolder& folder, const PhaseBounds& bounds) {
  const RunPlan& plan = setup.plan;
  std::vector<std::string> names;
  for (const auto& target : plan.options.target_errors) names.push_back(target.first);
  const EnsembleResult partial = estimate_all(setup, folder, bounds, &names);
  for (const auto& [name, bound] : plan.options.target_errors) {
    double largest = -1;
    for (double e : partial.series.column(name).error)
      if (!std::isnan(e)) largest = std::max(largest, e);
    if (!(largest >= 0 && largest <= bound)) return false;
  }
  return true;
}

}  // namespace darkcharge
