#pragma once
// Checkpoints of `simulate --checkpoint FILE`: the command line that started the run and the
// serialized results of the work units finished so far. `darkcharge resume FILE` re-parses
// the command line, loads the units and runs only the others; blocks fold units in a fixed
// order, so the data rows are the same as an uninterrupted run's.
//
// A checkpoint is read back from disk, where it may be damaged or replaced, so the format
// carries its own checks (version 2; integers in native byte order):
//   "darkcharge-checkpoint 2\n"
//   u64 size of the whole file in bytes
//   u64 argument count, then per argument: u64 length, its bytes
//   u32 CRC-32 of every byte before it (the header, checked before the arguments are used)
//   u64 unit count, then per unit, indices ascending: i64 index, u64 length, its bytes
//   u32 CRC-32 of every byte before it (the whole file)
// Each unit's bytes start with the run key of the run that wrote them (ensemble_runner.hpp:
// a hash of model, grid, seed, columns and layout), checked with every size and count inside
// when the run loads them.
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace darkcharge::cli {

struct Checkpoint {
  std::vector<std::string> arguments;  // argv[1..] of the original run
  std::map<long, std::string> units;   // unit index -> serialized result
};

/// Writes atomically (AtomicFile).
void write_checkpoint(const std::string& path, const Checkpoint& checkpoint);

/// Reads a checkpoint. Refuses (InvalidArgument naming the file and what is wrong) anything
/// but a regular file, a file of another format or version, a header or file whose CRC does
/// not match, and counts or lengths that do not fit. `max_bytes(arguments)` is called after
/// the header is checked and before the units are read: the largest file the run these
/// arguments describe can write; a larger file is refused unread.
Checkpoint read_checkpoint(const std::string& path,
                           const std::function<double(const std::vector<std::string>&)>& max_bytes);

}  // namespace darkcharge::cli
