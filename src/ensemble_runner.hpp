#pragma once
// The parallel runner: trajectories in blocks, each block filled by one thread in
// trajectory order and handed to the observables. It names no observable.
#include <memory>
#include <vector>

#include "darkcharge/block_statistics.hpp"
#include "darkcharge/ensemble.hpp"
#include "darkcharge/observable.hpp"

namespace darkcharge {

/// What to run and whom to tell: the observables, and where each one's sampled values sit in
/// the row summed per block.
struct RunPlan {
  const Model& model;
  const TimeGrid& grid;
  const EnsembleOptions& options;
  std::vector<const Observable*> observables;
  std::vector<int> offsets;  // first sampled value of observable i in the row
  int width = 0;             // sampled values per row
  const ProductBasis* basis = nullptr;  // when some observable needs product amplitudes
};

/// One block's sums: the sampled rows (means), and every observable's record (or null).
struct BlockResult {
  BlockStatistics means;
  std::vector<std::unique_ptr<BlockRecord>> records;
};

/// First trajectory of block b when n trajectories are split into `blocks` blocks.
inline long block_begin(long n, int blocks, int b) { return n * b / blocks; }

/// Runs trajectories 0..n-1 in `blocks` contiguous blocks, in parallel over blocks.
std::vector<BlockResult> run_blocks(const RunPlan& plan, int blocks,
                                    const ProgressCallback& progress);

}  // namespace darkcharge
