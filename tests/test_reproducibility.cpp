// Trajectory k depends only on (seed, k): thread count must not change a single bit.
#include <cmath>
#include <cstring>

#include <gtest/gtest.h>

#include "darkcharge/ensemble/ensemble.hpp"
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

// At nbar = 0 a unit observes each (output time, M) state once and then only counts
// trajectories, records (W_B, S_B, sectors, P(n, t)) included (ensemble_runner.cpp). A jump
// record cannot be counted, so asking for one puts the same run on the trajectory-by-
// trajectory path; a one-byte memory budget makes the counting path add and forget its
// states after every trajectory. Same random streams: all three agree to rounding.
EnsembleResult run_counting(long record_trajectories, double counting_memory_bytes) {
  const Model model = testing::make_model(3, 9, 0.0, BatteryInit::ground);
  EnsembleOptions options;
  options.sampling = Sampling::trajectories;  // the engine under test
  options.trajectories = 5000;
  options.sector_populations = true;
  options.count_times = {0.3, 1.5};
  options.record_trajectories = record_trajectories;
  options.counting_memory_bytes = counting_memory_bytes;
  return run_ensemble(model, TimeGrid{1.5, 31}, options);
}

void expect_same_to_rounding(const TimeSeries& a, const TimeSeries& b) {
  ASSERT_EQ(a.columns.size(), b.columns.size());
  for (std::size_t c = 0; c < a.columns.size(); ++c) {
    const Column &x = a.columns[c], &y = b.columns[c];
    ASSERT_EQ(x.name, y.name);
    for (std::size_t g = 0; g < x.value.size(); ++g) {
      EXPECT_NEAR(x.value[g], y.value[g], 1e-12 * (1 + std::fabs(y.value[g]))) << x.name << " " << g;
      EXPECT_NEAR(x.error[g], y.error[g], 1e-9 * std::fabs(y.error[g]) + 1e-14) << x.name << " " << g;
    }
  }
}

TEST(Reproducibility, CountingFastPathMatchesTheGeneralPath) {
  const EnsembleResult counted = run_counting(0, 64e6), general = run_counting(1, 64e6),
                       forgetful = run_counting(0, 1);
  ASSERT_FALSE(general.jumps.empty());
  for (const EnsembleResult* r : {&general, &forgetful}) {
    expect_same_to_rounding(counted.series, r->series);
    expect_same_to_rounding(counted.sectors, r->sectors);
    ASSERT_EQ(counted.emission_counts.size(), r->emission_counts.size());
    for (std::size_t i = 0; i < counted.emission_counts.size(); ++i) {  // integer counts
      EXPECT_EQ(counted.emission_counts[i].emitted, r->emission_counts[i].emitted);
      EXPECT_EQ(counted.emission_counts[i].probability.value,
                r->emission_counts[i].probability.value);
    }
  }
  for (const char* name : {"W_B", "W_B_sym", "S_B"})  // the records took part
    EXPECT_GT(counted.series.column(name).value.back(), 0.01) << name;
  // The counting path did run: it adds each (t, M) state of the first trajectory that met
  // it, n times, so its last digits differ from the trajectory-by-trajectory sums (had it
  // been switched off, every digit would agree).
  bool digits_differ = false;
  for (std::size_t c = 0; c < counted.series.columns.size(); ++c)
    digits_differ = digits_differ ||
                    !same_bits(counted.series.columns[c].value, general.series.columns[c].value);
  EXPECT_TRUE(digits_differ) << "the counting path did not run";
}

}  // namespace
}  // namespace darkcharge
