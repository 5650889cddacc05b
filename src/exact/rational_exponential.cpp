// exp(A) v by the rational approximation of rational_exponential.hpp. Compiled twice on
// x86-64 (GCC's target_clones, chosen once at load time by the CPU): for AVX2, whose 4-wide
// registers hold half a row's 8 pole lanes (1.3x faster per row than SSE2 in a micro-benchmark,
// 18 against 24 ns per row of 400, before the twisted factorisation), and for the baseline
// x86-64 that any machine runs. (An AVX-512 clone was no faster on this VM's AMD EPYC,
// whose 512-bit units are two 256-bit halves: 18.3-19.3 against 18.4-18.8 ns.) AVX2
// without FMA: every lane does the same multiplications and additions in the same order in
// both clones, so their results are bit-identical.
#include "exact/rational_exponential.hpp"
#include "exact/simd_clones.hpp"

#include <array>

namespace darkcharge::detail {
namespace {

/// One row's elimination for every pole lane: the row's pivot p = d - z - m c_into and
/// right-hand side y = v - m y_prev with the multiplier m = c_from / p_prev, where c_from is
/// this row's coefficient of the previous row's unknown and c_into the previous row's
/// coefficient of this row's unknown; stored as 1 / p (re, im) and y (re, im) by lane.
/// `prev` null: the first row of its sweep (m = 0).
__attribute__((always_inline)) inline void eliminate_row(const double* prev, double* row,
                                                         double c_from, double c_into,
                                                         double d, double v, const double* zr,
                                                         const double* zi) {
  constexpr int L = RationalLanes::kLanes;
  if (prev == nullptr) {
    for (int k = 0; k < L; ++k) {
      const double pr = d - zr[k], pi = -zi[k];
      const double inv_norm = 1.0 / (pr * pr + pi * pi);
      row[k] = pr * inv_norm;
      row[L + k] = -pi * inv_norm;
      row[2 * L + k] = v;
      row[3 * L + k] = 0.0;
    }
    return;
  }
#pragma omp simd
  for (int k = 0; k < L; ++k) {
    const double mr = c_from * prev[k], mi = c_from * prev[L + k];  // multiplier c_from / p
    const double pr = d - zr[k] - mr * c_into, pi = -zi[k] - mi * c_into;
    const double inv_norm = 1.0 / (pr * pr + pi * pi);
    row[k] = pr * inv_norm;
    row[L + k] = -pi * inv_norm;
    const double yr = prev[2 * L + k], yi = prev[3 * L + k];
    row[2 * L + k] = v - (mr * yr - mi * yi);
    row[3 * L + k] = -(mr * yi + mi * yr);
  }
}

/// One row's back substitution for every pole lane: x = (y - c x_next) / p, c the row's
/// coefficient of the unknown solved before it (x_next, by lane); then out += 2 sum_k
/// Re(c_k x_k) over the poles, in pole order.
__attribute__((always_inline)) inline void substitute_row(const double* row, double c,
                                                          double* x_re, double* x_im,
                                                          const double* cr, const double* ci,
                                                          double& out) {
  using R = RationalExponential;
  constexpr int L = RationalLanes::kLanes;
  alignas(16) std::array<double, L> term{};
#pragma omp simd
  for (int k = 0; k < L; ++k) {
    const double tr = row[2 * L + k] - c * x_re[k], ti = row[3 * L + k] - c * x_im[k];
    const double ir = row[k], ii = row[L + k];
    x_re[k] = tr * ir - ti * ii;
    x_im[k] = tr * ii + ti * ir;
    term[k] = cr[k] * x_re[k] - ci[k] * x_im[k];
  }
  double sum = 0;
  for (int k = 0; k < R::kPoles; ++k) sum += term[k];
  out += 2 * sum;
}

/// exp(A_j) in for the `kSystems` tridiagonal matrices A_j (same size, same input) by a
/// twisted factorisation: each system is eliminated from its top row down and from its
/// bottom row up at once, to the twist row t = n / 2, which is solved first, and the
/// unknowns are then substituted outwards from it both ways. Each sweep's eight pole lanes
/// form one chain of dependent operations (a division's latency per row); one sweep down a
/// system left the arithmetic units waiting, so the two sweeps of each system, and the
/// systems side by side, are interleaved row by row (micro-benchmark, AVX2, 220 rows: one
/// system 18.4 -> 12 ns per row). Elimination from the bottom is elimination of the
/// reversed matrix, with the same pivots' bound (see the header), and the twist pivot is
/// 1 / ((A - z)^-1)_tt, of modulus >= Im z too. Every lane does the same operations in the
/// same order whatever kSystems: exp(A) in is bit-identical either way.
template <int kSystems>
__attribute__((always_inline)) inline void solve_systems(const Tridiagonal* a, int n,
                                                         const double* in, double* const* out,
                                                         TridiagonalScratch& scratch) {
  using R = RationalExponential;
  constexpr int L = RationalLanes::kLanes, kRow = 4 * L;
  static const RationalLanes lanes;
  const double* zr = lanes.pole_re.data();
  const double* zi = lanes.pole_im.data();
  scratch.buffer.resize(static_cast<std::size_t>(n) * kSystems * kRow);
  // Row i of system j at (i kSystems + j) kRow: 1 / pivot re, im; right-hand side re, im.
  auto row_of = [&](int i, int j) {
    return scratch.buffer.data() + (static_cast<std::size_t>(i) * kSystems + j) * kRow;
  };
  if (n <= 0) return;
  for (int j = 0; j < kSystems; ++j)
    for (int i = 0; i < n; ++i) out[j][i] = R::kInfinity * in[i];
  const int t = n / 2;  // rows 0..t-1 eliminated down, n-1..t+1 up
  for (int s = 0; s < t; ++s) {
    const int down = s, up = n - 1 - s;
    for (int j = 0; j < kSystems; ++j) {
      const Tridiagonal& m = a[j];
      // The first row of each sweep has no previous one (low[0] and up[n - 1] are not read).
      if (s == 0) {
        eliminate_row(nullptr, row_of(down, j), 0.0, 0.0, m.d[down], in[down], zr, zi);
        if (up > t) eliminate_row(nullptr, row_of(up, j), 0.0, 0.0, m.d[up], in[up], zr, zi);
        continue;
      }
      eliminate_row(row_of(down - 1, j), row_of(down, j), m.low[down], m.up[down - 1],
                    m.d[down], in[down], zr, zi);
      if (up > t)
        eliminate_row(row_of(up + 1, j), row_of(up, j), m.up[up], m.low[up + 1], m.d[up],
                      in[up], zr, zi);
    }
  }
  alignas(16) std::array<double, L> cr{}, ci{};
  for (int k = 0; k < R::kPoles; ++k) {
    cr[k] = R::kResidueRe[k];
    ci[k] = R::kResidueIm[k];
  }
  // The twist row: both neighbours eliminated into it.
  alignas(16) std::array<std::array<double, L>, kSystems> above_re{}, above_im{}, below_re{},
      below_im{};
  for (int j = 0; j < kSystems; ++j) {
    const Tridiagonal& m = a[j];
    alignas(16) std::array<double, kRow> twist{};
    const double* from_above = t > 0 ? row_of(t - 1, j) : nullptr;
    const double* from_below = t + 1 < n ? row_of(t + 1, j) : nullptr;
    for (int k = 0; k < L; ++k) {
      double pr = m.d[t] - zr[k], pi = -zi[k], yr = in[t], yi = 0.0;
      if (from_above != nullptr) {
        const double mr = m.low[t] * from_above[k], mi = m.low[t] * from_above[L + k];
        pr -= mr * m.up[t - 1];
        pi -= mi * m.up[t - 1];
        yr -= mr * from_above[2 * L + k] - mi * from_above[3 * L + k];
        yi -= mr * from_above[3 * L + k] + mi * from_above[2 * L + k];
      }
      if (from_below != nullptr) {
        const double mr = m.up[t] * from_below[k], mi = m.up[t] * from_below[L + k];
        pr -= mr * m.low[t + 1];
        pi -= mi * m.low[t + 1];
        yr -= mr * from_below[2 * L + k] - mi * from_below[3 * L + k];
        yi -= mr * from_below[3 * L + k] + mi * from_below[2 * L + k];
      }
      const double inv_norm = 1.0 / (pr * pr + pi * pi);
      twist[k] = pr * inv_norm;
      twist[L + k] = -pi * inv_norm;
      twist[2 * L + k] = yr;
      twist[3 * L + k] = yi;
    }
    above_re[j].fill(0.0);
    above_im[j].fill(0.0);
    substitute_row(twist.data(), 0.0, above_re[j].data(), above_im[j].data(), cr.data(),
                   ci.data(), out[j][t]);
    below_re[j] = above_re[j];
    below_im[j] = above_im[j];
  }
  // Outwards from the twist: up through rows t-1..0, down through t+1..n-1.
  for (int s = 1; s <= t; ++s) {
    const int up = t - s, down = t + s;
    for (int j = 0; j < kSystems; ++j) {
      const Tridiagonal& m = a[j];
      substitute_row(row_of(up, j), m.up[up], above_re[j].data(), above_im[j].data(),
                     cr.data(), ci.data(), out[j][up]);
      if (down < n)
        substitute_row(row_of(down, j), m.low[down], below_re[j].data(), below_im[j].data(),
                       cr.data(), ci.data(), out[j][down]);
    }
  }
}

}  // namespace

DARKCHARGE_SIMD_CLONES
void tridiagonal_exponential(const double* d, const double* up, const double* low, int n,
                             const double* in, double* out, TridiagonalScratch& scratch) {
  const Tridiagonal a{d, up, low};
  solve_systems<1>(&a, n, in, &out, scratch);
}

DARKCHARGE_SIMD_CLONES
void tridiagonal_exponentials(const Tridiagonal& a, const Tridiagonal& b, int n,
                              const double* in, double* out_a, double* out_b,
                              TridiagonalScratch& scratch) {
  const Tridiagonal both[2] = {a, b};
  double* const out[2] = {out_a, out_b};
  solve_systems<2>(both, n, in, out, scratch);
}

}  // namespace darkcharge::detail
