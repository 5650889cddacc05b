#pragma once
/// @file time_grid.hpp
/// Output times: `points` equally spaced times from 0 to t_max inclusive (absolute: the unit
/// of 1/gamma and 1/omega).
#include <cstddef>

namespace darkcharge {

struct TimeGrid {
  double t_max = 2.0;
  int points = 201;

  double step() const { return t_max / (points - 1); }
  double time(int index) const { return index == points - 1 ? t_max : index * step(); }
  /// The first index whose time is >= t (points if none), without scanning.
  int first_index_not_before(double t) const;
};

/// Throws InvalidArgument unless t_max > 0 and points >= 2.
void validate(const TimeGrid& grid);

}  // namespace darkcharge
