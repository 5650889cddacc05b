#include "darkcharge/rare_event_floor.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

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

double jump_current_range(const Model& model, double rate) {
  const double total_j = 0.5 * (model.n_battery + model.n_charger);
  return rate * (total_j + 0.5) * (total_j + 0.5);
}

double emitted_quanta_range(const Model& model) {
  return model.nbar == 0.0 ? double(model.n_battery + model.n_charger)
                           : std::numeric_limits<double>::infinity();
}

double absorbed_quanta_range(const Model& model) {
  return model.nbar == 0.0 ? 0.0 : std::numeric_limits<double>::infinity();
}

double negativity_range(const Model& model, double log_negativity, long trajectories) {
  const double d = std::min(model.n_charger, model.n_battery) + 1.0;
  const double norm = std::exp2(std::max(0.0, log_negativity));
  const double p = 3.0 / static_cast<double>(trajectories);
  const double shift = std::log2(1 + p * (d + norm) / norm);  // largest move of S_B
  return shift / p;  // so that rare_event_floor(range, n) = shift / 2
}

BlockDominance block_dominance(const std::vector<double>& means, const std::vector<long>& counts) {
  double n = 0, mean = 0;
  for (std::size_t b = 0; b < means.size(); ++b) n += counts[b], mean += counts[b] * means[b];
  if (n <= 0) return {};
  mean /= n;
  double total = 0, largest = 0;
  std::size_t top = 0;
  for (std::size_t b = 0; b < means.size(); ++b) {
    const double s = counts[b] * (means[b] - mean) * (means[b] - mean);
    total += s;
    if (s > largest) largest = s, top = b;
  }
  if (!(total > 0) || counts[top] >= n) return {};
  const double rest = (n * mean - counts[top] * means[top]) / (n - counts[top]);
  return {largest / total, counts[top] * (means[top] - rest) / n};
}

void apply_dominance_bound(Column& column, const std::vector<BlockDominance>& by_time) {
  int raised = 0;
  for (std::size_t g = 0; g < by_time.size() && g < column.error.size(); ++g) {
    const double bound = 2 * std::fabs(by_time[g].contribution);
    if (by_time[g].share > 0.5 && column.error[g] < bound) {
      column.error[g] = bound;
      ++raised;
    }
  }
  if (raised == 0) return;
  if (!column.note.empty()) column.note += " ";
  column.note += fmt::format(
      "At {} time(s) one block of trajectories holds most of the spread (a few rare "
      "trajectories carry the mean): error raised to twice that block's contribution.",
      raised);
}

void add_tail_caveat(Column& column, double worst_coverage) {
  column.note += fmt::format(
      "{}Sampled at nbar = 0: at the tail of the burst, where a few lingering trajectories "
      "carry the variance, these errors under-cover (measured coverage of +-2 errors {:.2f} "
      "at the worst time, N_B = 20, N_C = 100, 1000 trajectories); --sampling cascade gives "
      "the exact value.",
      column.note.empty() ? "" : " ", worst_coverage);
}

}  // namespace darkcharge
