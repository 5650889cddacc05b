#include "darkcharge/physics/time_scale.hpp"

#include <algorithm>
#include <cmath>

namespace darkcharge {

double superradiant_time(const Model& model) {
  const double n = double(model.n_charger) + double(model.n_battery);
  return std::log(std::max(n, 2.0)) / (model.gamma * (model.nbar + 1.0) * n);
}

double default_t_max(const Model& model) {
  const double t = 10.0 * superradiant_time(model);
  const double decade = std::pow(10.0, std::floor(std::log10(t)));
  // One significant digit, rounded down; the tiny guard keeps 2.0000000001 from becoming 1.
  return std::floor(t / decade * (1 + 1e-12)) * decade;
}

}  // namespace darkcharge
