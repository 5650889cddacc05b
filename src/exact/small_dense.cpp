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
// them from any double's address. Eight: one AVX-512 register.
typedef double Quad __attribute__((vector_size(32)));
typedef double Unaligned __attribute__((vector_size(32), aligned(8), may_alias));
typedef double Octet __attribute__((vector_size(64)));
typedef double UnalignedOctet __attribute__((vector_size(64), aligned(8), may_alias));

constexpr int kRows = 8;  // rows of a block of p, summed in registers over s

/// Rows x0..x0 + 7 of a, each s: from a itself, or (the last block of rows, when partial)
/// from a copy padded with zeros, so that every block reads whole vectors.
__attribute__((always_inline)) inline const double* row_block(const double* a, int lda, int rows,
                                                              int inner, int x0,
                                                              std::ptrdiff_t& stride) {
  stride = lda;
  if (x0 + kRows <= rows) return a + x0;
  thread_local std::vector<double> tail;
  tail.assign(static_cast<std::size_t>(kRows) * inner, 0.0);
  for (int s = 0; s < inner; ++s)
    for (int x = x0; x < rows; ++x)
      tail[static_cast<std::size_t>(s) * kRows + x - x0] = a[static_cast<std::ptrdiff_t>(s) * lda + x];
  stride = kRows;
  return tail.data();
}

/// p = A B^T (or its lower triangle) block by block, 8 rows x kCols columns: sum(a_block,
/// a_stride, y0, out, out_stride) fills out[j out_stride + i] = p(x0 + i, y0 + j) from rows
/// x0.. of a (a_block, s-th at a_block + s a_stride: whole vectors, see row_block). A block
/// that lies whole in p (and, `lower`, wholly on or below the diagonal) is stored there
/// directly; any other goes through `block` and only its elements in p (on or below the
/// diagonal) are copied. The copy, element by element, cost more than the sums at the
/// chains' inner sizes (h ~ 13 held J per M at N_B = 100, N_C = 1000). Inlined into each
/// kernel, so that `sum` is compiled for the kernel's instruction set.
template <int kCols, class Sum>
__attribute__((always_inline)) inline void by_blocks(const double* a, int lda, int rows, int cols,
                                                     int inner, double* p, int ldp, bool lower,
                                                     const Sum& sum) {
  for (int x0 = 0; x0 < rows; x0 += kRows) {
    std::ptrdiff_t a_stride = 0;
    const double* a_block = row_block(a, lda, rows, inner, x0, a_stride);
    const int y_end = lower ? std::min(cols, x0 + kRows) : cols;
    for (int y0 = 0; y0 < y_end; y0 += kCols) {
      const bool whole =
          x0 + kRows <= rows && y0 + kCols <= cols && (!lower || y0 + kCols - 1 <= x0);
      if (whole) {
        sum(a_block, a_stride, y0, p + static_cast<std::ptrdiff_t>(y0) * ldp + x0, ldp);
        continue;
      }
      double block[kCols][kRows];
      sum(a_block, a_stride, y0, &block[0][0], kRows);
      for (int j = 0; j < kCols && y0 + j < cols; ++j) {
        double* column = p + static_cast<std::ptrdiff_t>(y0 + j) * ldp;
        for (int i = lower ? std::max(0, y0 + j - x0) : 0; i < kRows && x0 + i < rows; ++i)
          column[x0 + i] = block[j][i];
      }
    }
  }
}

/// Blocks of 8 x 4 in eight Quads (AVX2 and the baseline x86-64).
DARKCHARGE_SIMD_CLONES
void product_quads(const double* a, int lda, const double* b, int ldb, int rows, int cols,
                   int inner, double* p, int ldp, bool lower) {
  constexpr int kCols = 4;
  auto sum = [&](const double* a_block, std::ptrdiff_t a_stride, int y0, double* out,
                 std::ptrdiff_t out_stride) __attribute__((always_inline)) {
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
    *reinterpret_cast<Unaligned*>(out) = s00;
    *reinterpret_cast<Unaligned*>(out + 4) = s01;
    *reinterpret_cast<Unaligned*>(out + out_stride) = s10;
    *reinterpret_cast<Unaligned*>(out + out_stride + 4) = s11;
    *reinterpret_cast<Unaligned*>(out + 2 * out_stride) = s20;
    *reinterpret_cast<Unaligned*>(out + 2 * out_stride + 4) = s21;
    *reinterpret_cast<Unaligned*>(out + 3 * out_stride) = s30;
    *reinterpret_cast<Unaligned*>(out + 3 * out_stride + 4) = s31;
  };
  by_blocks<kCols>(a, lda, rows, cols, inner, p, ldp, lower, sum);
}

#if DARKCHARGE_HAS_AVX512_CLONE
/// Blocks of 8 x 8 in eight Octets, for AVX-512: per s one load of a's rows and eight
/// broadcasts for 64 products, where the Quads take two loads and four broadcasts for 32
/// (micro-benchmark, 101 x 101 lower triangle, inner 101: 39 -> 25 us). Each p(x, y) is the
/// same sum, s ascending from +0, as in product_quads (this file is compiled without FMA
/// contraction): the results are bit-identical.
// fp-contract=off here too: the file's flag alone was undone by a precompiled header once.
__attribute__((target("avx512f"), optimize("fp-contract=off")))
void product_octets(const double* a, int lda, const double* b, int ldb, int rows, int cols,
                    int inner, double* p, int ldp, bool lower) {
  constexpr int kCols = 8;
  auto sum = [&](const double* a_block, std::ptrdiff_t a_stride, int y0, double* out,
                 std::ptrdiff_t out_stride) __attribute__((always_inline)) {
    int y[kCols];  // columns past the last read the last one's numbers (not written)
    for (int j = 0; j < kCols; ++j) y[j] = std::min(y0 + j, cols - 1);
    Octet sums[kCols] = {};
    for (int s = 0; s < inner; ++s) {
      const double* bs = b + static_cast<std::ptrdiff_t>(s) * ldb;
      const Octet as = *reinterpret_cast<const UnalignedOctet*>(a_block + s * a_stride);
#pragma GCC unroll 8
      for (int j = 0; j < kCols; ++j) {
        const double v = bs[y[j]];
        sums[j] += as * Octet{v, v, v, v, v, v, v, v};
      }
    }
    for (int j = 0; j < kCols; ++j)
      *reinterpret_cast<UnalignedOctet*>(out + j * out_stride) = sums[j];
  };
  by_blocks<kCols>(a, lda, rows, cols, inner, p, ldp, lower, sum);
}
#endif

}  // namespace

void product_transposed(const double* a, int lda, const double* b, int ldb, int rows, int cols,
                        int inner, double* p, int ldp, bool lower) {
#if DARKCHARGE_HAS_AVX512_CLONE
  static const bool avx512 = __builtin_cpu_supports("avx512f");
  if (avx512) return product_octets(a, lda, b, ldb, rows, cols, inner, p, ldp, lower);
#endif
  product_quads(a, lda, b, ldb, rows, cols, inner, p, ldp, lower);
}

void product_transposed_quads(const double* a, int lda, const double* b, int ldb, int rows,
                              int cols, int inner, double* p, int ldp, bool lower) {
  product_quads(a, lda, b, ldb, rows, cols, inner, p, ldp, lower);
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
