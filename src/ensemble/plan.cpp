#include "darkcharge/ensemble/plan.hpp"

#include <algorithm>
#include <optional>

#include <fmt/format.h>

#include "darkcharge/core/errors.hpp"
#include "darkcharge/exact/reduced_dicke_solver.hpp"
#include "darkcharge/observables/registry.hpp"
#include "ensemble/cascade_sampler.hpp"
#include "ensemble/coupled_exact_sampler.hpp"

namespace darkcharge {

namespace {

/// check_request() but for the reservoir: the options against the model and the grid.
void check_options(const Model& model, const TimeGrid& grid, const EnsembleOptions& options) {
  validate(grid);
  validate(model, grid);
  validate(options);
  validate_observables(options.observables);
  for (double t : options.count_times)
    if (!(t >= 0 && t <= grid.t_max))
      throw InvalidArgument(fmt::format("count_times: {} is outside [0, t_max = {}]", t, grid.t_max));
  for (double t : options.state_times)
    if (!(t >= 0 && t <= grid.t_max))
      throw InvalidArgument(fmt::format("state_times: {} is outside [0, t_max = {}]", t, grid.t_max));
  const std::vector<std::string> names = units_to_run(options);
  for (const auto& [name, bound] : options.target_errors) {
    if (!std::any_of(names.begin(), names.end(),
                     [&](const std::string& unit) { return unit_makes_any(unit, {name}); }))
      throw InvalidArgument(fmt::format("target_errors: column '{}' is not computed", name));
    if (!(bound > 0))
      throw InvalidArgument(fmt::format("target_errors: {} = {} must be > 0", name, bound));
  }
}

/// How auto's notes name an exact solver: when chosen, when passed over for trajectories,
/// and where its estimate's seconds run (" on one core", or "" for the reduced solvers).
struct ExactSolverNames {
  const char* chosen;
  const char* passed_over;
  const char* seconds_on;
};

/// Auto's choice once an exact solver gives everything asked for: the solver when its
/// estimate fits the cascade's budget (time and memory), else trajectories (`sampled` names
/// them); the note says which and why.
SamplingChoice exact_if_within_budget(double seconds, double memory_gib, const std::string& size,
                                      const EnsembleOptions& options,
                                      const ExactSolverNames& names, const std::string& sampled) {
  if (seconds <= options.cascade_budget_seconds && memory_gib <= options.cascade_max_memory_gib)
    return {Sampling::exact,
            fmt::format("sampling=exact: the {} (no sampling, errors 0) was estimated at {:.3g} "
                        "s{} and {:.3g} GiB, within the automatic budget of {:g} s and {:g} GiB "
                        "({}); --sampling trajectories samples instead",
                        names.chosen, seconds, names.seconds_on, memory_gib,
                        options.cascade_budget_seconds, options.cascade_max_memory_gib, size),
            seconds, memory_gib};
  return {Sampling::trajectories,
          fmt::format("{}: the exact {} was estimated at {:.3g} s{} and {:.3g} GiB, beyond the "
                      "automatic budget of {:g} s and {:g} GiB ({})",
                      sampled, names.passed_over, seconds, names.seconds_on, memory_gib,
                      options.cascade_budget_seconds, options.cascade_max_memory_gib, size)};
}

/// The first requested column the reduced Dicke-basis solver does not give for `model`
/// (N_em, N_abs, F_em are statistics of the jump record, not of rho), as auto's note for
/// trajectories; nullopt when it gives them all.
std::optional<SamplingChoice> reduced_dicke_lacks_column(const Model& model,
                                                         const EnsembleOptions& options,
                                                         const std::string& sampled) {
  const std::vector<std::string> exact_columns = reduced_dicke_columns(model, model.local);
  for (const std::string& name : options.observables)
    if (std::find(exact_columns.begin(), exact_columns.end(), name) == exact_columns.end())
      return SamplingChoice{
          Sampling::trajectories,
          fmt::format("{}; the exact reduced Dicke-basis solver does not give column {}",
                      sampled, name)};
  return std::nullopt;
}

/// Sampling::automatic at nbar > 0 without local noise: the coupled-basis exact solver (its
/// birth-death chains) under the cascade's budget, when it gives everything asked for.
SamplingChoice choose_coupled_exact(const Model& model, const TimeGrid& grid,
                                    const EnsembleOptions& options) {
  if (!options.completed_units.empty())
    return {Sampling::trajectories,
            "sampling=trajectories: resuming trajectory work units (a checkpoint)"};
  const std::string missing = CoupledExactSampler::missing_output(options);
  if (!missing.empty())
    return {Sampling::trajectories,
            fmt::format("sampling=trajectories: the exact coupled-basis solver does not give {}",
                        missing)};
  if (CoupledExactSampler::too_large_to_estimate(model))
    return {Sampling::trajectories,
            fmt::format("sampling=trajectories: N_B = {}, N_C = {} is far beyond what the exact "
                        "coupled-basis solver (darkcharge exact) does within the automatic "
                        "budget of {:g} s",
                        model.n_battery, model.n_charger, options.cascade_budget_seconds)};
  const CoupledExactCost cost = CoupledExactSampler::cost(model, grid, options);
  return exact_if_within_budget(
      cost.seconds, cost.memory_gib, cost.size, options,
      {"coupled-basis exact solver", "coupled-basis solver (darkcharge exact)", " on one core"},
      "sampling=trajectories");
}

}  // namespace

void check_request(const Model& model, const TimeGrid& grid, const EnsembleOptions& options) {
  validate(model);
  if (model.reservoir != ReservoirCoupling::both)
    throw InvalidArgument(fmt::format(
        "reservoir = '{}': a plain run has the shared reservoir (J = J_C + J_B); other "
        "couplings are protocol segments: run them as a protocol (simulate --protocol, "
        "plan_ensemble(protocol, ...)), which the local-noise trajectories and the reduced "
        "Dicke-basis exact solver run",
        to_string(model.reservoir)));
  check_options(model, grid, options);
}

SamplingChoice choose_sampling(const Model& model, const TimeGrid& grid,
                               const EnsembleOptions& options) {
  if (model.local.any()) {
    // Only the local-noise trajectories (LocalNoiseSampler) and the reduced Dicke-basis
    // solver honour single-spin noise: the cascade assumes collective emission only.
    if (options.sampling == Sampling::cascade)
      throw InvalidArgument("sampling: cascade has no local (single-spin) noise; use "
                            "trajectories or auto (local-noise trajectories, or the exact "
                            "reduced Dicke-basis solver when cheap)");
    const char* sampled = "sampling=trajectories: local-noise trajectories (reduced Dicke basis)";
    if (options.sampling == Sampling::trajectories) return {Sampling::trajectories, sampled};
    if (!options.completed_units.empty())
      return {Sampling::trajectories,
              "sampling=trajectories: resuming local-noise trajectory work units (a checkpoint)"};
    // Sampling::automatic: the exact solver under the cascade's budget, when it gives every
    // requested column.
    if (auto lacking = reduced_dicke_lacks_column(model, options, sampled)) return *lacking;
    const ReducedDickeCost cost = estimate_reduced_dicke_cost(model, model.local, grid);
    return exact_if_within_budget(
        cost.seconds, cost.memory_gib, cost.size, options,
        {"reduced Dicke-basis solver", "reduced Dicke-basis solver (darkcharge exact)", ""},
        sampled);
  }
  if (options.sampling == Sampling::trajectories) return {Sampling::trajectories, ""};
  if (model.nbar != 0.0) {
    if (options.sampling == Sampling::cascade)
      throw InvalidArgument(fmt::format(
          "sampling: cascade needs nbar = 0 (got nbar = {:g}); use trajectories or auto",
          model.nbar));
    return choose_coupled_exact(model, grid, options);
  }
  if (options.sampling == Sampling::automatic && !options.completed_units.empty())
    return {Sampling::trajectories,
            "sampling=trajectories: resuming trajectory work units (a checkpoint)"};
  const CoupledExactCost cost = CascadeSampler::cost(model, grid, options);
  if (options.sampling == Sampling::cascade ||
      (cost.seconds <= options.cascade_budget_seconds &&
       cost.memory_gib <= options.cascade_max_memory_gib))
    return {Sampling::cascade, "", cost.seconds, cost.memory_gib};
  return {Sampling::trajectories,
          fmt::format("sampling=trajectories: the exact nbar = 0 cascade (--sampling cascade) "
                      "was estimated at {:.3g} s on one core and {:.3g} GiB, beyond the "
                      "automatic budget of {:g} s and {:g} GiB",
                      cost.seconds, cost.memory_gib, options.cascade_budget_seconds,
                      options.cascade_max_memory_gib)};
}

EnsemblePlan plan_ensemble(const Model& model, const TimeGrid& grid,
                           const EnsembleOptions& options) {
  check_request(model, grid, options);
  return {model, grid, options, choose_sampling(model, grid, options), std::nullopt};
}

SamplingChoice choose_protocol_sampling(const Protocol& protocol, const TimeGrid& grid,
                                        const EnsembleOptions& options) {
  const std::string sampled = fmt::format(
      "sampling=trajectories: local-noise trajectories (reduced Dicke basis) through the "
      "protocol's {} segments", protocol.segments.size());
  if (options.sampling == Sampling::cascade)
    throw InvalidArgument("sampling: cascade does not run protocols (its closed forms assume "
                          "one shared reservoir and no single-spin noise); use trajectories or "
                          "auto (local-noise trajectories, or the exact reduced Dicke-basis "
                          "solver when cheap)");
  if (options.sampling == Sampling::trajectories) return {Sampling::trajectories, sampled};
  // Sampling::automatic: the exact protocol solver under the cascade's budget, when it gives
  // every requested column, as for a plain model with local noise.
  if (auto lacking = reduced_dicke_lacks_column(protocol.segments[0].model, options, sampled))
    return *lacking;
  const ReducedDickeCost cost = estimate_protocol_cost(protocol, grid);
  return exact_if_within_budget(cost.seconds, cost.memory_gib, cost.size, options,
                                {"reduced Dicke-basis protocol solver",
                                 "reduced Dicke-basis protocol solver (darkcharge exact "
                                 "--protocol)",
                                 ""},
                                sampled);
}

EnsemblePlan plan_ensemble(const Protocol& protocol, const TimeGrid& grid,
                           const EnsembleOptions& options) {
  validate(protocol);
  check_protocol_grid(protocol, grid);
  if (is_plain_model(protocol)) return plan_ensemble(protocol.segments[0].model, grid, options);
  const Model& first = protocol.segments[0].model;
  check_options(first, grid, options);
  return {first, grid, options, choose_protocol_sampling(protocol, grid, options), protocol};
}

}  // namespace darkcharge
