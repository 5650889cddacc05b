// Exact algebra of the coupled basis: Clebsch-Gordan normalisation, the tridiagonal J_B^z,
// Dicke multiplicities. Expected values are identities of angular momentum, not fits.
#include <cmath>

#include <Eigen/Dense>
#include <gtest/gtest.h>

#include "darkcharge/physics/angular_momentum.hpp"
#include "darkcharge/physics/coupled_state.hpp"

namespace darkcharge {
namespace {

struct Spins {
  double j1, j2;
};
const Spins kCases[] = {{0.5, 0.5}, {2.5, 0.5}, {5, 1}, {1, 3}, {7.5, 2.5}, {12, 12.5}};

// Sum over J of |<j1 j1; j2 m2 | J M>|^2 = 1: the coupled states are a complete basis.
TEST(ClebschGordan, ChargerUpCoefficientsAreNormalised) {
  for (const auto& s : kCases)
    for (double m2 = -s.j2; m2 <= s.j2; m2 += 1) {
      double total = 0;
      for (double J = std::fabs(s.j1 - s.j2); J <= s.j1 + s.j2; J += 1) {
        const double c = clebsch_gordan_charger_up(s.j1, s.j2, m2, J);
        EXPECT_GE(c, 0.0);
        total += c * c;
      }
      EXPECT_NEAR(total, 1.0, 1e-12) << "j1=" << s.j1 << " j2=" << s.j2 << " m2=" << m2;
    }
}

// Known values: <1/2 1/2; 1/2 -1/2 | J 0> = 1/sqrt(2) for J = 0, 1.
TEST(ClebschGordan, TwoSpinHalfValues) {
  EXPECT_NEAR(clebsch_gordan_charger_up(0.5, 0.5, -0.5, 0), std::sqrt(0.5), 1e-15);
  EXPECT_NEAR(clebsch_gordan_charger_up(0.5, 0.5, -0.5, 1), std::sqrt(0.5), 1e-15);
  EXPECT_NEAR(clebsch_gordan_charger_up(1, 1, 1, 2), 1.0, 1e-15);
}

Eigen::MatrixXd battery_jz_matrix(double j1, double j2, double M) {
  const double j_min = std::max(std::fabs(j1 - j2), std::fabs(M));
  const int n = static_cast<int>(std::lround(j1 + j2 - j_min)) + 1;
  Eigen::MatrixXd z = Eigen::MatrixXd::Zero(n, n);
  for (int k = 0; k < n; ++k) {
    z(k, k) = battery_jz_diagonal(j1, j2, j_min + k, M);
    if (k > 0) z(k, k - 1) = z(k - 1, k) = battery_jz_offdiagonal(j1, j2, j_min + k, M);
  }
  return z;
}

// Restricted to one M, J_B^z has the eigenvalues m_B of the product states with that M.
TEST(BatteryJz, EigenvaluesAreTheProductLevels) {
  for (const auto& s : kCases)
    for (double M = -(s.j1 + s.j2); M <= s.j1 + s.j2; M += 1) {
      Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(battery_jz_matrix(s.j1, s.j2, M));
      const double m_low = std::max(-s.j2, M - s.j1);
      for (int i = 0; i < eig.eigenvalues().size(); ++i)
        EXPECT_NEAR(eig.eigenvalues()(i), m_low + i, 1e-10) << "M=" << M;
    }
}

// The charger-up product state |j1 j1>|j2 m2> has <J_B^z> = m2 exactly: this fixes the sign
// of the off-diagonal elements relative to the Clebsch-Gordan coefficients.
TEST(BatteryJz, ProductStateExpectationIsItsLevel) {
  for (const auto& s : kCases)
    for (double m2 = -s.j2; m2 <= s.j2; m2 += 1) {
      Model model;
      model.n_charger = static_cast<int>(std::lround(2 * s.j1));
      model.n_battery = static_cast<int>(std::lround(2 * s.j2));
      CoupledState state;
      state.reset(model, {s.j2, m2});
      EXPECT_NEAR(state.linear_values(state.amplitudes().data(), 1.0).battery_jz, m2, 1e-12)
          << "j1=" << s.j1 << " j2=" << s.j2;
    }
}

// sum_j d(N, j) (2j + 1) = 2^N: the Dicke sectors fill the whole N-spin space.
TEST(DickeMultiplicity, SectorsFillTheSpace) {
  for (int n : {1, 2, 3, 7, 20, 61}) {
    double total = 0;
    for (double j = 0.5 * n; j >= 0; j -= 1)
      total += std::exp(log_dicke_multiplicity(n, j)) * (2 * j + 1);
    EXPECT_NEAR(total / std::pow(2.0, n), 1.0, 1e-12) << "N=" << n;
  }
  EXPECT_NEAR(std::exp(log_dicke_multiplicity(2, 0)), 1.0, 1e-14);   // the singlet
  EXPECT_NEAR(std::exp(log_dicke_multiplicity(3, 0.5)), 2.0, 1e-14); // two doublets
  EXPECT_TRUE(std::isfinite(log_dicke_multiplicity(5000, 0)));        // no overflow
}

}  // namespace
}  // namespace darkcharge
