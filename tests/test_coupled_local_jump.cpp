// Local jumps applied in the coupled basis (physics/coupled_local_jump) against the same jump
// applied in the product Dicke basis (apply_jump, itself checked against a full 2^N Lindblad
// solver by the local-noise tests) with Clebsch-Gordan changes of basis on both sides:
// K_coupled = U'^T K_product U, for every local channel, on every block of small ensembles
// and on blocks of a thousand spins. Both sides are exact up to rounding, so the tolerance
// is rounding (1e-11 relative to the largest amplitude).
#include <cmath>
#include <random>
#include <vector>

#include <Eigen/Dense>
#include <gtest/gtest.h>

#include "darkcharge/physics/angular_momentum.hpp"
#include "darkcharge/physics/clebsch_gordan_recursion.hpp"
#include "darkcharge/physics/coupled_local_jump.hpp"
#include "darkcharge/physics/local_jump_state.hpp"

namespace darkcharge {
namespace {

Model noisy_model(int nb, int nc) {
  Model m;
  m.n_battery = nb;
  m.n_charger = nc;
  m.local.charger = {0.3, 0.2, 0.5};
  m.local.battery = {0.7, 0.1, 0.9};
  return m;
}

/// The largest |difference| between the two routes for one channel and one random state of
/// block (jc, jb, M), relative to the largest amplitude of the product route.
double mismatch(const Model& model, const JumpChannel& channel, double jc, double jb, double M,
                std::mt19937& rng) {
  std::normal_distribution<double> normal;
  CoupledJumpState coupled{jc, jb, M, {}};
  coupled.c.resize(block_size(jc, jb, M));
  for (double& x : coupled.c) x = normal(rng);
  Eigen::MatrixXd u;
  clebsch_gordan_block(jc, jb, M, u);
  LocalJumpState product{jc, jb, M, {}}, jumped;
  product.amp.resize(coupled.c.size());
  Eigen::Map<Eigen::VectorXd>(product.amp.data(), product.size()) =
      u * Eigen::Map<const Eigen::VectorXd>(coupled.c.data(), coupled.size());
  const double product_norm = apply_jump(model, channel, product, jumped);
  CoupledJumpState out;
  const double coupled_norm = apply_coupled_local_jump(model, channel, coupled, out);
  if (product_norm == 0) return coupled_norm;  // both must vanish
  EXPECT_EQ(out.jc, jumped.jc);
  EXPECT_EQ(out.jb, jumped.jb);
  EXPECT_EQ(out.M, jumped.M);
  Eigen::MatrixXd u_out;
  clebsch_gordan_block(jumped.jc, jumped.jb, jumped.M, u_out);
  const Eigen::VectorXd expected =
      u_out.transpose() * Eigen::Map<const Eigen::VectorXd>(jumped.amp.data(), jumped.size());
  if (expected.size() != out.size()) return 1.0;
  const double scale = expected.cwiseAbs().maxCoeff();
  double worst = std::fabs(coupled_norm - product_norm) / product_norm;
  for (int k = 0; k < out.size(); ++k) worst = std::max(worst, std::fabs(out.c[k] - expected[k]) / scale);
  return worst;
}

TEST(CoupledLocalJump, AgreesWithTheProductBasisOnEveryBlockOfSmallEnsembles) {
  std::mt19937 rng(11);
  int checked = 0;
  for (int nb : {1, 2, 3, 4})
    for (int nc : {1, 2, 5}) {
      const Model model = noisy_model(nb, nc);
      for (const JumpChannel& channel : jump_channels(model)) {
        if (!channel.local()) continue;
        for (double jc = nc / 2.0; jc >= 0; jc -= 1)
          for (double jb = nb / 2.0; jb >= 0; jb -= 1)
            for (double M = -(jc + jb); M <= jc + jb + 0.25; M += 1) {
              EXPECT_LT(mismatch(model, channel, jc, jb, M, rng), 1e-11)
                  << channel.process.name() << " D = " << channel.shift << " at (j_C, j_B, M) = ("
                  << jc << ", " << jb << ", " << M << ") for N_B = " << nb << ", N_C = " << nc;
              ++checked;
            }
      }
    }
  EXPECT_GT(checked, 1000);
}

TEST(CoupledLocalJump, AgreesWithTheProductBasisAtAThousandSpins) {
  // Blocks of L = 201 levels, where the closed forms' cancellations would show.
  std::mt19937 rng(12);
  const Model model = noisy_model(200, 1000);
  for (const JumpChannel& channel : jump_channels(model)) {
    if (!channel.local()) continue;
    for (double M : {-150.0, 0.0, 37.0, 399.0})
      EXPECT_LT(mismatch(model, channel, 450, 100, M, rng), 1e-10)
          << channel.process.name() << " D = " << channel.shift << " at M = " << M;
  }
}

TEST(CoupledLocalJump, SixJSymbolsWithOneMatchRacahValues) {
  // Exact values from Racah's formula (sympy.physics.wigner.wigner_6j):
  // {1 1 1; 1 1 1} = 1/6 and {2 3/2 1/2; 1 3/2 3/2} = -sqrt(5)/10, written as {a b c; 1 c+x b+y}.
  EXPECT_NEAR(six_j_with_one(1, 1, 1, 0, 0), 1.0 / 6, 1e-15);
  EXPECT_NEAR(six_j_with_one(2, 1.5, 0.5, 1, 0), -std::sqrt(1.0 / 20), 1e-15);
  EXPECT_EQ(six_j_with_one(3, 1, 1, 0, 0), 0.0);  // triad (3, 1, 1) fails
}

}  // namespace
}  // namespace darkcharge
