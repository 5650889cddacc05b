#include "darkcharge/rare_event_floor.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace darkcharge {

double rare_event_floor(double range, long trajectories) {
  return 1.5 * range / static_cast<double>(trajectories);
}

void apply_rare_event_floor(Column& column, double range, long trajectories) {
  const double floor = rare_event_floor(range, trajectories);
  int raised = 0;
  for (double& e : column.error)
    if (e < floor) {  // false for NaN
      e = floor;
      ++raised;
    }
  if (raised == 0) return;
  if (!column.note.empty()) column.note += " ";
  column.note += fmt::format(
      "At {} time(s) the error is the rare-event floor {:.3g} = 1.5 x (range of one "
      "trajectory's value {:.3g}) / n, larger than the standard error: events with probability "
      "< 3/n may be missing from the sample (95%).",
      raised, floor, range);
}

double power_range(const Model& model) {
  const double total_j = 0.5 * (model.n_battery + model.n_charger);
  const double bound = 2 * model.gamma * (2 * model.nbar + 1) * (total_j + 0.5) *
                       (model.j_battery() + 0.5) / model.n_battery;
  return 2 * bound;
}

double negativity_range(const Model& model, double log_negativity, long trajectories) {
  const double d = std::min(model.n_charger, model.n_battery) + 1.0;
  const double norm = std::exp2(std::max(0.0, log_negativity));
  const double p = 3.0 / static_cast<double>(trajectories);
  const double shift = std::log2(1 + p * (d + norm) / norm);  // largest move of S_B
  return shift / p;  // so that rare_event_floor(range, n) = shift / 2
}

}  // namespace darkcharge
