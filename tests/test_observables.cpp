// Nonlinear observables of known states: ergotropy (passive 0, fully excited 1, thermal
// Gibbs state 0 in the full space even at N_B = 1000) and logarithmic negativity (product
// state 0, singlet 1). Expected values are textbook facts, not fits.
#include <cmath>

#include <gtest/gtest.h>

#include "darkcharge/coupled_state.hpp"
#include "darkcharge/density_matrix.hpp"
#include "darkcharge/ergotropy.hpp"
#include "darkcharge/initial_state.hpp"
#include "darkcharge/trajectory.hpp"

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
  DensityMatrix rho;
  rho.add(Snapshot{state, state.amplitudes().data(), 1.0});
  return rho;
}

TEST(LogNegativity, ProductStatesAreNotEntangled) {
  for (auto [nc, nb, mb] : {std::tuple{1, 1, -0.5}, {4, 3, 0.5}, {10, 2, 0.0}, {3, 6, -1.0}}) {
    ProductBasis basis(0.5 * nc);
    EXPECT_NEAR(log_negativity(product_state(nc, nb, mb), basis), 0.0, 1e-10)
        << nc << " " << nb << " " << mb;
  }
}

// The singlet |J = 0, M = 0> of two spin-1/2: ||rho^T_B||_1 = 2, S_B = 1.
TEST(LogNegativity, SingletIsOneEbit) {
  DensityMatrix rho;
  rho.blocks[{0.5, 0.0}] = Eigen::MatrixXd::Zero(2, 2);  // J = 0, 1
  rho.blocks[{0.5, 0.0}](0, 0) = 1.0;
  ProductBasis basis(0.5);
  EXPECT_NEAR(log_negativity(rho, basis), 1.0, 1e-12);
  // The triplet |1, 0> is maximally entangled too.
  rho.blocks[{0.5, 0.0}](0, 0) = 0.0;
  rho.blocks[{0.5, 0.0}](1, 1) = 1.0;
  EXPECT_NEAR(log_negativity(rho, basis), 1.0, 1e-12);
}

TEST(BatteryLevels, ProductStatePopulation) {
  ProductBasis basis(2.0);
  const auto levels = battery_level_populations(product_state(4, 3, 0.5), basis);
  for (const auto& l : levels)
    EXPECT_NEAR(l.population, l.m_battery == 0.5 ? 1.0 : 0.0, 1e-12);
}

}  // namespace
}  // namespace darkcharge
