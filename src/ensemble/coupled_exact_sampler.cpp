#include "ensemble/coupled_exact_sampler.hpp"

#include <algorithm>
#include <limits>
#include <map>

#include <fmt/format.h>

#include "darkcharge/core/errors.hpp"
#include "darkcharge/ensemble/peak_summary.hpp"
#include "darkcharge/observables/registry.hpp"

namespace darkcharge {
namespace {

/// Observable units whose columns are expectation values in the averaged state (or, for W_B
/// and S_B, functions of it): what the coupled-basis solver computes.
constexpr const char* kStateUnits[] = {"E_B", "E_C", "P_B", "W_open", "dark",
                                       "W_B", "S_B", "sigma_B", "I_em", "I_abs"};

bool is_state_unit(const std::string& unit) {
  return std::find(std::begin(kStateUnits), std::end(kStateUnits), unit) != std::end(kStateUnits);
}

bool wants_unit(const EnsembleOptions& options, const std::string& unit) {
  const std::vector<std::string> units = units_to_run(options);
  return std::find(units.begin(), units.end(), unit) != units.end();
}

CoupledExactOptions exact_options(const EnsembleOptions& options) {
  CoupledExactOptions exact;
  exact.nonlinear = wants_unit(options, "W_B") || wants_unit(options, "S_B");
  exact.negativity = wants_unit(options, "S_B");
  exact.state_times = options.state_times;  // states need every pair of chains (and cost them)
  return exact;
}

}  // namespace

CoupledExactResult solve_coupled_for_plan(const EnsemblePlan& plan,
                                          const ProgressCallback& progress, const char* solver) {
  const EnsembleOptions& options = plan.options;
  CoupledExactOptions exact = exact_options(options);
  exact.max_seconds = std::numeric_limits<double>::infinity();  // the plan chose it within budget
  exact.max_memory_gib = options.cascade_max_memory_gib;
  const auto throw_if_stopped = [&] {
    if (options.stop && options.stop->load(std::memory_order_relaxed))
      throw Interrupted(fmt::format("run interrupted before the {} finished", solver));
  };
  // The solver itself knows no stop flag: it is looked at every step reported.
  const ProgressCallback watch = [&](long done, long total) {
    throw_if_stopped();
    if (progress) progress(done, total);
  };
  throw_if_stopped();
  return solve_exact_coupled_detailed(plan.model, plan.grid, exact, watch);
}

std::vector<Column> requested_columns(const EnsembleOptions& options,
                                      const std::vector<Column>& solved,
                                      const std::vector<Column>& extra) {
  std::map<std::string, const Column*> by_name;
  for (const Column& c : solved) by_name[c.name] = &c;
  for (const Column& c : extra) by_name[c.name] = &c;
  std::vector<Column> columns;
  for (const auto& info : observable_registry())
    if (wants_unit(options, info.unit) && by_name.count(info.name))
      columns.push_back(*by_name[info.name]);
  return columns;
}

CoupledExactCost CoupledExactSampler::cost(const Model& model, const TimeGrid& grid,
                                           const EnsembleOptions& options) {
  return estimate_coupled_exact_cost(model, grid, exact_options(options));
}

bool CoupledExactSampler::too_large_to_estimate(const Model& model) {
  // held_pairs() looks at every pair (J, J') of every sector against every initial level of
  // it (~1 ns each), and a thermal battery's initial levels are listed first (~600 ns each).
  // Measured: a thermal N_B = 300, N_C = 3000 (~5e8 pairs) took 1.2 s to estimate (88 s of
  // propagation alone, E_B only); N_B = 1000, N_C = 10000, 60 s; N_B = 20000, N_C = 1
  // (1e8 levels), 60 s.
  constexpr double kLargestEnumeration = 2e9, kPairsPerLevel = 600;
  const double j1 = model.j_charger(), top = model.j_battery();
  if (model.battery_init == BatteryInit::ground) {
    const double n = 2 * std::min(j1, top) + 1;
    return n * n > kLargestEnumeration;
  }
  double work = 0;
  for (double j2 = top; j2 >= 0 && work <= kLargestEnumeration; j2 -= 1) {
    const double n = 2 * std::min(j1, j2) + 1;
    work += (n * n / 2 + kPairsPerLevel) * (2 * j2 + 1);
  }
  return work > kLargestEnumeration;
}

std::string CoupledExactSampler::missing_output(const EnsembleOptions& options) {
  for (const std::string& unit : units_to_run(options))
    if (!is_state_unit(unit)) {
      if (unit == "sectors") return "the sector populations";
      if (unit == "emission_counts") return "the emission counts";
      if (unit == "jump_record") return "the jump records";
      for (const auto& info : observable_registry())
        if (info.unit == unit) return fmt::format("column {}", info.name);
      return unit;
    }
  return "";
}

EnsembleResult CoupledExactSampler::run(const EnsemblePlan& plan,
                                        const ProgressCallback& progress) const {
  const EnsembleOptions& options = plan.options;
  const std::string missing = missing_output(options);
  if (!missing.empty())
    throw InvalidArgument(fmt::format(
        "sampling: exact (the coupled-basis solver) does not give {}; use trajectories", missing));
  if (!options.completed_units.empty())
    throw InvalidArgument("completed_units: the exact coupled-basis solver runs no work units; "
                          "resume with sampling = trajectories");
  const CoupledExactResult solved =
      solve_coupled_for_plan(plan, progress, "exact coupled-basis solver");

  EnsembleResult result;
  result.sampling = Sampling::exact;
  result.stop_reason = "exact";
  result.series.time = solved.series.time;
  result.series.columns = requested_columns(options, solved.series.columns);
  result.peaks = peak_summary(result.series, plan.grid);
  result.density = solved.density;
  result.notes.push_back(plan.sampling.reason);
  if (options.time_limit > 0 || options.on_unit_done || !options.target_errors.empty())
    result.notes.push_back(
        "--time-limit, --checkpoint and --target-error do not apply to the exact coupled-basis "
        "solver (nothing is sampled): it ran to the end.");
  return result;
}

}  // namespace darkcharge
