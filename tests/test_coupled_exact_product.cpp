// sector_nonlinear() (src/exact/coupled_exact_product.cpp). The Clebsch-Gordan column cache:
// each M keeps only the span of the J held there, widened as the held J spread. The cache
// must change nothing: every call's battery level populations, ||rho^{T_B}||_1 and blocks of
// rho equal those of a run without the cache, bit for bit (the same recursion computes every
// column either way), through a sequence of calls whose held J grow to the left and to the
// right, skip J (not consecutive), and whose M leave and come back (evicted and rebuilt).
// The Q blocks settled by their norms alone (settled_by_norms): the smallest bounds first,
// within the budget, and ||rho^{T_B}||_1 within the stated 6 slack per row of the dense
// trace norm of the same state.
#include <cmath>
#include <vector>

#include <gtest/gtest.h>

#include "darkcharge/physics/density_matrix.hpp"
#include "exact/coupled_exact_internal.hpp"
#include "exact/q_blocks.hpp"

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

// Bounds 2 sqrt(k ||B||_F^2): q 2: 2 sqrt(4 * 4e-20) = 8e-10, q 3: 2e-10, q 4: 6e-10; q 1 is
// below the floor (1e-30 <= 1e-28) and q 5 empty (0 rows), so both are left to the tests.
TEST(CoupledExactProduct, NormsSettleTheSmallestBoundsWithinTheBudget) {
  const std::vector<double> squares{0, 1e-30, 4e-20, 1e-20, 9e-20, 1e-18};
  const std::vector<int> rows{3, 3, 4, 1, 1, 0};
  using Settled = std::vector<char>;
  EXPECT_EQ(settled_by_norms(squares, rows, 1e-14, 1e-9), (Settled{0, 0, 0, 1, 1, 0}));
  EXPECT_EQ(settled_by_norms(squares, rows, 1e-14, 1.7e-9), (Settled{0, 0, 1, 1, 1, 0}));
  EXPECT_EQ(settled_by_norms(squares, rows, 1e-14, 2.1e-10), (Settled{0, 0, 0, 1, 0, 0}));
  EXPECT_EQ(settled_by_norms(squares, rows, 1e-14, 1.9e-10), (Settled{0, 0, 0, 0, 0, 0}));
  // A floor above ||B_3||_F = 1e-10 leaves q 3 to the slack test: the budget goes further.
  EXPECT_EQ(settled_by_norms(squares, rows, 2e-10, 1e-9), (Settled{0, 0, 0, 0, 1, 0}));
}

// A state with one indefinite Q block far out: a coherence r between J = 6 and 7 at M = 3,
// where nothing else is, gives the block Q = m_C - m_B = 6 (m_B = -2, -1; no other M reaches
// it) only its off-diagonal P^3[-1, -2] = p, eigenvalues +-|p|: ||B||_1 - tr B = 2 |p|,
// bound 2 sqrt(2) ||B||_F = 4 |p|. One share of the budget (2 slack per row) is 1.1e-10
// here. r = 2e-10 (|p| ~ 1e-11, 10x the slack, so neither Cholesky test would count it as
// semidefinite): settled by its norm, ||rho^{T_B}||_1 ~2 |p| below the dense trace norm.
// r = 2e-8 (|p| ~ 1e-9, bound ~4e-9): not settled so, and within 6 slack per row
// (coupled_exact_internal.hpp) of the dense trace norm (partial_transpose, every eigenvalue)
// of the same state; with the norms' budget 100x too large it would be settled by its
// norm, off by 2 |p| ~ 6x that tolerance.
TEST(CoupledExactProduct, TraceNormWithinItsBudgetOfTheDenseOne) {
  constexpr double kSlack = 1e-12, kRows = (2 * kCharger + 1) * (2 * kBattery + 1);
  for (const double far : {2e-8, 2e-10}) {
    const std::vector<Chain> chains = {
        {5, 5, {-1, 0, 1}, 0.3}, {6, 6, {0, 1}, 0.2}, {4, 4, {0}, 0.1}, {5, 6, {0, 1}, 0.05},
        {6, 7, {3}, far}};
    auto cache = make_column_cache(true);
    auto scratch = make_nonlinear_scratch();
    DensityMatrix state;
    const auto a = sector_nonlinear(kCharger, kBattery, views(chains), true, kSlack, false,
                                    *scratch, *cache, &state);
    const PartialTranspose transposed = partial_transpose(state, kCharger);
    const double dense = transposed.trace_norm();
    const Eigen::MatrixXd& far_block = transposed.blocks.at({kBattery, 6});
    ASSERT_EQ(far_block.rows(), 2);
    const double p = far_block(1, 0);
    ASSERT_EQ(far_block(0, 0), 0.0);
    ASSERT_GT(std::fabs(p), 0.02 * far);  // not vacuous: the block is indefinite
    if (far > 1e-9) {
      EXPECT_NEAR(a.trace_norm, dense, 6 * kSlack * kRows);
      EXPECT_GT(2 * std::fabs(p), 6 * kSlack * kRows);  // settling it would be seen
    } else {
      // Within 0.05 |p| ~ 5e-13: the rounding of trace norms near 3 (ulp 4.4e-16) and the
      // slack's share of the other blocks' (indefinite too, they go to the eigenvalues).
      EXPECT_NEAR(dense - a.trace_norm, 2 * std::fabs(p), 0.05 * std::fabs(p));
    }
  }
}

}  // namespace
}  // namespace darkcharge::coupled_exact
