#include "darkcharge/physics/angular_momentum.hpp"

#include <cmath>
#include <limits>
#include <vector>

#include <fmt/format.h>

#include "darkcharge/core/errors.hpp"

namespace darkcharge {
namespace {

constexpr int kTableSize = 1 << 18;  // covers 2(j1 + j2) + 1 for ensembles beyond 10^5 spins

const std::vector<double>& log_factorial_table() {
  static const std::vector<double> table = [] {
    std::vector<double> t(kTableSize);
    t[0] = 0.0;
    for (int n = 1; n < kTableSize; ++n) t[n] = t[n - 1] + std::log(double(n));
    return t;
  }();
  return table;
}

/// A half-integer combination that must be a non-negative integer, as an int.
int as_count(double x) { return static_cast<int>(std::lround(x)); }

}  // namespace

double log_factorial(int n) {
  if (n < 0) throw InvalidArgument(fmt::format("log_factorial: n must be >= 0, got {}", n));
  if (n < kTableSize) return log_factorial_table()[n];
  return std::lgamma(n + 1.0);
}

double log_binomial(int n, int k) {
  if (k < 0 || k > n) return -std::numeric_limits<double>::infinity();
  return log_factorial(n) - log_factorial(k) - log_factorial(n - k);
}

double clebsch_gordan_charger_up(double j1, double j2, double m2, double J) {
  const double M = j1 + m2;
  if (J < std::fabs(j1 - j2) || J > j1 + j2 || J < std::fabs(M) || std::fabs(m2) > j2)
    return 0.0;
  // Racah's formula with m1 = j1: only k = 0 survives in the alternating sum.
  const double log_triangle = log_factorial(as_count(J + j1 - j2)) +
                              log_factorial(as_count(J - j1 + j2)) +
                              log_factorial(as_count(j1 + j2 - J)) -
                              log_factorial(as_count(j1 + j2 + J + 1));
  const double log_m = log_factorial(as_count(J + M)) + log_factorial(as_count(J - M)) +
                       log_factorial(as_count(2 * j1)) + log_factorial(as_count(j2 - m2)) +
                       log_factorial(as_count(j2 + m2));
  const double log_denominator =
      log_factorial(as_count(j1 + j2 - J)) + log_factorial(as_count(j2 + m2)) +
      log_factorial(as_count(J - j2 + j1)) + log_factorial(as_count(J - j1 - m2));
  return std::exp(0.5 * (std::log(2 * J + 1) + log_triangle + log_m) - log_denominator);
}

double battery_jz_diagonal(double j1, double j2, double J, double M) {
  if (J == 0.0) return 0.0;
  return M * (J * (J + 1) + j2 * (j2 + 1) - j1 * (j1 + 1)) / (2 * J * (J + 1));
}

double battery_jz_offdiagonal(double j1, double j2, double J, double M) {
  if (J <= 0.0) return 0.0;
  const double m_factor = J * J - M * M;
  const double dj = j1 - j2, sj = j1 + j2 + 1;
  const double reduced = (J * J - dj * dj) * (sj * sj - J * J) /
                         (4 * J * J * (2 * J + 1) * (2 * J - 1));
  if (m_factor <= 0.0 || reduced <= 0.0) return 0.0;
  // Minus sign: J_1^z + J_2^z = J^z is diagonal, and <J M|J_1^z|J-1 M> > 0 (Condon-Shortley).
  return -std::sqrt(m_factor * reduced);
}

double log_dicke_multiplicity(int n_spins, double j) {
  const int k = as_count(0.5 * n_spins - j);  // number of "flipped" spins
  if (k < 0 || 2 * k > n_spins) return -std::numeric_limits<double>::infinity();
  // d = C(N, k) (1 - C(N, k-1)/C(N, k)) with C(N, k-1)/C(N, k) = k / (N - k + 1).
  const double ratio = double(k) / double(n_spins - k + 1);
  return log_binomial(n_spins, k) + std::log1p(-ratio);
}

}  // namespace darkcharge
