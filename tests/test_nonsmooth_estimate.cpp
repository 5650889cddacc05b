// The root-n corrected estimator (nonsmooth_estimate.hpp), the physical lower bound
// (bounded_estimate.hpp) and the rare-event floor (rare_event_floor.hpp) on problems whose
// answers are known in closed form.
#include <cmath>
#include <cstdio>
#include <random>

#include <gtest/gtest.h>

#include "darkcharge/estimate/bounded_estimate.hpp"
#include "darkcharge/core/errors.hpp"
#include "darkcharge/estimate/nonsmooth_estimate.hpp"
#include "darkcharge/estimate/rare_event_floor.hpp"

namespace darkcharge {
namespace {

constexpr int kBlocks = 32;
constexpr int kZeros = 20;  // zero eigenvalues of the "state"

/// Trace norm of a diagonal matrix whose kZeros eigenvalues are exactly 0, estimated from
/// noisy block means: f = sum_k |mean_k|, the mechanism that biases S_B upward (the noise
/// of every zero eigenvalue adds, never cancels).
struct ZeroEigenvalues {
  std::vector<std::vector<double>> block_means;  // [block][k], each block of equal size
  double operator()(const std::vector<bool>& included) const {
    double norm = 0;
    for (int k = 0; k < kZeros; ++k) {
      double sum = 0;
      int count = 0;
      for (int b = 0; b < kBlocks; ++b)
        if (included[b]) sum += block_means[b][k], ++count;
      norm += std::fabs(sum / count);
    }
    return norm;
  }
};

ZeroEigenvalues draw(std::mt19937_64& rng) {
  std::normal_distribution<double> noise(0.0, 1.0);  // block-mean noise
  ZeroEigenvalues z;
  z.block_means.assign(kBlocks, std::vector<double>(kZeros));
  for (auto& block : z.block_means)
    for (double& x : block) x = noise(rng);
  return z;
}

// 400 independent data sets. The plug-in sum_k |mean_k| has expectation kZeros sqrt(2/pi)
// sigma with sigma = 1/sqrt(32) (3.5 here, 26x its own spread); the corrected estimate's
// expectation is 0 exactly for Gaussian noise. Tolerance: 5 standard errors of the mean over
// the 400 sets (two-sided normal tail 6e-7), fixed seed.
TEST(RootNCorrected, RemovesTheBiasOfZeroEigenvalues) {
  std::mt19937_64 rng(20261121);
  const std::vector<long> sizes(kBlocks, 100);
  const int sets = 400;
  double sum = 0, sum2 = 0, plug_in = 0;
  int covered = 0;
  for (int s = 0; s < sets; ++s) {
    const ZeroEigenvalues z = draw(rng);
    const RootNEstimate e = root_n_corrected(sizes, z);
    sum += e.value, sum2 += e.value * e.value, plug_in += e.plug_in;
    covered += std::fabs(e.value) <= 2 * e.error;
  }
  const double mean = sum / sets, sd = std::sqrt(sum2 / sets - mean * mean);
  const double expected_plug_in = kZeros * std::sqrt(2 / M_PI) / std::sqrt(double(kBlocks));
  std::printf("plug-in %.3f (expected %.3f), corrected %.4f +- %.4f, coverage %.3f\n",
              plug_in / sets, expected_plug_in, mean, sd / std::sqrt(sets), double(covered) / sets);
  EXPECT_NEAR(plug_in / sets, expected_plug_in, 0.05 * expected_plug_in);  // the bias is there
  EXPECT_NEAR(mean, 0.0, 5 * sd / std::sqrt(sets));
  // Honest errors cover at ~0.95; binomial sd over 400 sets is 0.011, bound 5 sd below.
  EXPECT_GE(double(covered) / sets, 0.95 - 5 * 0.011);
}

// Where f is smooth the correction is second order: f = mean^2 of one component with mean
// mu = 3 (plug-in bias sigma^2 = 1/32, tiny next to the spread 2 mu sigma = 1.06). The
// corrected value must agree with the plug-in to O(1/n) in each data set.
TEST(RootNCorrected, LeavesSmoothFunctionsAlone) {
  std::mt19937_64 rng(7);
  std::normal_distribution<double> noise(3.0, 1.0);
  std::vector<double> block_mean(kBlocks);
  for (double& x : block_mean) x = noise(rng);
  const SubsetValue square = [&](const std::vector<bool>& included) {
    double sum = 0;
    int count = 0;
    for (int b = 0; b < kBlocks; ++b)
      if (included[b]) sum += block_mean[b], ++count;
    return (sum / count) * (sum / count);
  };
  const RootNEstimate e = root_n_corrected(std::vector<long>(kBlocks, 10), square);
  EXPECT_LT(std::fabs(e.value - e.plug_in), 0.2 * e.error);
  EXPECT_NEAR(e.error, 2 * 3.0 / std::sqrt(double(kBlocks)), 0.5);  // delta method, +-50%
}

// A smooth convex function with a pure 1/n bias: f = (mean of the block means)^2, block means
// N(0, 1), so E f(m blocks) = 1/m exactly and the n^-1/2 term is absent. The plug-in is 1/32
// high; a correction of the n^-1/2 term alone would turn that into -(sqrt 2)/32 (the
// first-order weights 1 + k, -k with k = 2.414 give (1 + k) / 32 - 2 k / 32); cancelling
// the 1/n term as well leaves expectation 0 exactly. 2000 independent data sets, tolerance
// 5 standard errors of their mean (two-sided normal tail 6e-7), fixed seed.
TEST(RootNCorrected, SecondOrderRemovesTheOneOverNBiasOfASmoothFunction) {
  std::mt19937_64 rng(20261205);
  std::normal_distribution<double> noise(0.0, 1.0);
  const int sets = 2000;
  double sum = 0, sum2 = 0, plug_in = 0;
  for (int s = 0; s < sets; ++s) {
    std::vector<double> block_mean(kBlocks);
    for (double& x : block_mean) x = noise(rng);
    const SubsetValue square = [&](const std::vector<bool>& included) {
      double total = 0;
      int count = 0;
      for (int b = 0; b < kBlocks; ++b)
        if (included[b]) total += block_mean[b], ++count;
      return (total / count) * (total / count);
    };
    const RootNEstimate e = root_n_corrected(std::vector<long>(kBlocks, 10), square, 2, 2);
    sum += e.value, sum2 += e.value * e.value, plug_in += e.plug_in;
  }
  const double mean = sum / sets, se = std::sqrt((sum2 / sets - mean * mean) / sets);
  std::printf("plug-in %.5f (expected %.5f), corrected %.5f +- %.5f (first order alone: %.5f)\n",
              plug_in / sets, 1.0 / kBlocks, mean, se, -std::sqrt(2.0) / kBlocks);
  EXPECT_NEAR(plug_in / sets, 1.0 / kBlocks, 5 * std::sqrt(2.0) / kBlocks / std::sqrt(double(sets)));
  EXPECT_NEAR(mean, 0.0, 5 * se);
}

// Fewer blocks than the extrapolation needs: the first-order estimate f + k (f - M) with
// k = 1/(sqrt 2 - 1), M the mean of f on the two halves, averaged over the two half-splits
// (block index bits 0 and 1, equal halves here). f = abs of the mean block value.
TEST(RootNCorrected, SecondOrderWithFewBlocksFallsBackToTheFirstOrderCorrection) {
  const std::vector<double> x = {0.3, -1.2, 2.0, 0.7};
  const int blocks = static_cast<int>(x.size());
  auto f_of = [&](const std::vector<bool>& included) {
    double total = 0;
    int count = 0;
    for (int b = 0; b < blocks; ++b)
      if (included[b]) total += x[b], ++count;
    return std::fabs(total / count);
  };
  const RootNEstimate e = root_n_corrected(std::vector<long>(blocks, 5), f_of, 2, 2);
  const double k = 1 / (std::sqrt(2.0) - 1), full = f_of(std::vector<bool>(blocks, true));
  double correction = 0;
  for (int bit = 0; bit < 2; ++bit) {
    std::vector<bool> side0(blocks), side1(blocks);
    for (int b = 0; b < blocks; ++b) (((b >> bit) & 1) ? side1 : side0)[b] = true;
    correction += k * (full - (f_of(side0) + f_of(side1)) / 2);
  }
  EXPECT_NEAR(e.value, full + correction / 2, 1e-14);
}

TEST(RootNCorrected, ValidatesItsArguments) {
  const SubsetValue one = [](const std::vector<bool>&) { return 1.0; };
  EXPECT_THROW(root_n_corrected({}, one), InvalidArgument);
  EXPECT_THROW(root_n_corrected({1, 1}, one, 2, 3), InvalidArgument);  // order 1 or 2
  EXPECT_TRUE(std::isnan(root_n_corrected({1}, one).error));  // one trajectory: no error
  EXPECT_THROW(root_n_corrected({10, 10}, one, 0), InvalidArgument);
  const RootNEstimate two = root_n_corrected({10, 10}, one);  // one partition, no spread
  EXPECT_EQ(two.value, 1.0);
  EXPECT_EQ(two.error, 0.0);
}

TEST(BoundedEstimate, ClampsAtTheBoundaryKeepsTheErrorAndSaysSo) {
  Column c{"W_B", {-0.02, 0.5, std::nan("")}, {0.006, 0.01, 0.1}, "jackknife", ""};
  enforce_lower_bound(c);
  EXPECT_EQ(c.value[0], 0.0);
  EXPECT_EQ(c.error[0], 0.006);
  EXPECT_EQ(c.value[1], 0.5);
  EXPECT_TRUE(std::isnan(c.value[2]));
  EXPECT_NE(c.note.find("one-sided"), std::string::npos);
  Column fine{"S_B", {0.1}, {0.01}, "jackknife", ""};
  enforce_lower_bound(fine);
  EXPECT_TRUE(fine.note.empty());
}

// A run in which every trajectory agreed reports error 0; the floor replaces it by the
// rule-of-three bound 1.5 range / n (range 1 for a population, n = 20000: 7.5e-5).
TEST(RareEventFloor, ReplacesAZeroErrorByTheRuleOfThreeBound) {
  Column dark{"dark", {0.0, 0.3}, {0.0, 0.01}, "standard-error", ""};
  apply_rare_event_floor(dark, 1.0, 20000);
  EXPECT_DOUBLE_EQ(dark.error[0], 7.5e-5);
  EXPECT_EQ(dark.error[1], 0.01);  // the standard error is larger: unchanged
  EXPECT_NE(dark.note.find("3/n"), std::string::npos);
  // P_B range for N_B = 2, N_C = 10, nbar = 0, gamma = 1: 2 x 2 (6 + 1/2)(1 + 1/2) / 2.
  Model m;
  m.n_battery = 2;
  m.n_charger = 10;
  m.nbar = 0;
  EXPECT_DOUBLE_EQ(power_range(m), 2 * 2 * 6.5 * 1.5 / 2);
}

}  // namespace
}  // namespace darkcharge
