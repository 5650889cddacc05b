// The rare-event floor judged from the sample (rare_event_floor.hpp): a sample with no spread
// keeps the theoretical floor 1.5 range / n; any other gets the larger of the floor of the
// range it spans and twice the pull of its farthest trajectory, capped by the theoretical
// floor -- below the standard error of a self-averaging or a skewed but well-sampled sample. Every sample here is built from fixed numbers or a fixed-seed
// mt19937_64 (whose output the standard fixes), so the tests are deterministic.
#include <cmath>
#include <limits>
#include <cstring>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "darkcharge/core/byte_stream.hpp"
#include "darkcharge/core/errors.hpp"
#include "darkcharge/estimate/block_statistics.hpp"
#include "darkcharge/estimate/rare_event_floor.hpp"

namespace darkcharge {
namespace {

/// Standard normal values from mt19937_64 by Box-Muller (the same on every platform, unlike
/// std::normal_distribution).
std::vector<double> gaussian(std::size_t n, double mean, double sd, unsigned seed) {
  std::mt19937_64 rng(seed);
  const double to_unit = 1.0 / 18446744073709551616.0;  // 2^-64
  std::vector<double> x;
  while (x.size() < n) {
    const double u1 = (double(rng()) + 0.5) * to_unit, u2 = double(rng()) * to_unit;
    x.push_back(mean + sd * std::sqrt(-2 * std::log(u1)) * std::cos(2 * M_PI * u2));
  }
  return x;
}

SampleTail tail_of(const std::vector<double>& x) {
  SampleTail t;
  t.n = long(x.size());
  t.lowest = t.highest = x[0];
  for (double v : x) {
    t.mean += v / double(t.n);
    t.lowest = std::fmin(t.lowest, v);
    t.highest = std::fmax(t.highest, v);
  }
  for (double v : x) t.squares += (v - t.mean) * (v - t.mean);
  return t;
}

double standard_error(const SampleTail& t) {
  return std::sqrt(t.squares / double(t.n - 1) / double(t.n));
}

// 2000 trajectories spread like a Gaussian of sd 0.05 (an energy per spin at nbar > 0, large
// N): the farthest holds ~ z_max^2 / n ~ 16 / 2000 of the spread, and the observed-range floor
// 1.5 (~7.5 sd) / n is ~ 0.25 of the standard error sd / sqrt(n): the error is the standard
// error, where the theoretical floor 1.5 / n = 7.5e-4 was 0.7 times it.
TEST(SampleRareEventFloor, SelfAveragingSampleKeepsItsStandardError) {
  const SampleTail t = tail_of(gaussian(2000, 0.5, 0.05, 11));
  EXPECT_LT(largest_deviation_share(t), 0.05);
  const double se = standard_error(t);
  const double floor = sample_rare_event_floor(t, 1.0);
  EXPECT_DOUBLE_EQ(floor, 1.5 * (t.highest - t.lowest) / 2000);
  EXPECT_LT(floor, 0.5 * se);
  Column c{"E_C", {t.mean}, {se}, "standard-error", ""};
  apply_sample_rare_event_floor(c, {t}, 1.0);
  EXPECT_EQ(c.error[0], se);
  EXPECT_TRUE(c.note.empty());
}

// 1999 trajectories near 0 and one at 1 (a late P_B or dark tail): that one holds nearly all
// of the spread; twice its pull, 2 x 1/1999, reaches the theoretical 1.5 x 1 / 2000 = 7.5e-4,
// which caps it, above the standard error ~ 1/2000.
TEST(SampleRareEventFloor, OneRareLargeValueGetsTheTheoreticalFloor) {
  std::vector<double> x = gaussian(1999, 0.0, 1e-4, 12);
  x.push_back(1.0);
  const SampleTail t = tail_of(x);
  EXPECT_GT(largest_deviation_share(t), 0.99);
  EXPECT_DOUBLE_EQ(sample_rare_event_floor(t, 1.0), 7.5e-4);
  Column c{"dark", {t.mean}, {standard_error(t)}, "standard-error", ""};
  EXPECT_LT(c.error[0], 7.5e-4);
  apply_sample_rare_event_floor(c, {t}, 1.0);
  EXPECT_DOUBLE_EQ(c.error[0], 7.5e-4);
  EXPECT_NE(c.note.find("range of one trajectory's value 1"), std::string::npos) << c.note;
  // Five rare trajectories (share ~ 1/5 each): the same cap.
  for (int i = 0; i < 4; ++i) x[i] = 1.0;
  EXPECT_DOUBLE_EQ(sample_rare_event_floor(tail_of(x), 1.0), 7.5e-4);
  // The same five at 0.1 within a theoretical range of 1: twice the pull, 2 x 0.1 / 1999.
  for (int i = 0; i < 4; ++i) x[i] = 0.1;
  x.back() = 0.1;
  const SampleTail five = tail_of(x);
  EXPECT_DOUBLE_EQ(sample_rare_event_floor(five, 1.0), 2 * farthest_pull(five));
  EXPECT_NEAR(farthest_pull(five), 0.1 / 1999, 1e-6);
}

/// Log-normal values exp(sigma z): skewed, a heavy upper tail (a P_B or I_em at nbar > 0
/// after the burst has this shape: most trajectories near the mean, a few far above).
std::vector<double> log_normal(std::size_t n, double sigma, unsigned seed) {
  std::vector<double> x = gaussian(n, 0.0, sigma, seed);
  for (double& v : x) v = std::exp(v);
  return x;
}

// 2000 log-normal values (sigma = 1) inside a theoretical range of 1000 (the loose bound on
// one trajectory's P_B): the farthest holds more than 1/20 of the squared spread (~ 0.1 for
// this shape), where a rule switching on that share fell back to the theoretical floor
// 1.5 x 1000 / 2000 = 0.75, ~15 times the standard error ~ sqrt((e - 1) e / 2000) = 0.048.
// Read from the sample, the floor is the larger of 1.5 (range seen) / n and twice the
// farthest pull (~ 2 x 33 / 2000), below the standard error: the error stays the standard
// error.
TEST(SampleRareEventFloor, SkewedWellSampledSampleKeepsItsStandardError) {
  const SampleTail t = tail_of(log_normal(2000, 1.0, 21));
  EXPECT_GT(largest_deviation_share(t), 0.05);
  const double se = standard_error(t);
  EXPECT_NEAR(se, 0.048, 0.015);
  const double floor = sample_rare_event_floor(t, 1000.0);
  EXPECT_DOUBLE_EQ(floor, std::fmax(1.5 * (t.highest - t.lowest) / 2000, 2 * farthest_pull(t)));
  EXPECT_LT(floor, se);
  Column c{"P_B", {t.mean}, {se}, "standard-error", ""};
  apply_sample_rare_event_floor(c, {t}, 1000.0);
  EXPECT_EQ(c.error[0], se);
  EXPECT_TRUE(c.note.empty()) << c.note;
}

// Every trajectory the same (t = 0, or every one dark): nothing to judge the tail by, the
// theoretical floor; for an unbounded value, none (the range seen is 0).
TEST(SampleRareEventFloor, NoSpreadGetsTheTheoreticalFloor) {
  const SampleTail t = tail_of(std::vector<double>(500, 0.25));
  EXPECT_EQ(largest_deviation_share(t), 1.0);
  EXPECT_DOUBLE_EQ(sample_rare_event_floor(t, 2.0), 1.5 * 2.0 / 500);
  EXPECT_EQ(sample_rare_event_floor(t, std::numeric_limits<double>::infinity()), 0.0);
}

// A rare class seen 100 times in 2000 (p = 0.05; share (1-p)^2 / (n p (1-p)) = 0.0095): its
// floor is capped by the theoretical range 0.5 given here.
TEST(SampleRareEventFloor, ResolvedFloorIsCappedByTheTheoreticalOne) {
  std::vector<double> x(2000, 0.0);
  for (int i = 0; i < 100; ++i) x[i * 20] = 1.0;
  const SampleTail t = tail_of(x);
  EXPECT_NEAR(largest_deviation_share(t), 0.95 * 0.95 / (2000 * 0.05 * 0.95), 1e-12);
  EXPECT_DOUBLE_EQ(sample_rare_event_floor(t, 0.5), 1.5 * 0.5 / 2000);
  // Against range 4: twice the farthest pull, 2 x 0.95 / 1999, above 1.5 x 1 / 2000 and far
  // below the standard error sqrt(0.05 x 0.95 / 2000) = 4.9e-3.
  EXPECT_DOUBLE_EQ(sample_rare_event_floor(t, 4.0), 2 * 0.95 / 1999);
}

// sigma_B's floor: for self-averaging values (b = <J_B^z>/N_B with sd 0.02 around -0.2, each
// trajectory's own variance v with sd 0.001 around 0.01; N_B = 1 so the values are per spin)
// sigma^2 ~ 0.01 + 0.02^2 and U ~ v_max + (4 sd_b)^2 - sigma^2 ~ 0.007, so the floor
// ~ 1.5/n U / (2 sigma) ~ 3e-5 is far below the theoretical
// sqrt(s^2 + 1.25 p + p^2) - s ~ 4.5e-3; one rare trajectory in b raises it, below that cap.
TEST(SampleRareEventFloor, EnergySpreadFloorFromTheSample) {
  const std::vector<double> b = gaussian(2000, -0.2, 0.02, 13);
  const std::vector<double> v = gaussian(2000, 0.01, 0.001, 15);
  const SampleTail tv = tail_of(v), tb = tail_of(b);
  const double sigma = std::sqrt(tv.mean + tb.squares / 2000);
  const double theory = energy_spread_floor(sigma, 2000);
  const double sampled = energy_spread_floor(sigma, 2000, tv, tb, 1.0);
  EXPECT_GT(sampled, 0.0);
  EXPECT_LT(sampled, 0.02 * theory);
  std::vector<double> b_rare = b;
  b_rare[7] = 0.5;
  // One trajectory far out in b raises U (d_max = 0.7): a larger floor, still read from the
  // sample and below the theoretical one.
  const double rare = energy_spread_floor(sigma, 2000, tv, tail_of(b_rare), 1.0);
  EXPECT_GT(rare, 10 * sampled);
  EXPECT_LT(rare, theory);
  // Every trajectory with the same own variance: no spread to judge by, theoretical floor.
  EXPECT_EQ(energy_spread_floor(sigma, 2000, tail_of(std::vector<double>(2000, 0.01)), tb, 1.0),
            theory);
}

// The extremes a work unit carries are exact under merge: the same for any split of the
// trajectories into units, and kept through save/load; a file whose extremes do not bound
// its first value is refused.
TEST(SampleRareEventFloor, BlockExtremesAreExactUnderSplitsAndSerialisation) {
  const std::vector<double> x = gaussian(300, 1.0, 2.0, 14);
  BlockStatistics whole(1, 1), first(1, 1), second(1, 1);
  for (std::size_t k = 0; k < x.size(); ++k) {
    whole.add(0, 0, x[k]);
    (k < 123 ? first : second).add(0, 0, x[k]);
  }
  first.merge(second);
  const SampleTail t = tail_of(x);
  EXPECT_EQ(whole.lowest(0, 0), t.lowest);
  EXPECT_EQ(whole.highest(0, 0), t.highest);
  EXPECT_EQ(first.lowest(0, 0), t.lowest);
  EXPECT_EQ(first.highest(0, 0), t.highest);
  double lo = 0, hi = 0;
  BlockStatistics::extremes({BlockStatistics(1, 1), whole}, 0, 0, lo, hi);  // an empty block
  EXPECT_EQ(lo, t.lowest);
  EXPECT_EQ(hi, t.highest);

  ByteWriter out;
  whole.save(out);
  ByteReader in(out.bytes());
  const BlockStatistics back = BlockStatistics::load(in, 1, 1, 300);
  EXPECT_EQ(back.lowest(0, 0), t.lowest);
  EXPECT_EQ(back.highest(0, 0), t.highest);
  // The cell is (n, shift, s1, s2, lo, hi) after two int32 of shape: put lo above shift.
  std::string bad = out.bytes();
  const double above = x[0] + 1;
  std::memcpy(&bad[8 + sizeof(long) + 3 * sizeof(double)], &above, sizeof(double));
  ByteReader damaged(bad);
  EXPECT_THROW(BlockStatistics::load(damaged, 1, 1, 300), InvalidArgument);
}

}  // namespace
}  // namespace darkcharge
