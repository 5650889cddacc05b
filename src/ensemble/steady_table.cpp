#include "darkcharge/ensemble/steady_table.hpp"

#include <cmath>

#include "darkcharge/ensemble/column_selection.hpp"
#include "darkcharge/core/errors.hpp"
#include "darkcharge/exact/reduced_dicke_solver.hpp"
#include "darkcharge/exact/steady_state.hpp"

namespace darkcharge {
namespace {

/// T = omega / ln(1 + 1/nbar), the inverse of nbar_from_temperature.
double temperature_from_nbar(double nbar, double omega) {
  return nbar == 0 ? 0.0 : omega / std::log1p(1.0 / nbar);
}

/// With local noise the steady state is no longer the collective model's dark plateau: it
/// is the null vector of the reduced Dicke-basis generator (solve_steady_local), one per row.
/// Its columns are those of the reduced solver; dE_B_dT has no closed form there and is left
/// out.
SteadyTable fill_local_rows(const Model& model, const std::vector<std::string>& requested,
                            SteadyTable table) {
  for (const auto& name : requested)
    if (name == "dE_B_dT")
      throw InvalidArgument("observables: dE_B_dT has no closed form with local noise");
  for (std::size_t row = 0; row < table.nbar.size(); ++row) {
    Model m = model;
    m.nbar = table.nbar[row];
    const TimeSeries s = solve_steady_local(m, m.local);
    if (row == 0)
      for (const auto& c : s.columns)
        if (c.name != "P_B" && c.name != "dS_B_dt" && wants(requested, {c.name.c_str()}))
          table.columns.push_back({c.name, {}, {}, "exact", c.note});
    for (auto& c : table.columns) {
      c.value.push_back(s.column(c.name).value.front());
      c.error.push_back(0.0);
    }
  }
  return table;
}

}  // namespace

SteadyTable steady_table(const Model& model, const std::vector<double>& temperatures,
                         const std::vector<double>& nbar_values,
                         const std::vector<std::string>& requested) {
  check_columns("observables", requested, steady_columns());
  SteadyTable table;
  for (double t : temperatures) {
    table.temperature.push_back(t);
    table.nbar.push_back(nbar_from_temperature(t, model.omega));
  }
  for (double n : nbar_values) {
    check_non_negative("nbar", n);
    table.temperature.push_back(temperature_from_nbar(n, model.omega));
    table.nbar.push_back(n);
  }
  if (table.nbar.empty()) {
    table.temperature.push_back(temperature_from_nbar(model.nbar, model.omega));
    table.nbar.push_back(model.nbar);
  }
  if (model.local.any()) return fill_local_rows(model, requested, std::move(table));
  for (const auto& name : steady_columns())
    if (wants(requested, {name.c_str()})) table.columns.push_back({name, {}, {}, "exact", ""});
  SteadyStateOptions options;
  plan_steady(requested, options);
  for (std::size_t row = 0; row < table.nbar.size(); ++row) {
    Model m = model;
    m.nbar = table.nbar[row];
    const SteadyState s = steady_state(m, options);
    for (auto& c : table.columns) {
      double v = 0;
      if (c.name == "E_B") v = s.e_battery;
      else if (c.name == "E_C") v = s.e_charger;
      else if (c.name == "W_open") v = s.w_open;
      else if (c.name == "dark") v = s.dark;
      else if (c.name == "W_B") v = s.ergotropy;
      else if (c.name == "W_B_sym") v = s.ergotropy_symmetric;
      else if (c.name == "S_B") v = s.log_negativity;
      else v = steady_energy_temperature_derivative(m, table.temperature[row]);  // dE_B_dT
      c.value.push_back(v);
      c.error.push_back(0.0);
    }
  }
  return table;
}

}  // namespace darkcharge
