#include "darkcharge/column_selection.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "darkcharge/errors.hpp"

namespace darkcharge {

const std::vector<std::string>& time_series_columns() {
  static const std::vector<std::string> names = {"E_B", "E_C", "P_B",     "W_open", "dark",
                                                 "W_B", "W_B_sym", "S_B", "dS_B_dt"};
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
  if (requested.empty()) return true;
  for (const char* name : names)
    if (std::find(requested.begin(), requested.end(), name) != requested.end()) return true;
  return false;
}

std::vector<std::string> plan_accumulators(const Model& model,
                                           const std::vector<std::string>& requested,
                                           bool states, bool sectors, EnsembleOptions& options) {
  std::vector<std::string> notes;
  options.ergotropy = wants(requested, {"W_B", "W_B_sym"});
  options.entanglement = states || wants(requested, {"S_B", "dS_B_dt"});
  options.sector_populations = sectors;
  const int width = std::min(model.n_charger, model.n_battery) + 1;  // 2 min(j_C,j_B)+1
  if (requested.empty() && !states && width > kDefaultEntanglementWidth) {
    options.entanglement = false;
    notes.push_back(fmt::format(
        "S_B and dS_B_dt left out by default for 2 min(j_C, j_B) + 1 = {} > {}; request them "
        "with --observables",
        width, kDefaultEntanglementWidth));
  }
  return notes;
}

void plan_exact(const std::vector<std::string>& requested, ExactOptions& options) {
  options.nonlinear = wants(requested, {"W_B", "W_B_sym", "S_B", "dS_B_dt"});
}

void plan_steady(const std::vector<std::string>& requested, SteadyStateOptions& options) {
  options.nonlinear = wants(requested, {"W_B", "W_B_sym", "S_B"});
}

TimeSeries select_columns(const TimeSeries& series, const std::vector<std::string>& requested) {
  if (requested.empty()) return series;
  TimeSeries out{series.time, {}};
  for (const auto& c : series.columns)
    if (std::find(requested.begin(), requested.end(), c.name) != requested.end())
      out.columns.push_back(c);
  return out;
}

std::vector<int> state_indices(const TimeGrid& grid, const std::vector<double>& times,
                               const char* argument) {
  std::vector<int> out;
  for (double t : times) {
    if (!(t >= 0) || t > grid.t_max)
      throw InvalidArgument(
          fmt::format("{}: {} is outside [0, t-max = {}]", argument, t, grid.t_max));
    out.push_back(static_cast<int>(std::lround(t / grid.step())));
  }
  return out;
}

}  // namespace darkcharge
