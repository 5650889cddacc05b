#include "darkcharge/physics/clebsch_gordan_cache.hpp"

#include <cmath>

#include "darkcharge/physics/angular_momentum.hpp"

namespace darkcharge {

double clebsch_gordan_block_overhead(int n) { return 4.0 * n; }  // base, alpha, 1/alpha, offset

ClebschGordanCache::Block::Block(double j_charger, double j_battery, double M)
    : recursion_(j_charger, j_battery, M),
      j_first_(first_total_j(j_charger, j_battery, M)),
      offset_(recursion_.size(), -1) {}

ClebschGordanCache::ClebschGordanCache(double j_charger, double budget_doubles)
    : j_charger_(j_charger), budget_(budget_doubles) {}

ClebschGordanCache::Block& ClebschGordanCache::block(double j_battery, double M) {
  const Key key{std::llround(2 * j_battery), std::llround(2 * M)};
  if (!recent_.empty() && recent_.front().first == key) return recent_.front().second;
  const auto found = index_.find(key);
  if (found != index_.end()) {
    recent_.splice(recent_.begin(), recent_, found->second);
    return recent_.front().second;
  }
  recent_.emplace_front(std::piecewise_construct, std::forward_as_tuple(key),
                        std::forward_as_tuple(j_charger_, j_battery, M));
  index_[key] = recent_.begin();
  held_ += clebsch_gordan_block_overhead(recent_.front().second.size());
  evict_beyond_budget();
  return recent_.front().second;
}

const double* ClebschGordanCache::column(Block& block, int k) {
  const int n = block.size();
  if (block.offset_[k] < 0) {
    block.offset_[k] = static_cast<int>(block.values_.size());
    block.values_.resize(block.values_.size() + n);
    if (static_cast<int>(work_.size()) < n) work_.resize(n);
    block.recursion_.column(block.j_first_ + k, block.values_.data() + block.offset_[k],
                            work_.data());
    held_ += n;
  }
  return block.values_.data() + block.offset_[k];
}

void ClebschGordanCache::evict_beyond_budget() {
  while (held_ > budget_ && recent_.size() > 1) {
    const Entry& oldest = recent_.back();
    held_ -= clebsch_gordan_block_overhead(oldest.second.size()) +
             static_cast<double>(oldest.second.values_.size());
    index_.erase(oldest.first);
    recent_.pop_back();
  }
}

}  // namespace darkcharge
