#pragma once
// Per-block arrays of one output time (level populations of W_B, blocks of rho^{T_B} for
// S_B) laid out in one flat vector over the union of their keys, so that the sum over any
// subset of trajectory blocks is a sum of vectors: the root-n estimators
// (nonsmooth_estimate.hpp) evaluate ~100 subsets per output time, and map-of-array sums
// spent most of that time allocating.
#include <map>
#include <vector>

#include <Eigen/Dense>

namespace darkcharge {

template <class Key>
class FlatBlocks {
 public:
  struct Slot {
    Eigen::Index offset, size;
  };
  /// Lays out the keys of every map in `per_block` (arrays of the same key have one size).
  template <class Array>
  explicit FlatBlocks(const std::vector<const std::map<Key, Array>*>& per_block) {
    for (const auto* arrays : per_block)
      for (const auto& [key, array] : *arrays)
        if (slots_.emplace(key, Slot{size_, array.size()}).second) size_ += array.size();
    for (const auto* arrays : per_block) {
      Eigen::VectorXd& flat = parts_.emplace_back(Eigen::VectorXd::Zero(size_));
      for (const auto& [key, array] : *arrays)
        flat.segment(slots_.at(key).offset, array.size()) =
            Eigen::Map<const Eigen::VectorXd>(array.data(), array.size());
    }
    total_ = Eigen::VectorXd::Zero(size_);
    for (const auto& part : parts_) total_ += part;
  }
  const std::map<Key, Slot>& slots() const { return slots_; }
  const Eigen::VectorXd& total() const { return total_; }

  /// The sum over the blocks with included[b] true: from the total minus the left-out blocks
  /// when fewer are left out than kept (so each subset costs at most half the blocks).
  Eigen::VectorXd subset(const std::vector<bool>& included) const {
    long kept = 0;
    for (bool in : included) kept += in;
    const bool from_total = 2 * kept > static_cast<long>(included.size());
    Eigen::VectorXd out = from_total ? total_ : Eigen::VectorXd::Zero(size_);
    for (std::size_t b = 0; b < included.size(); ++b)
      if (included[b] != from_total) {
        if (from_total)
          out -= parts_[b];
        else
          out += parts_[b];
      }
    return out;
  }

 private:
  std::map<Key, Slot> slots_;
  Eigen::Index size_ = 0;
  std::vector<Eigen::VectorXd> parts_;
  Eigen::VectorXd total_;
};

}  // namespace darkcharge
