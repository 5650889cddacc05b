#include "darkcharge/core/errors.hpp"

#include <cmath>

#include <fmt/format.h>

namespace darkcharge {

void check_finite(const char* argument, double value) {
  if (!std::isfinite(value))
    throw InvalidArgument(fmt::format("{} must be a finite number, got {}", argument, value));
}

void check_positive(const char* argument, double value) {
  check_finite(argument, value);
  if (!(value > 0))
    throw InvalidArgument(fmt::format("{} must be > 0, got {}", argument, value));
}

void check_non_negative(const char* argument, double value) {
  check_finite(argument, value);
  if (!(value >= 0))
    throw InvalidArgument(fmt::format("{} must be >= 0, got {}", argument, value));
}

void check_at_least(const char* argument, long long value, long long minimum) {
  if (value < minimum)
    throw InvalidArgument(fmt::format("{} must be >= {}, got {}", argument, minimum, value));
}

void check_at_most(const char* argument, long long value, long long maximum) {
  if (value > maximum)
    throw InvalidArgument(fmt::format("{} must be <= {}, got {}", argument, maximum, value));
}

}  // namespace darkcharge
