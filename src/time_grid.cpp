#include "darkcharge/time_grid.hpp"

#include "darkcharge/errors.hpp"

namespace darkcharge {

void validate(const TimeGrid& grid) {
  check_positive("t_max", grid.t_max);
  check_at_least("points", grid.points, 2);
}

}  // namespace darkcharge
