// The coupled-basis exact solver's entry points: the cost check against the caller's limits,
// then the propagation path (zero-temperature cascade or birth-death chains) that applies.
#include "darkcharge/exact/coupled_exact_solver.hpp"

#include <map>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "darkcharge/core/errors.hpp"
#include "darkcharge/physics/initial_state.hpp"
#include "exact/coupled_exact_internal.hpp"

namespace darkcharge {
namespace coupled_exact {

/// Initial levels grouped by battery sector j_B: (m_B, probability).
std::map<double, std::vector<std::pair<double, double>>> levels_by_sector(const Model& model) {
  std::map<double, std::vector<std::pair<double, double>>> out;
  for (const auto& level : initial_mixture(model))
    if (level.probability > 0)
      out[level.state.j_battery].emplace_back(level.state.m_battery, level.probability);
  return out;
}

bool uses_cascade(const Model& model, const CoupledExactOptions& options) {
  return options.zero_temperature_cascade && model.nbar == 0.0 && initial_mixture(model).size() == 1;
}

}  // namespace coupled_exact

CoupledExactResult solve_exact_coupled_detailed(const Model& model, const TimeGrid& grid,
                                                const CoupledExactOptions& options,
                                                const ProgressCallback& progress) {
  const CoupledExactCost cost = estimate_coupled_exact_cost(model, grid, options);
  const std::string what = fmt::format(
      "exact solver (coupled basis, {}): N_B = {}, N_C = {}, {}, {} grid points", cost.method,
      model.n_battery, model.n_charger, cost.size, grid.points);
  if (cost.memory_gib > options.max_memory_gib)
    throw InvalidArgument(fmt::format(
        "{} needs an estimated {:.3g} GiB, more than max_memory_gib = {:.3g} (CLI: --max-memory)",
        what, cost.memory_gib, options.max_memory_gib));
  if (cost.seconds > options.max_seconds)
    throw InvalidArgument(fmt::format(
        "{} needs an estimated {:.3g} s on one core, more than max_seconds = {:.3g} (CLI: "
        "--max-seconds)",
        what, cost.seconds, options.max_seconds));
  if (coupled_exact::uses_cascade(model, options))
    return coupled_exact::solve_with_cascade(model, grid, options, progress);
  return coupled_exact::solve_with_chains(model, grid, options, progress);
}

TimeSeries solve_exact_coupled(const Model& model, const TimeGrid& grid,
                               const CoupledExactOptions& options,
                               const ProgressCallback& progress) {
  return solve_exact_coupled_detailed(model, grid, options, progress).series;
}

}  // namespace darkcharge
