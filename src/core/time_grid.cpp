#include "darkcharge/core/time_grid.hpp"

#include <algorithm>
#include <cmath>

#include "darkcharge/core/errors.hpp"

namespace darkcharge {

void validate(const TimeGrid& grid) {
  check_positive("t_max", grid.t_max);
  check_at_least("points", grid.points, 2);
  check_at_most("points", grid.points, kMaxPoints);
}

int TimeGrid::first_index_not_before(double t) const {
  if (!(t <= t_max)) return points;  // also t = +infinity
  int g = t <= 0 ? 0 : static_cast<int>(std::ceil(t / step()));
  g = std::min(g, points - 1);
  while (g > 0 && time(g - 1) >= t) --g;  // guard against rounding in t / step
  while (g < points && time(g) < t) ++g;
  return g;
}

}  // namespace darkcharge
