#pragma once
/// @file curve_features.hpp
/// Features of a curve on the time grid: peaks (paper Fig. 2e, 5c-d) and time derivatives
/// (the entanglement rate dS_B/dt of Fig. 5b).
#include <vector>

#include "darkcharge/time_grid.hpp"

namespace darkcharge {

struct Peak {
  double value;
  double time;
};

/// Global maximum, refined by the parabola through the grid maximum and its neighbours.
/// With the end points counted as local maxima when they exceed their neighbour, this is
/// also the paper's "largest local maximum" (Fig. 5c).
Peak global_maximum(const std::vector<double>& y, const TimeGrid& grid);

/// dy/dt by second-order finite differences (central inside, one-sided at the ends).
std::vector<double> time_derivative(const std::vector<double>& y, const TimeGrid& grid);

}  // namespace darkcharge
