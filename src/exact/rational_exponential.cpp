// exp(A) v by the rational approximation of rational_exponential.hpp. Compiled twice on
// x86-64 (GCC's target_clones, chosen once at load time by the CPU): for AVX2, whose 4-wide
// registers hold half a row's 8 pole lanes (1.3x faster per row than SSE2 in a micro-benchmark,
// 18 against 24 ns per row of 400), and for the baseline x86-64 that any machine runs. AVX2
// without FMA: every lane does the same multiplications and additions in the same order in
// both clones, so their results are bit-identical.
#include "exact/rational_exponential.hpp"
#include "exact/simd_clones.hpp"

#include <array>

namespace darkcharge::detail {
namespace {

/// exp(A_j) in for the `kSystems` tridiagonal matrices A_j (same size, same input), their
/// rows eliminated in step: each system's eight pole lanes form one chain of dependent
/// operations down the rows (a division's latency per row), so two systems side by side
/// keep the arithmetic units busy where one leaves them waiting (micro-benchmark, AVX2:
/// 24 ns per row of 400 for two against 18 ns for one). Every lane does the same operations
/// in the same order whatever kSystems: exp(A) in is bit-identical either way.
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
  // Row i of system j at s + (i kSystems + j) kRow: 1 / pivot re, im; right-hand side re, im.
  auto row_of = [&](int i, int j) {
    return scratch.buffer.data() + (static_cast<std::size_t>(i) * kSystems + j) * kRow;
  };
  for (int j = 0; j < kSystems; ++j)
    for (int i = 0; i < n; ++i) out[j][i] = R::kInfinity * in[i];
  // Forward elimination, all poles at once (independent lanes).
  for (int j = 0; j < kSystems; ++j) {
    double* row = row_of(0, j);
    for (int k = 0; k < L; ++k) {
      const double pr = a[j].d[0] - zr[k], pi = -zi[k];
      const double inv_norm = 1.0 / (pr * pr + pi * pi);
      row[k] = pr * inv_norm;
      row[L + k] = -pi * inv_norm;
      row[2 * L + k] = in[0];
      row[3 * L + k] = 0.0;
    }
  }
  for (int i = 1; i < n; ++i) {
    const double v = in[i];
    for (int j = 0; j < kSystems; ++j) {
      const double* prev = row_of(i - 1, j);
      double* row = row_of(i, j);
      const double l = a[j].low[i], u = a[j].up[i - 1], di = a[j].d[i];
#pragma omp simd
      for (int k = 0; k < L; ++k) {
        const double mr = l * prev[k], mi = l * prev[L + k];  // multiplier low / pivot
        const double pr = di - zr[k] - mr * u, pi = -zi[k] - mi * u;
        const double inv_norm = 1.0 / (pr * pr + pi * pi);
        row[k] = pr * inv_norm;
        row[L + k] = -pi * inv_norm;
        const double yr = prev[2 * L + k], yi = prev[3 * L + k];
        row[2 * L + k] = v - (mr * yr - mi * yi);
        row[3 * L + k] = -(mr * yi + mi * yr);
      }
    }
  }
  // Back substitution, accumulating 2 Re(c_k x_k) into out.
  alignas(16) std::array<std::array<double, L>, kSystems> xr{}, xi{}, term{};
  alignas(16) std::array<double, L> cr{}, ci{};
  for (int k = 0; k < R::kPoles; ++k) {
    cr[k] = R::kResidueRe[k];
    ci[k] = R::kResidueIm[k];
  }
  for (int i = n - 1; i >= 0; --i) {
    for (int j = 0; j < kSystems; ++j) {
      const double* row = row_of(i, j);
      const double u = i + 1 < n ? a[j].up[i] : 0.0;
      double* x_re = xr[j].data();
      double* x_im = xi[j].data();
      double* t = term[j].data();
#pragma omp simd
      for (int k = 0; k < L; ++k) {
        const double tr = row[2 * L + k] - u * x_re[k], ti = row[3 * L + k] - u * x_im[k];
        const double ir = row[k], ii = row[L + k];
        x_re[k] = tr * ir - ti * ii;
        x_im[k] = tr * ii + ti * ir;
        t[k] = cr[k] * x_re[k] - ci[k] * x_im[k];
      }
      double sum = 0;
      for (int k = 0; k < R::kPoles; ++k) sum += t[k];
      out[j][i] += 2 * sum;
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
