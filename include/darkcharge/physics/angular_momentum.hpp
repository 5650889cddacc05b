#pragma once
/// @file angular_momentum.hpp
/// Standard angular-momentum algebra (Condon-Shortley phases) for two collective spins,
/// the charger j_1 = j_C and the battery j_2 = j_B, coupled to |j_C j_B; J M>.
/// Spins are half-integers held exactly in doubles.

namespace darkcharge {

/// Nearest integer of x, which is always within rounding of one (quantum numbers, held
/// exactly in doubles, and their differences): an inline cast instead of a call to lround
/// (10% of a default run's instructions went there, from the inner loops of the negativity).
inline int count(double x) { return static_cast<int>(x >= 0 ? x + 0.5 : x - 0.5); }

/// log(n!) for n >= 0, from a table (exact summation) for the sizes this engine uses.
double log_factorial(int n);
/// log of the binomial coefficient C(n, k); -inf outside 0 <= k <= n.
double log_binomial(int n, int k);

/// Lowest total J present at total M in the coupling of j1 (charger) and j2 (battery):
/// max(|j1 - j2|, |M|).
inline double first_total_j(double j1, double j2, double M) {
  const double d = j1 > j2 ? j1 - j2 : j2 - j1, m = M < 0 ? -M : M;
  return d > m ? d : m;
}
/// Lowest battery level m2 present at total M: max(-j2, M - j1).
inline double first_battery_level(double j1, double j2, double M) {
  return -j2 > M - j1 ? -j2 : M - j1;
}

/// |<J, M-1| J^- |J, M>|^2 = (J + M)(J - M + 1).
inline double lowering_squared(double J, double M) { return (J + M) * (J - M + 1.0); }
/// |<J, M+1| J^+ |J, M>|^2 = (J - M)(J + M + 1).
inline double raising_squared(double J, double M) { return (J - M) * (J + M + 1.0); }

/// <j1 j1; j2 m2 | J, j1 + m2>: the Clebsch-Gordan coefficient with the first spin
/// stretched (charger fully up). Racah's sum has a single, positive term here.
double clebsch_gordan_charger_up(double j1, double j2, double m2, double J);

/// <j1 j2; J M | J_2^z | j1 j2; J M> (battery J^z, diagonal element in the coupled basis).
double battery_jz_diagonal(double j1, double j2, double J, double M);
/// <j1 j2; J M | J_2^z | j1 j2; J-1, M>: J_2^z is a vector-operator component, so in the
/// coupled basis it only links J to J +- 1 (Wigner-Eckart); Condon-Shortley sign.
double battery_jz_offdiagonal(double j1, double j2, double J, double M);

/// log d(N, j): number of copies of spin j among N spin-1/2 (physics.md, Dicke multiplicity)
/// d = C(N, N/2 - j) - C(N, N/2 - j - 1). Computed in logs: it overflows doubles near N = 1030.
double log_dicke_multiplicity(int n_spins, double j);

}  // namespace darkcharge
