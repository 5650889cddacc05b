// The Clebsch-Gordan column cache of sector_nonlinear() (src/exact/coupled_exact_product.cpp):
// each M keeps only the span of the J held there, widened as the held J spread. The cache
// must change nothing: every call's battery level populations, ||rho^{T_B}||_1 and blocks of
// rho equal those of a run without the cache, bit for bit (the same recursion computes every
// column either way), through a sequence of calls whose held J grow to the left and to the
// right, skip J (not consecutive), and whose M leave and come back (evicted and rebuilt).
#include <vector>

#include <gtest/gtest.h>

#include "darkcharge/physics/density_matrix.hpp"
#include "exact/coupled_exact_internal.hpp"

namespace darkcharge::coupled_exact {
namespace {

constexpr double kCharger = 5, kBattery = 2;  // N_C = 10, N_B = 4: J = 3..7, 5 per M

/// A chain (J, J') holding `value` at each of the M in `ms` (and nothing elsewhere).
struct Chain {
  double J, Jp;
  std::vector<double> r;  // index M + J, the whole ladder
  Chain(double J_, double Jp_, const std::vector<double>& ms, double value) : J(J_), Jp(Jp_) {
    r.assign(static_cast<int>(2 * J) + 1, 0.0);
    for (const double M : ms) r[static_cast<int>(M + J)] = value * (1 + 0.1 * M);
  }
  ChainView view() const {
    int lo = 0, hi = static_cast<int>(r.size()) - 1;
    while (r[lo] == 0.0) ++lo;
    while (r[hi] == 0.0) --hi;
    return {J, Jp, lo, hi, r.data() + lo};
  }
};

std::vector<ChainView> views(const std::vector<Chain>& chains) {
  std::vector<ChainView> out;
  for (const auto& c : chains) out.push_back(c.view());
  return out;
}

TEST(CoupledExactProduct, ColumnCacheChangesNothingAsTheHeldJSpread) {
  const std::vector<double> near{0, 1}, far{2};
  const std::vector<std::vector<Chain>> calls = {
      {{5, 5, near, 0.3}, {6, 6, near, 0.2}},                      // J 5, 6
      {{3, 3, near, 0.1}, {5, 6, near, 0.05}, {7, 7, near, 0.1}},  // widened both ways
      {{3, 3, near, 0.2}, {7, 7, near, 0.3}},                      // J 3, 7: not consecutive
      {{4, 4, far, 0.4}, {6, 6, far, 0.2}},                        // M 0, 1 left: evicted
      {{4, 4, near, 0.3}, {4, 5, near, 0.02}, {5, 5, near, 0.2}},  // back, rebuilt
  };
  auto cached = make_column_cache(true);
  auto uncached = make_column_cache(false);
  auto scratch = make_nonlinear_scratch();
  for (std::size_t k = 0; k < calls.size(); ++k) {
    DensityMatrix with_cache, without;
    const auto a = sector_nonlinear(kCharger, kBattery, views(calls[k]), true, 1e-12, false,
                                    *scratch, *cached, &with_cache);
    const auto b = sector_nonlinear(kCharger, kBattery, views(calls[k]), true, 1e-12, false,
                                    *scratch, *uncached, &without);
    EXPECT_EQ(a.level_populations, b.level_populations) << "call " << k;
    EXPECT_EQ(a.trace_norm, b.trace_norm) << "call " << k;
    ASSERT_EQ(with_cache.blocks.size(), without.blocks.size()) << "call " << k;
    ASSERT_FALSE(with_cache.blocks.empty()) << "call " << k;
    for (const auto& [key, block] : without.blocks) {
      ASSERT_EQ(with_cache.blocks.count(key), 1u) << "call " << k;
      EXPECT_TRUE(with_cache.blocks.at(key) == block) << "call " << k << " M " << key.second;
    }
    // Not vacuous: the populations of this call are those of its chains.
    double total = 0;
    for (const double p : a.level_populations) total += p;
    EXPECT_GT(total, 0.1) << "call " << k;
  }
}

}  // namespace
}  // namespace darkcharge::coupled_exact
