#include "darkcharge/physics/initial_state.hpp"

#include <cmath>

#include <boost/random/binomial_distribution.hpp>

#include "darkcharge/physics/angular_momentum.hpp"

namespace darkcharge {
namespace {

InitialState ground_state(const Model& model) {
  return {model.j_battery(), -model.j_battery()};
}

}  // namespace

InitialState sample_initial_state(const Model& model, Rng& rng) {
  const double p_up = model.thermal_up_probability();
  if (model.battery_init == BatteryInit::ground || p_up == 0.0) return ground_state(model);
  const int n = model.n_battery;
  const int up = boost::random::binomial_distribution<int, double>(n, p_up)(rng);
  const double m = up - 0.5 * n;
  const int flipped_min = static_cast<int>(std::lround(0.5 * n - std::fabs(m)));
  const double log_norm = log_binomial(n, flipped_min);
  const double u = uniform01(rng);
  // Largest j with P(j_B >= j | m) > u; P(j_B >= |m|) = 1.
  double j = std::fabs(m);
  while (j + 1 <= 0.5 * n) {
    const int flipped = static_cast<int>(std::lround(0.5 * n - (j + 1)));
    if (std::exp(log_binomial(n, flipped) - log_norm) <= u) break;
    j += 1;
  }
  return {j, m};
}

std::vector<WeightedInitialState> initial_mixture(const Model& model) {
  const double p_up = model.thermal_up_probability();
  if (model.battery_init == BatteryInit::ground || p_up == 0.0)
    return {{ground_state(model), 1.0}};
  const int n = model.n_battery;
  const double log_up = std::log(p_up), log_down = std::log1p(-p_up);
  std::vector<WeightedInitialState> levels;
  for (double j = 0.5 * n; j >= 0; j -= 1) {
    const double log_d = log_dicke_multiplicity(n, j);
    for (double m = -j; m <= j; m += 1) {
      const double log_p = log_d + (0.5 * n + m) * log_up + (0.5 * n - m) * log_down;
      levels.push_back({{j, m}, std::exp(log_p)});
    }
  }
  return levels;
}

}  // namespace darkcharge
