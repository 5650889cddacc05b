// Trajectory k depends only on (seed, k): thread count must not change a single bit.
#include <cstring>

#include <gtest/gtest.h>

#include "darkcharge/ensemble.hpp"
#include "test_models.hpp"

namespace darkcharge {
namespace {

TimeSeries run(int threads, std::uint64_t seed) {
  const Model model = testing::make_model(3, 7, 0.4, BatteryInit::thermal);
  EnsembleOptions options;
  options.sampling = Sampling::trajectories;  // the engine under test
  options.trajectories = 3001;  // not a multiple of the block count
  options.seed = seed;
  options.threads = threads;
  return simulate(model, TimeGrid{1.0, 21}, options);
}

/// Bit-for-bit equality (NaN columns such as W_B_sym of a thermal battery included).
bool same_bits(const std::vector<double>& a, const std::vector<double>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0;
}

TEST(Reproducibility, OneAndTwoThreadsGiveIdenticalNumbers) {
  const TimeSeries one = run(1, 7), two = run(2, 7), three = run(3, 7);
  ASSERT_EQ(one.columns.size(), two.columns.size());
  for (std::size_t c = 0; c < one.columns.size(); ++c) {
    EXPECT_TRUE(same_bits(one.columns[c].value, two.columns[c].value)) << one.columns[c].name;
    EXPECT_TRUE(same_bits(one.columns[c].error, two.columns[c].error)) << one.columns[c].name;
    EXPECT_TRUE(same_bits(one.columns[c].value, three.columns[c].value)) << one.columns[c].name;
  }
}

TEST(Reproducibility, DifferentSeedsGiveDifferentSamples) {
  EXPECT_NE(run(2, 7).column("E_B").value, run(2, 8).column("E_B").value);
}

}  // namespace
}  // namespace darkcharge

namespace darkcharge {
namespace {

// At nbar = 0 the linear-only run observes each (output time, M) state once per block and
// then only counts trajectories (ensemble.cpp); with W_B requested it evaluates every
// trajectory. Same random streams, so the two must agree to rounding.
TEST(Reproducibility, CountingFastPathMatchesTheGeneralPath) {
  const Model model = testing::make_model(3, 9, 0.0, BatteryInit::ground);
  EnsembleOptions counting, general;
  counting.sampling = Sampling::trajectories;  // the engine under test
  general.sampling = Sampling::trajectories;  // the engine under test
  counting.trajectories = general.trajectories = 5000;
  counting.ergotropy = counting.entanglement = false;
  general.entanglement = false;  // W_B needs every trajectory's state: general path
  const TimeSeries a = simulate(model, TimeGrid{1.5, 31}, counting);
  const TimeSeries b = simulate(model, TimeGrid{1.5, 31}, general);
  for (const char* name : {"E_B", "E_C", "P_B", "dark"})
    for (std::size_t g = 0; g < a.time.size(); ++g) {
      EXPECT_NEAR(a.column(name).value[g], b.column(name).value[g], 1e-12) << name << " " << g;
      EXPECT_NEAR(a.column(name).error[g], b.column(name).error[g],
                  1e-9 * b.column(name).error[g] + 1e-15) << name << " " << g;
    }
}

}  // namespace
}  // namespace darkcharge
