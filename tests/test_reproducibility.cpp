// Trajectory k depends only on (seed, k): thread count must not change a single bit.
#include <cstring>

#include <gtest/gtest.h>

#include "darkcharge/ensemble.hpp"

namespace darkcharge {
namespace {

TimeSeries run(int threads, std::uint64_t seed) {
  Model model;
  model.n_battery = 3;
  model.n_charger = 7;
  model.nbar = 0.4;
  EnsembleOptions options;
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
