// The process catalogue (physics/process.hpp): which processes a model has, and that each
// process's three faces -- its jump operators (apply_jump), its share of the no-jump
// generator G and its adjoint action on J_B^z (the battery power) -- describe the same
// Lindblad term. The jump operators are checked independently against a full 2^N Lindblad
// solver by the local-noise tests; here the other two faces are checked against them.
#include <cmath>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "darkcharge/physics/angular_momentum.hpp"
#include "darkcharge/physics/local_jump_state.hpp"
#include "darkcharge/physics/process.hpp"

namespace darkcharge {
namespace {

Model noisy_model(double nbar) {
  Model m;
  m.n_battery = 3;
  m.n_charger = 5;
  m.nbar = nbar;
  m.gamma = 0.7;
  m.local.charger = {0.3, 0.2, 0.5};
  m.local.battery = {0.7, 0.1, 0.9};
  return m;
}

std::vector<std::string> names(const Model& m) {
  std::vector<std::string> out;
  for (const Process& p : processes(m)) out.push_back(p.name());
  return out;
}

TEST(Process, AModelHasItsNonzeroProcessesInAFixedOrder) {
  Model m;
  EXPECT_EQ(names(m), std::vector<std::string>{"collective emission"});
  m.nbar = 0.3;
  m.local.battery.dephasing = 0.2;
  m.local.charger.decay = 0.1;
  EXPECT_EQ(names(m), (std::vector<std::string>{"collective emission", "collective absorption",
                                                "charger decay", "battery dephasing"}));
  const std::vector<Process> all = processes(m);
  EXPECT_DOUBLE_EQ(all[0].rate, 2 * m.gamma * (m.nbar + 1));  // physics.md: 2 gamma (nbar + 1)
  EXPECT_DOUBLE_EQ(all[1].rate, 2 * m.gamma * m.nbar);
  EXPECT_EQ(all[0].m_step(), -1);
  EXPECT_EQ(all[1].m_step(), +1);
  EXPECT_EQ(all[2].m_step(), -1);
  EXPECT_EQ(all[3].m_step(), 0);
}

// Without local noise the rate scale is the closed form 2 gamma (2 nbar + 1) (J_max + 1)^2
// that the overflow guards were designed with.
TEST(Process, RateScaleOfTheReservoirIsItsClosedForm) {
  Model m;
  m.n_battery = 40;
  m.n_charger = 400;
  m.nbar = 0.25;
  m.gamma = 3;
  const double closed = 2 * 3.0 * 1.5 * 221.0 * 221.0;
  EXPECT_NEAR(rate_scale(m), closed, 1e-14 * closed);
  m.local.battery.decay = 0.5;  // adds at most g N_B
  EXPECT_NEAR(rate_scale(m), closed + 0.5 * 40, 1e-14 * closed);
}

/// <a| J_B^z |b> on one block.
double battery_jz(const LocalJumpState& a, const std::vector<double>& b) {
  double sum = 0;
  for (int i = 0; i < a.size(); ++i) sum += (a.first_mb() + i) * a.amp[i] * b[i];
  return sum;
}

// L^dag(J_B^z) = sum_k K_k^dag J_B^z K_k - {G, J_B^z} with G = (1/2) sum_k K_k^dag K_k, so
// <psi| L^dag(J_B^z) |psi> = sum_k <K_k psi| J_B^z |K_k psi> - 2 <G psi| J_B^z |psi> for real
// psi. Random states on every block of N_B = 3, N_C = 5, at nbar = 0 and 0.4, with every local
// channel on both ensembles.
TEST(Process, BatteryPowerIsTheAdjointGeneratorOnBatteryJz) {
  std::mt19937_64 gen(11);
  std::normal_distribution<double> normal;
  int checked = 0;
  for (double nbar : {0.0, 0.4}) {
    const Model m = noisy_model(nbar);
    const std::vector<JumpChannel> channels = jump_channels(m);
    for (double jc : {2.5, 1.5, 0.5})
      for (double jb : {1.5, 0.5})
        for (double M = -(jc + jb); M <= jc + jb + 0.25; M += 1) {
          LocalJumpState psi{jc, jb, M, std::vector<double>(block_size(jc, jb, M))};
          for (double& a : psi.amp) a = normal(gen);
          double sandwiched = 0;
          LocalJumpState out;
          for (const JumpChannel& k : channels) {
            apply_jump(m, k, psi, out);
            sandwiched += battery_jz(out, out.amp);
          }
          const BlockTridiagonal g = no_jump_generator(m, jc, jb, M);
          std::vector<double> g_psi(psi.size());
          for (int i = 0; i < psi.size(); ++i) {
            g_psi[i] = g.diagonal[i] * psi.amp[i];
            if (i + 1 < psi.size()) g_psi[i] += g.link[i] * psi.amp[i + 1];
            if (i > 0) g_psi[i] += g.link[i - 1] * psi.amp[i - 1];
          }
          const double expected = sandwiched - 2 * battery_jz(psi, g_psi);
          const double power = expectation(battery_power_operator(m, jc, jb, M), psi.amp);
          EXPECT_NEAR(power, expected, 1e-12 * std::max(1.0, std::fabs(expected)))
              << "nbar " << nbar << " j_C " << jc << " j_B " << jb << " M " << M;
          ++checked;
        }
  }
  EXPECT_EQ(checked, 2 * 36);  // sum over (j_C, j_B) of 2 (j_C + j_B) + 1 blocks, twice
}

// Collective processes conserve j_C and j_B and local ones are block-diagonal in m: G and
// L^dag(J_B^z) of any model have one row per product state of the block.
TEST(Process, BlockOperatorsHaveOneRowPerProductState) {
  const Model m = noisy_model(0.2);
  for (double M : {-4.0, -1.0, 0.0, 2.0, 4.0}) {
    const int n = block_size(2.5, 1.5, M);
    EXPECT_EQ(static_cast<int>(no_jump_generator(m, 2.5, 1.5, M).diagonal.size()), n);
    EXPECT_EQ(static_cast<int>(battery_power_operator(m, 2.5, 1.5, M).link.size()), n);
  }
  EXPECT_EQ(block_size(2.5, 1.5, 5.0), 0);
}

}  // namespace
}  // namespace darkcharge
