// Coefficients of single-spin noise in the reduced Dicke basis (physics.md, "Local
// (single-spin) noise"): the completeness identities sum_D w_D B_D^dag B_D = N/2 + J_z,
// N/2 - J_z, N (trace preservation), and the validation of the rates.
#include <cmath>
#include <string>

#include <gtest/gtest.h>

#include "darkcharge/core/errors.hpp"
#include "darkcharge/physics/local_noise.hpp"

namespace darkcharge {
namespace {

TEST(LocalNoise, CompletenessHoldsToRoundoffUpToTenThousandSpins) {
  double worst = 0;
  for (int n : {1, 2, 3, 4, 7, 10, 51, 100, 999, 1000, 9999, 10000}) {
    // Sampled sectors j (all for small N) and levels m, including both ends.
    const int j_steps = std::min(n / 2 + 1, 40);
    for (int a = 0; a < j_steps; ++a) {
      const double j = 0.5 * n - std::round(a * (n / 2) / std::max(1.0, j_steps - 1.0));
      if (j < 0) continue;
      const int m_steps = std::min(int(2 * j) + 1, 41);
      for (int b = 0; b < m_steps; ++b) {
        const double m = -j + std::round(b * (2 * j) / std::max(1.0, m_steps - 1.0));
        for (LocalChannel channel : kLocalChannels) {
          const double sum = local_completeness_sum(channel, n, j, m);
          const double target = local_completeness_target(channel, n, m);
          const double error = std::fabs(sum - target) / std::max(1.0, target);
          worst = std::max(worst, error);
          ASSERT_LE(error, 1e-13) << "N = " << n << ", j = " << j << ", m = " << m
                                  << ", channel " << int(channel) << ": " << sum << " vs " << target;
        }
      }
    }
  }
  std::printf("completeness: max relative deviation %.3g\n", worst);
}

TEST(LocalNoise, WeightsVanishOutsideTheSectors) {
  EXPECT_EQ(local_weight(4, 0.0, 0), 0.0);   // w_0(0) = 0
  EXPECT_EQ(local_weight(4, 0.5, -1), 0.0);  // w_- = 0 for j < 1
  EXPECT_EQ(local_weight(4, 2.0, +1), 0.0);  // w_+(N/2) = 0
  // Single spin: w_0(1/2) = (1/2 + 1)/(2 * 1/2 * 3/2) = 1, so s^- on |1/2, 1/2> has amplitude 1.
  EXPECT_DOUBLE_EQ(local_weight(1, 0.5, 0), 1.0);
  EXPECT_DOUBLE_EQ(local_amplitude(LocalChannel::decay, 0, 0.5, 0.5), 1.0);
  EXPECT_EQ(local_amplitude(LocalChannel::decay, 0, 0.5, -0.5), 0.0);
  EXPECT_EQ(local_amplitude(LocalChannel::decay, -1, 1.0, -1.0), 0.0);  // |0, -2> does not exist
}

TEST(LocalNoise, ValidationNamesTheRateAndItsValue) {
  LocalNoise noise;
  EXPECT_NO_THROW(validate(noise));
  EXPECT_FALSE(noise.any());
  noise.battery.dephasing = -0.5;
  try {
    validate(noise);
    FAIL() << "negative rate accepted";
  } catch (const InvalidArgument& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("battery dephasing"), std::string::npos) << what;
    EXPECT_NE(what.find("-0.5"), std::string::npos) << what;
  }
  noise.battery.dephasing = 0;
  noise.charger.decay = std::nan("");
  EXPECT_THROW(validate(noise), InvalidArgument);
  noise.charger.decay = INFINITY;
  EXPECT_THROW(validate(noise), InvalidArgument);
  noise.charger.decay = 0.1;
  EXPECT_NO_THROW(validate(noise));
  EXPECT_TRUE(noise.any());
}

}  // namespace
}  // namespace darkcharge
