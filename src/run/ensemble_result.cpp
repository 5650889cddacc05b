#include "darkcharge/run/ensemble_result.hpp"

#include <fmt/format.h>

namespace darkcharge {

std::string sector_column_name(double total_j) { return fmt::format("J={}", total_j); }

}  // namespace darkcharge
