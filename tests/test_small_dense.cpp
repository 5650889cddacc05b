// The small dense kernels of the coupled-basis solver (src/exact/small_dense.hpp) against
// Eigen's general product and Cholesky factorisation: every size class of the kernels' blocks
// (rows below, at and above multiples of 8 and 4, one inner index), the rows between a
// matrix's last and its leading dimension never read, the upper triangle not written.
#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include <Eigen/Dense>

#include "exact/small_dense.hpp"

namespace darkcharge {
namespace {

Eigen::MatrixXd random_matrix(int rows, int cols, std::mt19937& rng) {
  std::normal_distribution<double> normal;
  Eigen::MatrixXd m(rows, cols);
  for (int j = 0; j < cols; ++j)
    for (int i = 0; i < rows; ++i) m(i, j) = normal(rng);
  return m;
}

TEST(SmallDense, ProductTransposedIsABTransposeOrItsLowerTriangle) {
  std::mt19937 rng(7);
  const double nan = std::numeric_limits<double>::quiet_NaN(), untouched = 12345.0;
  for (const bool lower : {true, false}) {
    for (const int rows : {1, 3, 4, 5, 8, 9, 16, 17, 51}) {
      for (const int inner : {1, 2, 5, 13, 40}) {
        const int cols = lower ? rows : (rows * 7) % 11 + 1;  // 1..11, any remainder mod 4
        const Eigen::MatrixXd a = random_matrix(rows, inner, rng), b = random_matrix(cols, inner, rng);
        // Leading dimensions larger than the rows, the rows in between NaN (never read).
        const int lda = rows + 5, ldb = cols + 3, ldp = rows + 2;
        std::vector<double> a_store(static_cast<std::size_t>(lda) * inner, nan);
        std::vector<double> b_store(static_cast<std::size_t>(ldb) * inner, nan);
        std::vector<double> p(static_cast<std::size_t>(ldp) * cols, untouched);
        for (int s = 0; s < inner; ++s) {
          for (int x = 0; x < rows; ++x) a_store[s * lda + x] = a(x, s);
          for (int y = 0; y < cols; ++y) b_store[s * ldb + y] = b(y, s);
        }
        detail::product_transposed(a_store.data(), lda, b_store.data(), ldb, rows, cols, inner,
                                   p.data(), ldp, lower);
        const Eigen::MatrixXd expected = a * b.transpose();
        for (int y = 0; y < cols; ++y)
          for (int x = 0; x < ldp; ++x) {
            const double got = p[y * ldp + x];
            if (x < rows && (!lower || x >= y))  // sums of `inner` products of N(0, 1) numbers
              EXPECT_NEAR(got, expected(x, y), 1e-14 * inner)
                  << "rows " << rows << " inner " << inner << " (" << x << ", " << y << ")";
            else  // the upper triangle (lower) and the rows beyond `rows`: not written
              EXPECT_EQ(got, untouched) << "rows " << rows << " (" << x << ", " << y << ")";
          }
      }
    }
  }
}

// The AVX-512 version (8 x 8 blocks, taken on CPUs that have it) and the 4-wide one (8 x 4,
// every other CPU) add the same products in the same order: bit-identical, so results do not
// depend on the machine. On a CPU without AVX-512 both calls run the 4-wide kernel.
TEST(SmallDense, ProductTransposedIsBitIdenticalOnEveryCpu) {
  std::mt19937 rng(3);
  for (const bool lower : {true, false})
    for (const int rows : {1, 7, 8, 9, 23, 64, 101})
      for (const int inner : {1, 3, 17, 101}) {
        const int cols = lower ? rows : (rows * 5) % 13 + 1;
        const Eigen::MatrixXd a = random_matrix(rows, inner, rng), b = random_matrix(cols, inner, rng);
        Eigen::MatrixXd wide = Eigen::MatrixXd::Zero(rows, cols), quads = wide;
        detail::product_transposed(a.data(), rows, b.data(), cols, rows, cols, inner,
                                   wide.data(), rows, lower);
        detail::product_transposed_quads(a.data(), rows, b.data(), cols, rows, cols, inner,
                                         quads.data(), rows, lower);
        for (int y = 0; y < cols; ++y)
          for (int x = 0; x < rows; ++x)
            ASSERT_EQ(wide(x, y), quads(x, y)) << "rows " << rows << " inner " << inner << " lower " << lower;
      }
}

TEST(SmallDense, CholeskyFactorsPositiveDefiniteMatricesAndRefusesTheRest) {
  std::mt19937 rng(11);
  for (const int k : {1, 2, 3, 4, 5, 7, 8, 31, 33, 64}) {
    const Eigen::MatrixXd m = random_matrix(k, k, rng);
    const Eigen::MatrixXd spd = m * m.transpose() + 0.1 * Eigen::MatrixXd::Identity(k, k);
    const int lda = k + 1;
    std::vector<double> store(static_cast<std::size_t>(lda) * k, 0.0);
    for (int j = 0; j < k; ++j)
      for (int i = j; i < k; ++i) store[j * lda + i] = spd(i, j);  // the lower triangle only
    ASSERT_TRUE(detail::cholesky_in_place(store.data(), lda, k)) << k;
    const Eigen::MatrixXd l = Eigen::LLT<Eigen::MatrixXd>(spd).matrixL();
    for (int j = 0; j < k; ++j)
      for (int i = j; i < k; ++i) EXPECT_NEAR(store[j * lda + i], l(i, j), 1e-11) << k;

    // One eigenvalue moved below zero (at -1e-3 of the spectrum's scale): not positive.
    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eigen(spd);
    Eigen::VectorXd values = eigen.eigenvalues();
    values(k / 2) = -1e-3 * values(k - 1);
    const Eigen::MatrixXd indefinite =
        eigen.eigenvectors() * values.asDiagonal() * eigen.eigenvectors().transpose();
    for (int j = 0; j < k; ++j)
      for (int i = j; i < k; ++i) store[j * lda + i] = indefinite(i, j);
    EXPECT_FALSE(detail::cholesky_in_place(store.data(), lda, k)) << k;
  }
  // A zero pivot (positive semidefinite, not definite) is refused too.
  std::vector<double> zero{1.0, 1.0, 0.0, 1.0};  // [[1, 1], [1, 1]], lower triangle
  EXPECT_FALSE(detail::cholesky_in_place(zero.data(), 2, 2));
}

}  // namespace
}  // namespace darkcharge
