#include "darkcharge/estimate/time_series.hpp"

#include <fmt/format.h>

#include "darkcharge/core/errors.hpp"

namespace darkcharge {

const Column& TimeSeries::column(const std::string& name) const {
  for (const auto& c : columns)
    if (c.name == name) return c;
  throw InvalidArgument(fmt::format("no column named '{}' in this result", name));
}

bool TimeSeries::has(const std::string& name) const {
  for (const auto& c : columns)
    if (c.name == name) return true;
  return false;
}

}  // namespace darkcharge
