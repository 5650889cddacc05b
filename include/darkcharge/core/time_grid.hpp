#pragma once
/// @file time_grid.hpp
/// Output times (absolute: the unit of 1/gamma and 1/omega): `points` equally spaced times
/// from 0 to t_max inclusive, or an explicit ascending list starting at 0 (a QuTiP-style
/// tlist: fine times in a burst, coarse ones over a long storage).
#include <cmath>
#include <cstddef>
#include <vector>

namespace darkcharge {

struct TimeGrid {
  double t_max = 2.0;
  int points = 201;

  TimeGrid() = default;
  /// `points` equally spaced times from 0 to t_max (TimeGrid{t_max, points}).
  TimeGrid(double t_max_, int points_) : t_max(t_max_), points(points_) {}

  /// Explicit output times (times[0] = 0, strictly ascending, times.back() = t_max,
  /// times.size() = points), or empty for the equally spaced grid. Build with at_times().
  std::vector<double> times;

  /// The grid of these explicit times (validate() checks them).
  static TimeGrid at_times(std::vector<double> times);

  bool equally_spaced() const { return times.empty(); }
  /// Spacing of the equally spaced grid (for an explicit one: the mean spacing).
  double step() const { return t_max / (points - 1); }
  double time(int index) const {
    if (!times.empty()) return times[index];
    return index == points - 1 ? t_max : index * step();
  }
  /// The first index whose time is >= t (points if none), without scanning.
  int first_index_not_before(double t) const;
  /// The index whose time is nearest to t, for t in [0, t_max] (state and count times).
  int nearest_index(double t) const;
};

/// Largest number of output points accepted (keeps grid index products inside int).
constexpr int kMaxPoints = 100'000'000;

/// Throws InvalidArgument unless t_max > 0 (finite) and 2 <= points <= kMaxPoints, and
/// explicit times start at 0, ascend strictly, are finite and match points and t_max.
void validate(const TimeGrid& grid);

/// For each grid index, whether one of `times` is nearest to it (the grid times at which a
/// solver keeps its state). Throws InvalidArgument naming `argument` for a time outside
/// [0, t_max] (NaN included).
std::vector<char> marked_indices(const TimeGrid& grid, const std::vector<double>& times,
                                 const char* argument);

}  // namespace darkcharge
