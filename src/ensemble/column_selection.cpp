#include "darkcharge/ensemble/column_selection.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "darkcharge/core/errors.hpp"

namespace darkcharge {

namespace {

/// Whether the default columns, S_B included, would be computed exactly: by the nbar = 0
/// cascade or, at nbar > 0, by the coupled-basis solver.
bool exact_gives_default_negativity(const Model& model, const TimeGrid& grid,
                                    const EnsembleOptions& options) {
  EnsembleOptions probe;
  probe.sampling = options.sampling;
  probe.cascade_budget_seconds = options.cascade_budget_seconds;
  probe.cascade_max_memory_gib = options.cascade_max_memory_gib;
  for (const auto& info : observable_registry())
    if (info.in_default) probe.observables.push_back(info.name);
  const Sampling chosen = choose_sampling(model, grid, probe).sampling;
  return chosen == Sampling::cascade || (chosen == Sampling::exact && !model.local.any());
}

}  // namespace

// The linear columns, the ergotropies and sigma_B. S_B, dS_B_dt only on request: their
// estimate keeps psi psi^T per block, time and visited (j_C, j_B, M), and its cost grows with
// the number of sectors the noise reaches.
const std::vector<std::string>& local_noise_simulate_columns() {
  static const std::vector<std::string> names = {"E_B", "E_C", "P_B", "W_open", "dark", "W_B",
                                                 "W_B_sym", "sigma_B", "I_em", "I_abs"};
  return names;
}

const std::vector<std::string>& local_noise_requestable_columns() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> all = local_noise_simulate_columns();
    for (const char* name : {"S_B", "dS_B_dt", "N_em", "N_abs", "F_em"}) all.push_back(name);
    return all;
  }();
  return names;
}

ObservablePlan plan_observables(const Model& model, const TimeGrid& grid,
                                const std::vector<std::string>& requested, bool need_density,
                                EnsembleOptions& options) {
  validate_observables(requested);
  ObservablePlan plan;
  const int width = std::min(model.n_charger, model.n_battery) + 1;  // 2 min(j_C,j_B)+1
  const bool drop_entanglement = requested.empty() && !need_density &&
                                 width > kValidatedEntanglementWidth &&
                                 !exact_gives_default_negativity(model, grid, options);
  if (drop_entanglement)
    plan.notes.push_back(fmt::format(
        "S_B and dS_B_dt left out by default for 2 min(j_C, j_B) + 1 = {} > {}, the largest "
        "width where trajectory estimates of them are validated (and no exact solver within "
        "budget); `darkcharge exact` gives them exactly",
        width, kValidatedEntanglementWidth));
  options.observables.clear();
  for (const auto& info : observable_registry()) {
    const bool wanted = requested.empty() ? info.in_default : requests_any(requested, {info.name});
    if (wanted && !(drop_entanglement && info.unit == "S_B")) plan.columns.push_back(info.name);
    const bool computed =
        (wanted && !(drop_entanglement && info.unit == "S_B")) || info.name == "P_B";
    if (computed) options.observables.push_back(info.name);
  }
  // Averaged states: the trajectory path builds them in the S_B observable; the cascade
  // builds them from its own amplitudes at the state times (no negativity needed).
  const bool has_negativity = std::find(options.observables.begin(), options.observables.end(),
                                        "S_B") != options.observables.end();
  if (need_density && !has_negativity &&
      choose_sampling(model, grid, options).sampling == Sampling::trajectories)
    options.observables.push_back("S_B");
  options.ergotropy = requests_any(options.observables, {"W_B", "W_B_sym"});
  options.entanglement = requests_any(options.observables, {"S_B", "dS_B_dt"});
  return plan;
}

const std::vector<std::string>& time_series_columns() {
  static const std::vector<std::string> names = observable_names();
  return names;
}

const std::vector<std::string>& default_columns() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const auto& info : observable_registry())
      if (info.in_default) out.push_back(info.name);
    return out;
  }();
  return names;
}

const std::vector<std::string>& steady_columns() {
  static const std::vector<std::string> names = {"E_B", "E_C",     "W_open", "dark",
                                                 "W_B", "W_B_sym", "S_B",    "dE_B_dT"};
  return names;
}

void check_columns(const char* argument, const std::vector<std::string>& requested,
                   const std::vector<std::string>& known) {
  for (const auto& name : requested)
    if (std::find(known.begin(), known.end(), name) == known.end())
      throw InvalidArgument(fmt::format("{}: unknown column '{}' (known: {})", argument, name,
                                        fmt::join(known, ", ")));
}

bool wants(const std::vector<std::string>& requested, std::initializer_list<const char*> names) {
  return requests_any(requested, std::vector<std::string>(names.begin(), names.end()));
}

std::vector<std::string> plan_accumulators(const Model& model, const TimeGrid& grid,
                                           const std::vector<std::string>& requested,
                                           bool states, bool sectors, EnsembleOptions& options) {
  const ObservablePlan plan = plan_observables(model, grid, requested, states, options);
  options.sector_populations = sectors;
  return plan.notes;
}

void plan_exact(const std::vector<std::string>& requested, ExactOptions& options) {
  options.nonlinear = wants(requested, {"W_B", "W_B_sym", "S_B", "dS_B_dt"});
  // Four times the work: only when named (not in the default columns).
  options.counting = !requested.empty() && wants(requested, {"N_em", "N_abs", "F_em"});
}

void plan_exact(const std::vector<std::string>& requested, CoupledExactOptions& options) {
  options.nonlinear = wants(requested, {"W_B", "W_B_sym", "S_B", "dS_B_dt"});
  options.negativity = wants(requested, {"S_B", "dS_B_dt"});
}

void check_exact_columns(const std::vector<std::string>& requested, const std::string& method,
                         const char* argument) {
  for (const auto& name : requested) {
    const ObservableInfo& info = observable_info(name);
    if (!info.exact)
      throw InvalidArgument(fmt::format(
          "{}: {} is not computed by the exact solvers (simulate only)", argument, name));
    if (info.exact_product_only && method != "product")
      throw InvalidArgument(fmt::format(
          "{}: {} is computed exactly only by method product (full counting statistics in "
          "the product basis), not by method {}",
          argument, name, method));
  }
}

std::vector<std::string> exact_columns(const std::vector<std::string>& requested) {
  if (!requested.empty()) return requested;
  std::vector<std::string> columns;
  for (const auto& info : observable_registry())
    if (info.exact && info.in_default) columns.push_back(info.name);
  return columns;
}

void plan_steady(const std::vector<std::string>& requested, SteadyStateOptions& options) {
  options.nonlinear = wants(requested, {"W_B", "W_B_sym", "S_B"});
}

std::vector<int> state_indices(const TimeGrid& grid, const std::vector<double>& times,
                               const char* argument) {
  std::vector<int> out;
  for (double t : times) {
    if (!(t >= 0) || t > grid.t_max)
      throw InvalidArgument(
          fmt::format("{}: {} is outside [0, t-max = {}]", argument, t, grid.t_max));
    out.push_back(grid.nearest_index(t));
  }
  return out;
}

}  // namespace darkcharge
