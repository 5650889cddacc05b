#pragma once
// Checkpoints of `simulate --checkpoint FILE`: the command line that started the run and the
// serialized results of the work units finished so far. `darkcharge resume FILE` re-parses
// the command line, loads the units and runs only the others; blocks fold units in a fixed
// order, so the data rows are the same as an uninterrupted run's.
#include <map>
#include <string>
#include <vector>

namespace darkcharge::cli {

struct Checkpoint {
  std::vector<std::string> arguments;  // argv[1..] of the original run
  std::map<long, std::string> units;   // unit index -> serialized result
};

/// Writes atomically (temporary file, then rename).
void write_checkpoint(const std::string& path, const Checkpoint& checkpoint);
/// Throws InvalidArgument naming the file if it is missing, not a checkpoint, or damaged.
Checkpoint read_checkpoint(const std::string& path);

}  // namespace darkcharge::cli
