#include "darkcharge/estimate/rare_event_floor.hpp"

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

double largest_deviation_share(const SampleTail& s) {
  const double far = std::fmax(s.highest - s.mean, s.mean - s.lowest);
  if (!(s.squares > 0) || !(s.highest > s.lowest)) return 1.0;
  return std::fmin(1.0, far * far / s.squares);
}

namespace {
/// The sample has a spread to judge its tail by.
bool has_spread(const SampleTail& s) {
  return s.n > 1 && s.squares > 0 && s.highest > s.lowest;
}

enum class FloorKind { theory, observed_range, one_trajectory };

/// The floor the sample calls for, and which bound set it.
struct JudgedFloor {
  double value;
  FloorKind kind;
};

JudgedFloor judged_floor(const SampleTail& s, double range) {
  if (s.n <= 0) return {0.0, FloorKind::theory};
  const double theory = rare_event_floor(range, s.n);  // infinite for an unbounded value
  if (!has_spread(s))
    return std::isfinite(theory) ? JudgedFloor{theory, FloorKind::theory}
                                 : JudgedFloor{0.0, FloorKind::observed_range};
  const double observed = rare_event_floor(s.highest - s.lowest, s.n);
  const double single = 2 * farthest_pull(s);
  if (theory <= std::fmax(observed, single)) return {theory, FloorKind::theory};
  return single > observed ? JudgedFloor{single, FloorKind::one_trajectory}
                           : JudgedFloor{observed, FloorKind::observed_range};
}
}  // namespace

double farthest_pull(const SampleTail& s) {
  if (s.n <= 1) return 0.0;
  return std::fmax(s.highest - s.mean, s.mean - s.lowest) / static_cast<double>(s.n - 1);
}

double sample_rare_event_floor(const SampleTail& s, double range) { return judged_floor(s, range).value; }

void apply_sample_rare_event_floor(Column& column, const std::vector<SampleTail>& tails,
                                   double range) {
  int theory = 0, observed = 0, single = 0;
  double largest_observed = 0, largest_single = 0, theory_floor = 0;
  for (std::size_t g = 0; g < column.error.size() && g < tails.size(); ++g) {
    const auto [floor, kind] = judged_floor(tails[g], range);
    if (!(column.error[g] < floor)) continue;  // also NaN
    column.error[g] = floor;
    switch (kind) {
      case FloorKind::theory:
        ++theory;
        theory_floor = floor;
        break;
      case FloorKind::observed_range:
        ++observed;
        largest_observed = std::fmax(largest_observed, floor);
        break;
      case FloorKind::one_trajectory:
        ++single;
        largest_single = std::fmax(largest_single, floor);
        break;
    }
  }
  if (theory > 0)
    column.note += fmt::format(
        "{}At {} time(s) the error is the rare-event floor {:.3g} = 1.5 x (range of one "
        "trajectory's value {:.3g}) / n (the sample had no spread to judge its tail by, or the "
        "range it spans reaches that bound), as events with probability < 3/n may be missing "
        "from the sample (95%).",
        column.note.empty() ? "" : " ", theory, theory_floor, range);
  if (observed > 0)
    column.note += fmt::format(
        "{}At {} time(s) the error is the observed-range floor 1.5 x (largest - smallest "
        "value seen) / n (up to {:.3g}), larger than the standard error.",
        column.note.empty() ? "" : " ", observed, largest_observed);
  if (single > 0)
    column.note += fmt::format(
        "{}At {} time(s) the error is twice the pull of the farthest trajectory on the mean "
        "(up to {:.3g}), larger than the standard error: a class of trajectories seen once may "
        "weigh up to 4.7 times what it contributed (95%).",
        column.note.empty() ? "" : " ", single, largest_single);
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
  // At nbar = 0 the battery starts in its ground level (the thermal one is the ground), at
  // M0 = j_C - j_B, and M ends >= -(j_C + j_B): at most 2 j_C = N_C quanta.
  return model.nbar == 0.0 ? double(model.n_charger)
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

double energy_spread_floor(double sigma, long trajectories) {
  const double p = 1.5 / static_cast<double>(trajectories);
  return std::sqrt(sigma * sigma + 1.25 * p + p * p) - sigma;
}

double energy_spread_floor(double sigma, long trajectories, const SampleTail& v,
                           const SampleTail& b, double n_battery) {
  const double theory = energy_spread_floor(sigma, trajectories);
  if (!has_spread(v) || !has_spread(b) || !(sigma >= 0)) return theory;
  const double p = 1.5 / static_cast<double>(trajectories);
  const double far = std::fmax(b.highest - b.mean, b.mean - b.lowest) / n_battery;
  const double up =
      std::fmax(0.0, v.highest / (n_battery * n_battery) + far * far - sigma * sigma);
  const double rise = std::sqrt(sigma * sigma + p * up) - sigma;
  const double fall = sigma * (1 - std::sqrt(1 - p));
  return std::fmin(theory, std::fmax(rise, fall));
}

double fano_factor_floor(double mean, double variance, double range, long trajectories) {
  if (!std::isfinite(range)) return 0.0;
  // A class of weight p at count n' in [0, range]: V -> (1-p) V + p (1-p) (n' - m)^2 and
  // m -> m + p (n' - m), with |n' - m| <= w = max(m, range - m). The shift is convex in p,
  // so half of it at the rule-of-three p = 3/n (not the shift at 1.5/n) is the 1-error floor.
  const double p = 3.0 / static_cast<double>(trajectories);
  const double w = std::max(mean, range - mean);
  if (!(mean > p * w)) return std::numeric_limits<double>::quiet_NaN();
  return 0.5 * ((variance + p * w * w) / (mean - p * w) - variance / mean);
}

void apply_floor(Column& column, const std::vector<double>& floor) {
  int raised = 0, undetermined = 0;
  for (std::size_t g = 0; g < column.error.size(); ++g) {
    double& e = column.error[g];
    if (std::isnan(floor[g]) && !std::isnan(column.value[g])) {
      e = floor[g];
      ++undetermined;
    } else if (e < floor[g]) {  // false for NaN
      e = floor[g];
      ++raised;
    }
  }
  if (raised > 0)
    column.note += fmt::format(
        "{}At {} time(s) the error is the rare-event floor: trajectories of probability < 3/n, "
        "possibly missing from the sample (95%), could move this variance-type value that much.",
        column.note.empty() ? "" : " ", raised);
  if (undetermined > 0)
    column.note += fmt::format(
        "{}At {} time(s) the error is nan: too few quanta emitted yet for the sample to bound "
        "what trajectories of probability < 3/n could add.",
        column.note.empty() ? "" : " ", undetermined);
}

}  // namespace darkcharge
