// The thermal battery's initial levels: sampled frequencies against the exact Dicke weights.
#include <cmath>
#include <map>
#include <numeric>

#include <gtest/gtest.h>

#include "darkcharge/physics/initial_state.hpp"

namespace darkcharge {
namespace {

TEST(InitialState, MixtureIsNormalisedAndHasTheThermalEnergy) {
  Model model;
  model.n_battery = 9;
  model.nbar = 0.8;
  const auto levels = initial_mixture(model);
  double total = 0, mean_m = 0;
  for (const auto& l : levels) {
    total += l.probability;
    mean_m += l.probability * l.state.m_battery;
  }
  EXPECT_NEAR(total, 1.0, 1e-12);
  // Independent spins: <J_B^z> = N_B (p_up - 1/2).
  EXPECT_NEAR(mean_m, 9 * (model.thermal_up_probability() - 0.5), 1e-12);
}

TEST(InitialState, GroundAndZeroTemperatureThermalCoincide) {
  Model model;
  model.n_battery = 4;
  Rng rng = trajectory_rng(1, 0);
  const InitialState s = sample_initial_state(model, rng);
  EXPECT_EQ(s.j_battery, 2.0);
  EXPECT_EQ(s.m_battery, -2.0);
}

// Pearson chi-square over the 9 levels of N_B = 4 (8 degrees of freedom). The bound 42.7 is
// the chi-square(8) quantile at a false-failure rate of 1e-6 (scipy.stats.chi2.isf).
TEST(InitialState, SampledLevelsFollowDickeWeights) {
  Model model;
  model.n_battery = 4;
  model.nbar = 0.7;
  const long n = 200000;
  std::map<std::pair<double, double>, long> counts;
  for (long k = 0; k < n; ++k) {
    Rng rng = trajectory_rng(2024, k);
    const InitialState s = sample_initial_state(model, rng);
    ++counts[{s.j_battery, s.m_battery}];
  }
  double chi2 = 0;
  const auto levels = initial_mixture(model);
  ASSERT_EQ(levels.size(), 9u);
  for (const auto& l : levels) {
    const double expected = n * l.probability;
    const double observed = counts[{l.state.j_battery, l.state.m_battery}];
    chi2 += (observed - expected) * (observed - expected) / expected;
  }
  EXPECT_LT(chi2, 42.7);
}

}  // namespace
}  // namespace darkcharge
