#include "darkcharge/ensemble/steady_table.hpp"

#include <cmath>

#include "darkcharge/ensemble/column_selection.hpp"
#include "darkcharge/core/errors.hpp"
#include "darkcharge/exact/steady_state.hpp"

namespace darkcharge {
namespace {

/// T = omega / ln(1 + 1/nbar), the inverse of nbar_from_temperature.
double temperature_from_nbar(double nbar, double omega) {
  return nbar == 0 ? 0.0 : omega / std::log1p(1.0 / nbar);
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
