#pragma once
/// @file time_grid.hpp
/// Output times: `points` equally spaced times from 0 to t_max inclusive (absolute: the unit
/// of 1/gamma and 1/omega).
#include <cmath>
#include <cstddef>

namespace darkcharge {

struct TimeGrid {
  double t_max = 2.0;
  int points = 201;

  double step() const { return t_max / (points - 1); }
  double time(int index) const { return index == points - 1 ? t_max : index * step(); }
  /// The first index whose time is >= t (points if none), without scanning.
  int first_index_not_before(double t) const;
  /// The index whose time is nearest to t, for t in [0, t_max] (state and count times).
  int nearest_index(double t) const { return static_cast<int>(std::lround(t / step())); }
};

/// Largest number of output points accepted (keeps grid index products inside int).
constexpr int kMaxPoints = 100'000'000;

/// Throws InvalidArgument unless t_max > 0 (finite) and 2 <= points <= kMaxPoints.
void validate(const TimeGrid& grid);

}  // namespace darkcharge
