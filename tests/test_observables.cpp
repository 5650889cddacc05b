// Nonlinear observables of known states: ergotropy (passive 0, fully excited 1, thermal
// Gibbs state 0 in the full space even at N_B = 1000) and logarithmic negativity (product
// state 0, singlet 1). Expected values are textbook facts, not fits.
#include <cmath>
#include <cstdlib>
#include <random>

#include <gtest/gtest.h>

#include "darkcharge/physics/coupled_state.hpp"
#include "darkcharge/physics/density_matrix.hpp"
#include "darkcharge/physics/ergotropy.hpp"
#include "darkcharge/physics/initial_state.hpp"
#include "darkcharge/run/trajectory.hpp"

namespace darkcharge {
namespace {

TEST(Ergotropy, PassiveStateHasNone) {
  for (int n : {1, 2, 7, 1000}) {
    const std::vector<SectorEigenvalue> ground = {{0.5 * n, 1.0}};
    EXPECT_NEAR(ergotropy(ground, -0.5 * n, n), 0.0, 1e-12);
    EXPECT_NEAR(ergotropy_symmetric(ground, -0.5 * n, n), 0.0, 1e-12);
  }
}

TEST(Ergotropy, FullyExcitedBatteryGivesOnePerSpin) {
  for (int n : {1, 2, 7, 1000}) {
    const std::vector<SectorEigenvalue> excited = {{0.5 * n, 1.0}};
    EXPECT_NEAR(ergotropy(excited, 0.5 * n, n), 1.0, 1e-12);
    EXPECT_NEAR(ergotropy_symmetric(excited, 0.5 * n, n), 1.0, 1e-12);
  }
}

// The Gibbs state of independent spins is passive in the full 2^N_B space; this needs every
// Dicke sector with its multiplicity (a symmetric-subspace treatment gets it wrong).
TEST(Ergotropy, ThermalStateIsPassiveInTheFullSpaceUpToThousandSpins) {
  for (int n : {2, 5, 30, 1000}) {
    Model model;
    model.n_battery = n;
    model.nbar = 0.6;
    std::vector<SectorEigenvalue> spectrum;
    double jz = 0;
    for (const auto& level : initial_mixture(model)) {
      spectrum.push_back({level.state.j_battery, level.probability});
      jz += level.probability * level.state.m_battery;
    }
    EXPECT_NEAR(ergotropy(spectrum, jz, n), 0.0, 1e-9) << "N_B=" << n;
    EXPECT_TRUE(std::isnan(ergotropy_symmetric(spectrum, jz, n)));
  }
}

// One excitation in a symmetric 2-spin battery, |j=1, m=0>: the symmetric subspace has
// levels -1, 0, 1 once each, so W_sym = (0 - (-1)) / 2 = 1/2; the full space also.
TEST(Ergotropy, SingleExcitation) {
  const std::vector<SectorEigenvalue> spectrum = {{1.0, 1.0}};
  EXPECT_NEAR(ergotropy_symmetric(spectrum, 0.0, 2), 0.5, 1e-14);
  EXPECT_NEAR(ergotropy(spectrum, 0.0, 2), 0.5, 1e-14);
}

/// The coupled-basis state of a charger-up product start, as a density matrix.
DensityMatrix product_state(int nc, int nb, double m_battery) {
  Model model;
  model.n_charger = nc;
  model.n_battery = nb;
  CoupledState state;
  state.reset(model, {0.5 * nb, m_battery});
  const ProductBasis basis(0.5 * nc, {0.5 * nb});
  Eigen::VectorXd psi;
  basis.to_product(0.5 * nb, state.total_m(), state.amplitudes().data() + state.first(),
                   state.size() - state.first(), 1.0, psi);
  DensityMatrix rho;
  rho.add_pure(0.5 * nb, state.total_m(), psi);
  return rho;
}

TEST(LogNegativity, ProductStatesAreNotEntangled) {
  for (auto [nc, nb, mb] : {std::tuple{1, 1, -0.5}, {4, 3, 0.5}, {10, 2, 0.0}, {3, 6, -1.0}}) {
    EXPECT_NEAR(log_negativity(product_state(nc, nb, mb), 0.5 * nc), 0.0, 1e-10)
        << nc << " " << nb << " " << mb;
  }
}

// The singlet of two spin-1/2, (|up,down> - |down,up>)/sqrt 2: ||rho^T_B||_1 = 2, S_B = 1.
// Rows of the M = 0 block are m_B = -1/2 (|up, down>) and +1/2 (|down, up>).
TEST(LogNegativity, SingletIsOneEbit) {
  for (double sign : {-1.0, 1.0}) {  // the triplet |1, 0> is maximally entangled too
    DensityMatrix rho;
    rho.add_pure(0.5, 0.0, Eigen::Vector2d(1.0, sign) / std::sqrt(2.0));
    EXPECT_NEAR(log_negativity(rho, 0.5), 1.0, 1e-12);
  }
}

// The Clebsch-Gordan change of basis maps the coupled singlet |J=0, M=0> to the singlet.
// The closed forms of trace_norm_symmetric (1x1, 2x2) against Eigen's iterative solver, on
// random, nearly diagonal, rank-one and nearly cancelling matrices: within 1e-14 of the
// norm (both are backward stable: errors ~1e-16 of the norm).
TEST(LogNegativity, TraceNormClosedFormsMatchTheEigensolver) {
  std::srand(5);
  auto random = [] { return 2.0 * std::rand() / RAND_MAX - 1.0; };
  for (int n : {1, 2, 3, 5})
    for (int trial = 0; trial < 2000; ++trial) {
      Eigen::MatrixXd a(n, n);
      for (int i = 0; i < n; ++i)
        for (int j = 0; j <= i; ++j) a(i, j) = a(j, i) = random();
      if (trial % 4 == 1) a = a.diagonal().asDiagonal().toDenseMatrix() + 1e-9 * a;
      if (trial % 4 == 2) {
        const Eigen::VectorXd v = a.col(0);
        a = v * v.transpose();
      }
      if (trial % 4 == 3) a.diagonal().array() -= a.trace() / n;  // eigenvalues sum to 0
      const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(a, Eigen::EigenvaluesOnly);
      const double expected = eig.eigenvalues().cwiseAbs().sum();
      EXPECT_NEAR(trace_norm_symmetric(a), expected, 1e-14 * (1 + expected)) << n << " " << trial;
    }
}

// trace_norm_few_negative against the known spectrum of A = O diag(l) O^T (O a random
// orthogonal matrix): positive semidefinite blocks with a few tiny negative eigenvalues
// (the bisection path), with many negative ones (implicit QR), and with none. Both paths are
// backward stable, so the error is ~n eps ||A|| (<= 1e-14 ||A|| at n <= 40); the upper
// triangle holds garbage to check that only the lower one is read.
TEST(LogNegativity, TraceNormFewNegativeMatchesTheSpectrum) {
  std::mt19937 rng(11);
  std::uniform_real_distribution<double> uniform(-1.0, 1.0);
  for (int n : {3, 4, 7, 16, 40})
    for (int trial = 0; trial < 60; ++trial) {
      Eigen::MatrixXd g(n, n);
      for (int i = 0; i < n; ++i)
        for (int j = 0; j < n; ++j) g(i, j) = uniform(rng);
      const Eigen::MatrixXd o = Eigen::HouseholderQR<Eigen::MatrixXd>(g).householderQ();
      Eigen::VectorXd l(n);
      for (int i = 0; i < n; ++i) l(i) = std::pow(10.0, -12 * (0.5 + 0.5 * uniform(rng)));
      if (trial % 3 == 0)  // two tiny negative eigenvalues
        l(0) = -1e-13, l(1) = -3e-15;
      if (trial % 3 == 1)  // about half negative
        for (int i = 0; i < n; i += 2) l(i) = -l(i);
      Eigen::MatrixXd a = o * l.asDiagonal() * o.transpose();
      const double norm = l.cwiseAbs().maxCoeff();
      for (int i = 0; i < n; ++i)
        for (int j = i + 1; j < n; ++j) a(i, j) = 1e3 * uniform(rng);
      EXPECT_NEAR(trace_norm_few_negative(a), l.cwiseAbs().sum(), 1e-14 * norm)
          << n << " " << trial;
    }
}

// With a slack, eigenvalues in [-slack, 0) count with their sign (as in the trace) and only
// those below -slack are found: a block of low rank with half its eigenvalues in
// (-5e-14, 0) (which without the slack take the implicit QR path) and two at -1e-10 and
// -2e-9 gives tr A + 2 (1e-10 + 2e-9) to rounding (counting the small ones' |l| would add
// 2e-13 to 8e-13); with n / 3 more at ~-2e-11 the implicit QR path, the same rule; without
// the slack, every |eigenvalue|.
TEST(LogNegativity, TraceNormFewNegativeIgnoresEigenvaluesWithinTheSlack) {
  std::mt19937 rng(12);
  std::uniform_real_distribution<double> uniform(-1.0, 1.0);
  for (int n : {8, 30})
    for (int trial = 0; trial < 20; ++trial) {
      Eigen::MatrixXd g(n, n);
      for (int i = 0; i < n; ++i)
        for (int j = 0; j < n; ++j) g(i, j) = uniform(rng);
      const Eigen::MatrixXd o = Eigen::HouseholderQR<Eigen::MatrixXd>(g).householderQ();
      Eigen::VectorXd l = Eigen::VectorXd::Zero(n);
      // The small ones in (-5e-14, 0): rounding (~1e-15) keeps them on their side of -slack.
      for (int i = 0; i < n; ++i) l(i) = i % 2 == 0 ? -2.5e-14 * (1 + uniform(rng)) : 1e-16;
      l(0) = 0.6, l(1) = 0.3, l(2) = -1e-10, l(3) = -2e-9;
      // Odd trials: more than n / 4 below -slack, so that the implicit QR path is taken.
      if (trial % 2 == 1)
        for (int i = 4; i < 4 + n / 3; ++i) l(i) = -1e-11 * (2 + uniform(rng));
      const Eigen::MatrixXd a = o * l.asDiagonal() * o.transpose();
      const double slack = 1e-13;
      double expected = 0;
      for (int i = 0; i < n; ++i) expected += l(i) < -slack ? -l(i) : l(i);
      EXPECT_NEAR(trace_norm_few_negative(a, slack), expected, 1e-14) << n << " " << trial;
      EXPECT_NEAR(trace_norm_few_negative(a), l.cwiseAbs().sum(), 1e-14) << n << " " << trial;
    }
}

TEST(ProductBasis, CoupledSingletIsTheSinglet) {
  const ProductBasis basis(0.5, {0.5});
  const double c[2] = {1.0, 0.0};  // J = 0, 1 at M = 0
  Eigen::VectorXd psi;
  basis.to_product(0.5, 0.0, c, 2, 1.0, psi);
  EXPECT_NEAR(psi(0), std::sqrt(0.5), 1e-14);   // <up, down | 0 0> = +1/sqrt 2
  EXPECT_NEAR(psi(1), -std::sqrt(0.5), 1e-14);  // <down, up | 0 0> = -1/sqrt 2
}

TEST(BatteryLevels, ProductStatePopulation) {
  const auto levels = battery_level_populations(product_state(4, 3, 0.5), 2.0);
  for (const auto& l : levels)
    EXPECT_NEAR(l.population, l.m_battery == 0.5 ? 1.0 : 0.0, 1e-12);
}

}  // namespace
}  // namespace darkcharge
