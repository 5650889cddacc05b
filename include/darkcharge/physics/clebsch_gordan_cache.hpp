#pragma once
/// @file clebsch_gordan_cache.hpp
/// Clebsch-Gordan columns <j_C, M - m_B; j_B, m_B | J M> computed on demand by the
/// three-term recursion (clebsch_gordan_recursion.hpp) and kept for reuse under a budget of
/// doubles, least recently used (j_B, M) first out. A trajectory's state at one time has only
/// a few active J, and at nbar = 0 many trajectories share each (t, M), so the columns in use
/// are a small, much reused part of the full tables (~ N N_B^2 doubles). One cache serves one
/// thread: nothing in it is synchronised.
#include <cstdint>
#include <list>
#include <unordered_map>
#include <vector>

#include "darkcharge/physics/clebsch_gordan_recursion.hpp"

namespace darkcharge {

class ClebschGordanCache {
 public:
  /// The columns of one (j_B, M) block U^M computed so far.
  class Block {
   public:
    Block(double j_charger, double j_battery, double M);
    /// Rows m_B = first_battery_level(j_C, j_B, M) + i and columns
    /// J = first_total_j(j_C, j_B, M) + k (angular_momentum.hpp) both number size().
    int size() const { return recursion_.size(); }

   private:
    friend class ClebschGordanCache;
    ClebschGordanRecursion recursion_;
    double j_first_;
    std::vector<int> offset_;     // by k: start of column k in values_, -1 until computed
    std::vector<double> values_;  // computed columns, in the order they were asked for
  };

  ClebschGordanCache(double j_charger, double budget_doubles);

  /// Block (j_B, M), made most recently used; may evict others (never the one returned).
  Block& block(double j_battery, double M);
  /// Column k of the block, computed on first use; valid until the next call of either.
  const double* column(Block& block, int k);
  /// Doubles held now (columns and recursion coefficients).
  double held() const { return held_; }

 private:
  using Key = std::pair<std::int64_t, std::int64_t>;  // (2 j_B, 2 M)
  struct KeyHash {
    std::size_t operator()(const Key& k) const {
      return std::hash<std::int64_t>()(k.first * 1000003 + k.second);
    }
  };
  using Entry = std::pair<Key, Block>;
  void evict_beyond_budget();

  double j_charger_, budget_;
  double held_ = 0;
  std::vector<double> work_;
  std::list<Entry> recent_;  // most recently used first
  std::unordered_map<Key, std::list<Entry>::iterator, KeyHash> index_;
};

/// Doubles a block holds beyond its computed columns (the recursion coefficients, offsets).
double clebsch_gordan_block_overhead(int n);

}  // namespace darkcharge
