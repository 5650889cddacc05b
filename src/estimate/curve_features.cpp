#include "darkcharge/estimate/curve_features.hpp"

#include <limits>

namespace darkcharge {

Peak parabola_peak(const std::vector<double>& y, const TimeGrid& grid, int i) {
  if (i <= 0 || i + 1 >= static_cast<int>(y.size())) return {y[i], grid.time(i)};
  const double a = y[i - 1], b = y[i], c = y[i + 1];
  if (!grid.equally_spaced()) {
    // Unequal spacings h1, h2: slopes d1, d2 of the two chords; the parabola's second
    // coefficient A = (d2 - d1) / (h1 + h2) < 0 and its slope s at t_i give the vertex.
    const double h1 = grid.time(i) - grid.time(i - 1), h2 = grid.time(i + 1) - grid.time(i);
    const double d1 = (b - a) / h1, d2 = (c - b) / h2;
    const double A = (d2 - d1) / (h1 + h2), slope = (d1 * h2 + d2 * h1) / (h1 + h2);
    if (A >= 0) return {b, grid.time(i)};
    return {b - slope * slope / (4 * A), grid.time(i) - slope / (2 * A)};
  }
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

DerivativeStencil derivative_stencil(const TimeGrid& grid, int g) {
  // Lagrange interpolation through three neighbouring times, differentiated at t_g; for
  // equal spacings h these are (-3, 4, -1)/2h, (-1, 0, 1)/2h and (1, -4, 3)/2h.
  const int last = grid.points - 1;
  DerivativeStencil s;
  s.first = g == 0 ? 0 : g == last ? last - 2 : g - 1;
  const double t0 = grid.time(s.first), t1 = grid.time(s.first + 1), t2 = grid.time(s.first + 2);
  const double h1 = t1 - t0, h2 = t2 - t1, t = grid.time(g);
  s.weight[0] = ((t - t1) + (t - t2)) / (h1 * (h1 + h2));
  s.weight[1] = -((t - t0) + (t - t2)) / (h1 * h2);
  s.weight[2] = ((t - t0) + (t - t1)) / (h2 * (h1 + h2));
  return s;
}

std::vector<double> time_derivative(const std::vector<double>& y, const TimeGrid& grid) {
  const int n = static_cast<int>(y.size());
  std::vector<double> d(n, 0.0);
  if (n < 3) {
    if (n == 2) d[0] = d[1] = (y[1] - y[0]) / (grid.time(1) - grid.time(0));
    return d;
  }
  if (!grid.equally_spaced()) {
    for (int g = 0; g < n; ++g) {
      const DerivativeStencil s = derivative_stencil(grid, g);
      for (int k = 0; k < 3; ++k) d[g] += s.weight[k] * y[s.first + k];
    }
    return d;
  }
  const double h = grid.step();
  d[0] = (-3 * y[0] + 4 * y[1] - y[2]) / (2 * h);
  for (int i = 1; i + 1 < n; ++i) d[i] = (y[i + 1] - y[i - 1]) / (2 * h);
  d[n - 1] = (3 * y[n - 1] - 4 * y[n - 2] + y[n - 3]) / (2 * h);
  return d;
}

}  // namespace darkcharge
