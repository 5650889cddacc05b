// ProductBasis computes Clebsch-Gordan columns on demand (ClebschGordanCache); these tests
// hold it to the full-table change of basis it replaced (ClebschGordanTable, eigenvectors of
// J_B^z with sign fixing: an independent algorithm), value for value.
#include <cmath>
#include <random>
#include <thread>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include "darkcharge/physics/angular_momentum.hpp"
#include "darkcharge/physics/clebsch_gordan_cache.hpp"
#include "darkcharge/physics/clebsch_gordan_table.hpp"
#include "darkcharge/physics/density_matrix.hpp"
#include "darkcharge/ensemble/ensemble.hpp"
#include "darkcharge/core/errors.hpp"

namespace darkcharge {
namespace {

int block_width(double jc, double jb, double M) {
  return static_cast<int>(std::lround(jc + jb - first_total_j(jc, jb, M))) + 1;
}

/// Amplitudes over the block's J: dense, or only a window [lo, hi) as a trajectory's active
/// components are; norm2 is deliberately not 1.
std::vector<double> amplitudes(int n, int lo, int hi, unsigned seed) {
  std::mt19937 gen(seed);
  std::normal_distribution<double> normal;
  std::vector<double> c(n, 0.0);
  for (int k = lo; k < hi; ++k) c[k] = 3.0 * normal(gen);
  return c;
}

double norm2_of(const std::vector<double>& c) {
  double s = 0;
  for (double x : c) s += x * x;
  return s;
}

/// The old to_product: U^M c / sqrt(norm2) with the whole table.
Eigen::VectorXd table_product(const ClebschGordanTable& table, double M, const std::vector<double>& c) {
  const Eigen::MatrixXd& u = table.at(M);
  return u * Eigen::Map<const Eigen::VectorXd>(c.data(), c.size()) / std::sqrt(norm2_of(c));
}

// Symmetric (j_B = N_B/2) and thermal (j_B < N_B/2) sectors, charger wider and narrower than
// the battery, half-integer totals; M at both stretched edges, one in, the |j_C - j_B| corners
// where the width stops growing, and the middle.
TEST(ProductBasis, OnDemandColumnsEqualTheFullTables) {
  for (auto [nc, nb, jb] : {std::tuple{10, 6, 3.0}, {10, 6, 1.0}, {10, 6, 0.0}, {7, 9, 4.5},
                            {7, 9, 2.5}, {40, 30, 15.0}, {40, 30, 11.0}, {100, 20, 4.0}}) {
    const double jc = 0.5 * nc;
    const ClebschGordanTable table(jc, jb);
    const ProductBasis basis(jc, {jb, jb + 1});
    const double top = jc + jb, corner = std::fabs(jc - jb);
    for (double M : {-top, -top + 1, -corner, -corner - 1, std::fmod(top, 1.0), corner, top - 1, top}) {
      if (std::fabs(M) > top) continue;
      const int n = block_width(jc, jb, M);
      for (auto [lo, hi] : {std::pair{0, n}, {n / 3, n / 3 + 2}, {n - 1, n}}) {
        if (hi > n || lo >= hi) continue;
        const auto c = amplitudes(n, lo, hi, 7u * nc + 13u * n + lo);
        Eigen::VectorXd psi;
        basis.to_product(jb, M, c.data(), n, norm2_of(c), psi);
        const Eigen::VectorXd expected = table_product(table, M, c);
        ASSERT_EQ(psi.size(), expected.size());
        // psi is a unit vector: 1e-12 absolute is 1e-12 relative to its norm.
        EXPECT_LT((psi - expected).cwiseAbs().maxCoeff(), 1e-12)
            << "N_C=" << nc << " j_B=" << jb << " M=" << M << " J window [" << lo << "," << hi << ")";
      }
    }
  }
}

TEST(ProductBasis, RefusesAnUnlistedSectorAndAWrongWidth) {
  const ProductBasis basis(2.0, {1.0});
  std::vector<double> c(3, 1.0);
  Eigen::VectorXd psi;
  EXPECT_THROW(basis.to_product(0.0, 0.0, c.data(), 1, 1.0, psi), NumericalError);
  EXPECT_THROW(basis.to_product(1.0, 0.0, c.data(), 2, 1.0, psi), NumericalError);  // n(0) = 3
}

// Threads each use their own cache; results must not depend on who computed a column first.
TEST(ProductBasis, ConcurrentCallsMatchSerialOnes) {
  const double jc = 20, jb = 7;
  const ProductBasis basis(jc, {jb});
  const ProductBasis reference(jc, {jb});
  std::vector<double> ms;
  for (double M = -(jc + jb); M <= jc + jb; M += 1) ms.push_back(M);
  auto run = [&](const ProductBasis& b, int offset, std::vector<Eigen::VectorXd>& out) {
    out.assign(ms.size(), {});
    for (int round = 0; round < 3; ++round)
      for (std::size_t i = 0; i < ms.size(); ++i) {
        const std::size_t j = (i + offset) % ms.size();
        const int n = block_width(jc, jb, ms[j]);
        const auto c = amplitudes(n, 0, n, static_cast<unsigned>(j));
        b.to_product(jb, ms[j], c.data(), n, norm2_of(c), out[j]);
      }
  };
  std::vector<Eigen::VectorXd> serial, a, b;
  run(reference, 0, serial);
  std::thread ta([&] { run(basis, 0, a); }), tb([&] { run(basis, 17, b); });
  ta.join();
  tb.join();
  for (std::size_t j = 0; j < ms.size(); ++j) {
    EXPECT_EQ(a[j], serial[j]) << ms[j];  // same arithmetic, bit for bit
    EXPECT_EQ(b[j], serial[j]) << ms[j];
  }
}

// A budget far below the tables: old blocks go, the cache stays within budget plus the block
// in use, and recomputed columns equal the first ones.
TEST(ClebschGordanCache, EvictsToItsBudgetAndRecomputesTheSame) {
  const double jc = 30, jb = 10, budget = 2000;
  ClebschGordanCache cache(jc, budget);
  std::vector<std::vector<double>> first;
  for (int pass = 0; pass < 2; ++pass)
    for (double M = -(jc + jb), i = 0; M <= jc + jb; M += 1, ++i) {
      auto& block = cache.block(jb, M);
      const int n = block.size();
      std::vector<double> cols;
      for (int k = 0; k < n; ++k) {
        const double* col = cache.column(block, k);
        cols.insert(cols.end(), col, col + n);
      }
      EXPECT_LE(cache.held(), budget + n * n + clebsch_gordan_block_overhead(n));
      if (pass == 0) first.push_back(cols);
      else EXPECT_EQ(cols, first[static_cast<std::size_t>(i)]) << M;
    }
}

// The guard: the full tables while they are small, the per-thread budget beyond.
TEST(ProductBasis, TableSizeIsTheCacheBound) {
  EXPECT_GE(ProductBasis::table_size(5, {3, 2}), block_diagonal_size(5, {3, 2}));
  EXPECT_LT(ProductBasis::table_size(5, {3, 2}), 2 * block_diagonal_size(5, {3, 2}));
  const double big = ProductBasis::table_size(5000, {500});  // N_C = 10^4, N_B = 10^3
  EXPECT_GT(block_diagonal_size(5000, {500}), 9e9);  // what the old tables needed
  EXPECT_LE(big, ProductBasis::kCacheDoubles + 1001.0 * 1001.0 + 4 * 1001.0);  // width 1001
}

}  // namespace
}  // namespace darkcharge

namespace darkcharge {
namespace {

// W_B at 2400 spins runs although its full Clebsch-Gordan tables (3e8 doubles) exceed
// max_table_doubles (2.5e8): columns are computed on demand. At late times the battery is charged, so W_B is close to E_B's fully-charged
// ergotropy, and it never exceeds E_B (ergotropy <= energy above the ground state).
TEST(ProductBasis, ErgotropyAtThousandsOfSpinsIsNoLongerRefused) {
  Model model;
  model.n_battery = 400;
  model.n_charger = 2000;
  EnsembleOptions options;
  options.sampling = Sampling::trajectories;  // the engine under test
  options.trajectories = 8;
  options.threads = 2;
  options.ergotropy = true;
  options.entanglement = false;  // S_B at this width costs far more than W_B
  EXPECT_GT(block_diagonal_size(model.j_charger(), {model.j_battery()}), options.max_table_doubles);
  const TimeSeries s = simulate(model, TimeGrid{0.02, 5}, options);
  const Column& w = s.column("W_B");
  const Column& e = s.column("E_B");
  for (int g = 0; g < 5; ++g) EXPECT_LE(w.value[g], e.value[g] + 1e-12) << g;
  EXPECT_GT(w.value.back(), 0.9);
}

}  // namespace
}  // namespace darkcharge
