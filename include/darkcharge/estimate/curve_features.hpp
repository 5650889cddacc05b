#pragma once
/// @file curve_features.hpp
/// Features of a curve on the time grid: peaks (paper Fig. 2e, 5c-d) and time derivatives
/// (the entanglement rate dS_B/dt of Fig. 5b).
#include <vector>

#include "darkcharge/core/time_grid.hpp"

namespace darkcharge {

struct Peak {
  double value;
  double time;
};

/// The vertex of the parabola through y[i-1], y[i], y[i+1] when y[i] is the largest of them
/// (within the neighbouring times); y[i] at grid index i otherwise or at an end.
Peak parabola_peak(const std::vector<double>& y, const TimeGrid& grid, int i);

/// Global maximum, refined by the parabola through the grid maximum and its neighbours.
Peak global_maximum(const std::vector<double>& y, const TimeGrid& grid);

/// The largest interior local maximum (paper Fig. 5c: "when there are more than one local
/// maxima ... we choose the largest"), parabola-refined; NaN value and time if the curve
/// has none (e.g. dS_B/dt of small systems is largest at t = 0 and then falls).
Peak largest_interior_maximum(const std::vector<double>& y, const TimeGrid& grid);

/// dy/dt by second-order three-point differences (central inside, one-sided at the ends),
/// on equally spaced and explicit grids alike; for two points, the one slope.
std::vector<double> time_derivative(const std::vector<double>& y, const TimeGrid& grid);

/// The weights of that difference at index g of an explicit grid (>= 3 points):
/// dy/dt(g) = sum_k weight[k] y[first + k]; also how errors of y propagate into dy/dt.
struct DerivativeStencil {
  int first = 0;
  double weight[3] = {0, 0, 0};
};
DerivativeStencil derivative_stencil(const TimeGrid& grid, int g);

}  // namespace darkcharge
