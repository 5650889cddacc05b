// Kernels for the small dense blocks of the coupled-basis solver (small_dense.hpp).
#include "exact/small_dense.hpp"
#include "exact/simd_clones.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

namespace darkcharge::detail {
namespace {

// Four doubles: one AVX2 register, two SSE2 ones (GCC's vector extension); `Unaligned` reads
// them from any double's address.
typedef double Quad __attribute__((vector_size(32)));
typedef double Unaligned __attribute__((vector_size(32), aligned(8), may_alias));

}  // namespace

DARKCHARGE_SIMD_CLONES
void product_transposed(const double* a, int lda, const double* b, int ldb, int rows, int cols,
                        int inner, double* p, int ldp, bool lower) {
  constexpr int kRows = 8, kCols = 4;
  // The last block of rows, when it is partial, from a copy padded with zeros (8 rows by
  // `inner`), so that every block reads whole quads.
  thread_local std::vector<double> tail;
  for (int x0 = 0; x0 < rows; x0 += kRows) {
    const double* a_block = a + x0;
    std::ptrdiff_t a_stride = lda;
    if (x0 + kRows > rows) {
      tail.assign(static_cast<std::size_t>(kRows) * inner, 0.0);
      for (int s = 0; s < inner; ++s)
        for (int x = x0; x < rows; ++x) tail[static_cast<std::size_t>(s) * kRows + x - x0] = a[static_cast<std::ptrdiff_t>(s) * lda + x];
      a_block = tail.data();
      a_stride = kRows;
    }
    const int y_end = lower ? std::min(cols, x0 + kRows) : cols;
    for (int y0 = 0; y0 < y_end; y0 += kCols) {
      // Columns past the last read the last one's numbers (not written).
      const int y1 = std::min(y0 + 1, cols - 1), y2 = std::min(y0 + 2, cols - 1),
                y3 = std::min(y0 + 3, cols - 1);
      // Eight accumulators, named so that they stay in registers (an array of them was
      // zeroed and indexed in memory).
      Quad s00 = {}, s01 = {}, s10 = {}, s11 = {}, s20 = {}, s21 = {}, s30 = {}, s31 = {};
      for (int s = 0; s < inner; ++s) {
        const double* as = a_block + s * a_stride;
        const double* bs = b + static_cast<std::ptrdiff_t>(s) * ldb;
        const Quad a0 = *reinterpret_cast<const Unaligned*>(as);
        const Quad a1 = *reinterpret_cast<const Unaligned*>(as + 4);
        const Quad b0 = {bs[y0], bs[y0], bs[y0], bs[y0]}, b1 = {bs[y1], bs[y1], bs[y1], bs[y1]};
        const Quad b2 = {bs[y2], bs[y2], bs[y2], bs[y2]}, b3 = {bs[y3], bs[y3], bs[y3], bs[y3]};
        s00 += a0 * b0;
        s01 += a1 * b0;
        s10 += a0 * b1;
        s11 += a1 * b1;
        s20 += a0 * b2;
        s21 += a1 * b2;
        s30 += a0 * b3;
        s31 += a1 * b3;
      }
      double block[kCols][kRows];
      *reinterpret_cast<Unaligned*>(&block[0][0]) = s00;
      *reinterpret_cast<Unaligned*>(&block[0][4]) = s01;
      *reinterpret_cast<Unaligned*>(&block[1][0]) = s10;
      *reinterpret_cast<Unaligned*>(&block[1][4]) = s11;
      *reinterpret_cast<Unaligned*>(&block[2][0]) = s20;
      *reinterpret_cast<Unaligned*>(&block[2][4]) = s21;
      *reinterpret_cast<Unaligned*>(&block[3][0]) = s30;
      *reinterpret_cast<Unaligned*>(&block[3][4]) = s31;
      for (int j = 0; j < kCols && y0 + j < cols; ++j) {
        double* column = p + static_cast<std::ptrdiff_t>(y0 + j) * ldp;
        for (int i = lower ? std::max(0, y0 + j - x0) : 0; i < kRows && x0 + i < rows; ++i)
          column[x0 + i] = block[j][i];
      }
    }
  }
}

DARKCHARGE_SIMD_CLONES
bool cholesky_in_place(double* a, int lda, int k) {
  for (int j = 0; j < k; ++j) {
    double* column = a + static_cast<std::ptrdiff_t>(j) * lda;
    // column[j..k) -= L[j..k, p] L[j, p] over the columns p < j, four at a time (one pass
    // over `column` per four).
    int p = 0;
    for (; p + 4 <= j; p += 4) {
      const double* c0 = a + static_cast<std::ptrdiff_t>(p) * lda;
      const double* c1 = c0 + lda;
      const double* c2 = c1 + lda;
      const double* c3 = c2 + lda;
      const double l0 = c0[j], l1 = c1[j], l2 = c2[j], l3 = c3[j];
#pragma omp simd
      for (int i = j; i < k; ++i) column[i] -= c0[i] * l0 + c1[i] * l1 + c2[i] * l2 + c3[i] * l3;
    }
    for (; p < j; ++p) {
      const double* c0 = a + static_cast<std::ptrdiff_t>(p) * lda;
      const double l0 = c0[j];
#pragma omp simd
      for (int i = j; i < k; ++i) column[i] -= c0[i] * l0;
    }
    const double pivot = column[j];
    if (!(pivot > 0)) return false;
    const double diagonal = std::sqrt(pivot), inverse = 1 / diagonal;
    column[j] = diagonal;
    for (int i = j + 1; i < k; ++i) column[i] *= inverse;
  }
  return true;
}

}  // namespace darkcharge::detail
