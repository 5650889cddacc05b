#pragma once
// Unit results folded into statistics blocks in a fixed order (unit u belongs to block
// u mod B and is folded after unit u - B), so a run's numbers do not depend on threads,
// processes, completion order or interruption.
#include <map>
#include <optional>
#include <vector>

#include "run/ensemble_runner.hpp"

namespace darkcharge {

/// Folds unit results into blocks in increasing unit order as soon as each block's next unit
/// is there (memory stays bounded); finish() folds what remains past gaps (units skipped by
/// a time limit), still in order.
class BlockFolder {
 public:
  explicit BlockFolder(const WorkLayout& layout)
      : layout_(layout), blocks_(layout.blocks), next_(layout.blocks) {
    for (int b = 0; b < layout.blocks; ++b) next_[b] = b;
  }

  void add(long u, UnitResult&& unit) {
    pending_.emplace(u, std::move(unit));
    const int b = layout_.block_of(u);
    for (auto it = pending_.find(next_[b]); it != pending_.end(); it = pending_.find(next_[b])) {
      fold(b, std::move(it->second));
      pending_.erase(it);
      next_[b] += layout_.blocks;
    }
  }
  void finish() {
    for (auto& [u, unit] : pending_) fold(layout_.block_of(u), std::move(unit));
    pending_.clear();
  }
  /// Blocks that hold trajectories, in block order.
  std::vector<const UnitResult*> blocks() const {
    std::vector<const UnitResult*> out;
    for (const auto& b : blocks_)
      if (b && b->trajectories > 0) out.push_back(&*b);
    return out;
  }
  long trajectories() const {
    long n = 0;
    for (const auto& b : blocks_)
      if (b) n += b->trajectories;
    return n;
  }

 private:
  void fold(int b, UnitResult&& unit) {
    if (!blocks_[b])
      blocks_[b] = std::move(unit);
    else
      blocks_[b]->merge(unit);
  }
  const WorkLayout& layout_;
  std::vector<std::optional<UnitResult>> blocks_;
  std::vector<long> next_;  // next unit index each block expects
  std::map<long, UnitResult> pending_;
};

}  // namespace darkcharge
