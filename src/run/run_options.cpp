#include "darkcharge/run/run_options.hpp"

#include <cmath>

#include <fmt/format.h>

#include "darkcharge/core/errors.hpp"

namespace darkcharge {

Sampling parse_sampling(const std::string& name) {
  if (name == "auto") return Sampling::automatic;
  if (name == "trajectories") return Sampling::trajectories;
  if (name == "cascade") return Sampling::cascade;
  throw InvalidArgument(fmt::format(
      "sampling: unknown method '{}' (valid: auto, trajectories, cascade)", name));
}

const char* to_string(Sampling sampling) {
  switch (sampling) {
    case Sampling::automatic: return "auto";
    case Sampling::trajectories: return "trajectories";
    case Sampling::cascade: return "cascade";
    case Sampling::exact: return "exact";
  }
  return "?";
}

void validate(const EnsembleOptions& options) {
  check_at_least("trajectories", options.trajectories, 1);
  check_at_most("trajectories", options.trajectories, kMaxTrajectories);
  check_at_least("threads", options.threads, 0);
  check_at_most("threads", options.threads, kMaxThreads);
  check_at_least("blocks", options.blocks, 2);
  check_at_most("blocks", options.blocks, kMaxBlocks);
  check_at_least("record_trajectories", options.record_trajectories, 0);
  check_at_least("unit_trajectories", options.unit_trajectories, 0);
  if (!(options.time_limit >= 0) || !std::isfinite(options.time_limit))
    throw InvalidArgument(fmt::format("time_limit must be a finite number >= 0, got {}",
                                      options.time_limit));
  if (!(options.counting_memory_bytes >= 0) || !std::isfinite(options.counting_memory_bytes))
    throw InvalidArgument(fmt::format("counting_memory_bytes must be a finite number >= 0, got {}",
                                      options.counting_memory_bytes));
}

}  // namespace darkcharge
