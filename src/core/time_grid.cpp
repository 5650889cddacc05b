#include "darkcharge/core/time_grid.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "darkcharge/core/errors.hpp"

namespace darkcharge {

TimeGrid TimeGrid::at_times(std::vector<double> times) {
  TimeGrid grid;
  grid.points = static_cast<int>(std::min<std::size_t>(times.size(), kMaxPoints + 1L));
  grid.t_max = times.empty() ? 0.0 : times.back();
  grid.times = std::move(times);
  return grid;
}

void validate(const TimeGrid& grid) {
  if (!grid.times.empty()) {
    const std::vector<double>& t = grid.times;
    if (t.size() < 2 || t.size() > static_cast<std::size_t>(kMaxPoints))
      throw InvalidArgument(fmt::format("times: {} output times; give 2 to {}", t.size(), kMaxPoints));
    if (t[0] != 0.0)
      throw InvalidArgument(fmt::format(
          "times: the first output time must be 0 (the initial state), got {:g}", t[0]));
    for (std::size_t i = 1; i < t.size(); ++i)
      if (!(std::isfinite(t[i]) && t[i] > t[i - 1]))
        throw InvalidArgument(fmt::format(
            "times: output times must be finite and strictly ascending; time {} is {:g} after {:g}",
            i + 1, t[i], t[i - 1]));
    if (grid.points != static_cast<int>(t.size()) || grid.t_max != t.back())
      throw InvalidArgument("times: points and t_max must be the number and the last of the times "
                            "(build the grid with TimeGrid::at_times)");
  }
  check_positive("t_max", grid.t_max);
  check_at_least("points", grid.points, 2);
  check_at_most("points", grid.points, kMaxPoints);
}

int TimeGrid::nearest_index(double t) const {
  if (times.empty()) return static_cast<int>(std::lround(t / step()));
  const auto above = std::lower_bound(times.begin(), times.end(), t);
  if (above == times.begin()) return 0;
  if (above == times.end()) return points - 1;
  const int g = static_cast<int>(above - times.begin());
  return t - times[g - 1] <= times[g] - t ? g - 1 : g;
}

int TimeGrid::first_index_not_before(double t) const {
  if (!(t <= t_max)) return points;  // also t = +infinity
  if (!times.empty()) return static_cast<int>(std::lower_bound(times.begin(), times.end(), t) - times.begin());
  int g = t <= 0 ? 0 : static_cast<int>(std::ceil(t / step()));
  g = std::min(g, points - 1);
  while (g > 0 && time(g - 1) >= t) --g;  // guard against rounding in t / step
  while (g < points && time(g) < t) ++g;
  return g;
}

std::vector<char> marked_indices(const TimeGrid& grid, const std::vector<double>& times,
                                 const char* argument) {
  std::vector<char> marked(grid.points, 0);
  for (double t : times) {
    if (!(t >= 0) || t > grid.t_max)
      throw InvalidArgument(fmt::format("{}: {} is outside [0, t_max = {}]", argument, t, grid.t_max));
    marked[grid.nearest_index(t)] = 1;
  }
  return marked;
}

}  // namespace darkcharge
