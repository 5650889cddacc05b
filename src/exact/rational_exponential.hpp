#pragma once
// exp(A) v for a real tridiagonal A whose spectrum lies on the non-positive real axis, from
// the type (14, 14) Caratheodory-Fejer rational approximation r of exp on (-inf, 0]
// (Trefethen, Weideman & Schmelzer, BIT 46, 653 (2006); the approximation of Gallopoulos
// & Saad / Expokit's chbv): exp(x) ~ r_inf + sum_k c_k / (x - z_k), uniformly within 2e-14 on
// the whole half line. So one application costs 7 complex tridiagonal solves (the poles come
// in conjugate pairs and A, v are real) whatever the norm of A: the cost of a step is set by
// the accuracy, not by the largest rate, and a step may be as long as the output grid's.
//
// The coefficients below were computed for this project with the CF algorithm of that paper
// in 40-digit arithmetic (scripts/rational_exponential_coefficients.py): max |r(x) - e^x| on
// (-inf, 0] is 1.83e-14 (= r_inf, the theoretical value for type (14, 14)).
//
// Internal to src/exact/ (the birth-death chains of the coupled-basis solver).
#include <array>
#include <cmath>
#include <vector>

namespace darkcharge::detail {

struct RationalExponential {
  static constexpr int kPoles = 7;  // one of each conjugate pair (Im z > 0)
  static constexpr double kInfinity = 1.8321743857133563625e-14;
  static constexpr std::array<double, kPoles> kPoleRe = {
      5.6231425727460644669,
      5.0893450605807155309,
      3.9933697105786674169,
      2.2697838292312247737,
      -0.20875863824999712796,
      -3.7032750494232811899,
      -8.8977731864686624876};
  static constexpr std::array<double, kPoles> kPoleIm = {
      1.1940690463439735479,
      3.5888240290270268206,
      6.0048316422350732839,
      8.4617379730402770312,
      10.991260561901344249,
      13.656371871483397319,
      16.630982619902316626};
  static constexpr std::array<double, kPoles> kResidueRe = {
      -27.875161940147698058,
      46.933274488835037768,
      -23.498232091084934574,
      4.8071120988331202495,
      -0.37636003878234427726,
      0.0094390253107396989623,
      -0.000071542880635936447989};
  static constexpr std::array<double, kPoles> kResidueIm = {
      -102.14733999057413243,
      45.64364976883289839,
      -5.8083591297155011074,
      -1.320979383742796285,
      0.33518347029451864782,
      -0.01718479195848480373,
      0.00014361043349543088846};
};

/// Scratch of one thread for tridiagonal_exponential (grown on demand).
struct TridiagonalScratch {
  std::vector<double> buffer;
};

/// The poles in lanes of kLanes: one more than kPoles, so that each row's loop over the
/// poles is a fixed-size loop over whole SIMD registers (four SSE2 pairs). The extra lane
/// solves with the harmless pole z = i (every pivot has |pivot| >= 1) and residue 0, and is
/// never summed.
struct RationalLanes {
  static constexpr int kLanes = 8;
  std::array<double, kLanes> pole_re{}, pole_im{};
  RationalLanes() {
    for (int k = 0; k < kLanes; ++k) {
      pole_re[k] = k < RationalExponential::kPoles ? RationalExponential::kPoleRe[k] : 0.0;
      pole_im[k] = k < RationalExponential::kPoles ? RationalExponential::kPoleIm[k] : 1.0;
    }
  }
};

/// out[0..n) = exp(A) in[0..n) for the tridiagonal A with diagonal d, A(i, i + 1) = up[i],
/// A(i, i - 1) = low[i] (up[n - 1] and low[0] unused). The shifted systems A - z are solved
/// by a twisted factorisation without pivoting (elimination from the top row down and from
/// the bottom row up to the middle row, solved first; rational_exponential.cpp). A is a
/// diagonal similarity of a real symmetric matrix S (the products A(i, i + 1) A(i + 1, i)
/// are >= 0), elimination's pivots are the same for A - z and S - z, and S - z has the
/// definite imaginary part -Im z: every pivot, in either direction and at the twist
/// (1 / ((S - z)^-1)_tt), has |pivot| >= Im z >= 1.19, and elimination without pivoting is
/// stable for such matrices.
/// All poles are eliminated together, each row's numbers stored by kind and then by lane
/// (1 / pivot re, im; right-hand side re, im), so that the compiler turns each row's loop
/// over the lanes into packed arithmetic: 1.9x faster than pole-interleaved storage, which
/// it left scalar. Every lane does the same operations in the same order either way, and
/// the residues are summed in pole order: the result is bit-identical.
void tridiagonal_exponential(const double* d, const double* up, const double* low, int n,
                             const double* in, double* out, TridiagonalScratch& scratch);

/// A tridiagonal matrix as tridiagonal_exponential() reads it.
struct Tridiagonal {
  const double* d;
  const double* up;
  const double* low;
};

/// out_a = exp(A) in and out_b = exp(B) in together (each bit-identical to
/// tridiagonal_exponential()), in about 0.9 of the time of the two apart (micro-benchmark,
/// AVX2, 220 rows: 9.9 against 11.3 ns per row and system).
void tridiagonal_exponentials(const Tridiagonal& a, const Tridiagonal& b, int n,
                              const double* in, double* out_a, double* out_b,
                              TridiagonalScratch& scratch);

}  // namespace darkcharge::detail
