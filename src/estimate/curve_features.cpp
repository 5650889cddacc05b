#include "darkcharge/estimate/curve_features.hpp"

#include <limits>

namespace darkcharge {

Peak parabola_peak(const std::vector<double>& y, const TimeGrid& grid, int i) {
  if (i <= 0 || i + 1 >= static_cast<int>(y.size())) return {y[i], grid.time(i)};
  const double a = y[i - 1], b = y[i], c = y[i + 1];
  const double curvature = a - 2 * b + c;
  if (curvature >= 0) return {b, grid.time(i)};
  const double shift = 0.5 * (a - c) / curvature;  // in units of the grid step, |shift| <= 1/2
  return {b - 0.25 * (a - c) * shift, grid.time(i) + shift * grid.step()};
}

Peak global_maximum(const std::vector<double>& y, const TimeGrid& grid) {
  int best = 0;
  for (int i = 1; i < static_cast<int>(y.size()); ++i)
    if (y[i] > y[best]) best = i;
  return parabola_peak(y, grid, best);
}

Peak largest_interior_maximum(const std::vector<double>& y, const TimeGrid& grid) {
  int best = -1;
  for (int i = 1; i + 1 < static_cast<int>(y.size()); ++i)
    if (y[i] > y[i - 1] && y[i] >= y[i + 1] && (best < 0 || y[i] > y[best])) best = i;
  if (best < 0) {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    return {nan, nan};
  }
  return parabola_peak(y, grid, best);
}

std::vector<double> time_derivative(const std::vector<double>& y, const TimeGrid& grid) {
  const int n = static_cast<int>(y.size());
  const double h = grid.step();
  std::vector<double> d(n, 0.0);
  if (n < 3) {
    if (n == 2) d[0] = d[1] = (y[1] - y[0]) / h;
    return d;
  }
  d[0] = (-3 * y[0] + 4 * y[1] - y[2]) / (2 * h);
  for (int i = 1; i + 1 < n; ++i) d[i] = (y[i + 1] - y[i - 1]) / (2 * h);
  d[n - 1] = (3 * y[n - 1] - 4 * y[n - 2] + y[n - 3]) / (2 * h);
  return d;
}

}  // namespace darkcharge
