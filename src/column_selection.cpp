#include "darkcharge/column_selection.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "darkcharge/errors.hpp"

namespace darkcharge {

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
