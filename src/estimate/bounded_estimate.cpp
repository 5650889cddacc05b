#include "darkcharge/estimate/bounded_estimate.hpp"

#include <fmt/format.h>

namespace darkcharge {

void enforce_lower_bound(Column& column, double bound) {
  int clamped = 0;
  for (double& v : column.value)
    if (v < bound) {  // false for NaN
      v = bound;
      ++clamped;
    }
  if (clamped == 0) return;
  if (!column.note.empty()) column.note += " ";
  column.note += fmt::format(
      "{} value(s) below the physical bound {} reported as {} with the unclamped error; "
      "there read value + 2 error as a one-sided upper bound.",
      clamped, bound, bound);
}

}  // namespace darkcharge
