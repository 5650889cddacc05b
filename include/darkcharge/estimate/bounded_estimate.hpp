#pragma once
/// @file bounded_estimate.hpp
/// Quantities that cannot be negative (W_B, W_B_sym, S_B: ergotropy and log-negativity are
/// >= 0 for every state). A bias-corrected estimate can fall below 0 where the exact value
/// is 0 or close to it; reporting -0.020 +- 0.006 for such a quantity contradicts its own
/// error bar. The estimate is clamped to the boundary and keeps the error of the unclamped
/// one: for an exact value x >= 0 the interval [0, 2 error] contains x whenever the unclamped
/// [value - 2 error, value + 2 error] did, so coverage cannot drop; read value + 2 error as a
/// one-sided upper bound there.
#include "darkcharge/estimate/time_series.hpp"

namespace darkcharge {

/// Values of `column` below `bound` become `bound` (errors unchanged); when any did, a
/// sentence saying so is appended to column.note. NaN values stay NaN.
void enforce_lower_bound(Column& column, double bound = 0.0);

}  // namespace darkcharge
