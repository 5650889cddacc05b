// Trajectory means against the exact solver, on cases the engine was not tuned on.
//
// Tolerance: |mean - exact| <= 6 standard errors. Two-sided normal tail at 6 sigma is 2e-9;
// with at most 500 comparisons per test the family-wise false-failure rate is <= 1e-6. Seeds
// are fixed, so the outcome is deterministic. On top, an absolute 1e-9 for the exact
// solver's own integration accuracy (tolerance 1e-10): where the exact value is 0 (e.g. the
// ergotropy of a passive state) both sides are roundoff, ~1e-15, with error bars ~1e-16.
//
// Time windows: at nbar = 0, after the charging burst, P_B is carried by rare trajectories
// that linger above the dark level (for N_B = 2, N_C = 10 at t = 1, a population of 5e-5 at
// M = -3 holds 10% of P_B). A sample of 2e4 trajectories rarely contains them, so the mean is
// unbiased but its sample standard error is not yet Gaussian there (see docs/statistics.md).
// The zero-temperature cases are therefore compared over the charging window.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>
#include <string>

#include <gtest/gtest.h>

#include "darkcharge/exact/coupled_exact_solver.hpp"
#include "darkcharge/ensemble/ensemble.hpp"
#include "darkcharge/estimate/curve_features.hpp"
#include "darkcharge/exact/exact_solver.hpp"
#include "observables/negativity_estimate.hpp"
#include "test_models.hpp"

namespace darkcharge {
namespace {

constexpr double kSigmas = 6.0;
constexpr double kSolverAccuracy = 1e-9;
constexpr int kMaxComparisons = 500;  // 5 cases x 9 columns x 11 times = 495

struct Case {
  int nb, nc;
  double nbar;
  BatteryInit init;
  double t_max;
};

/// The standard error to test against: the sample's, except for `dark` in its rare-event
/// regime. A trajectory's dark population lies in [0, 1], so its variance is at most
/// mu (1 - mu) for exact mean mu (Bhatia-Davis). Where fewer than one of the n trajectories
/// is expected to have reached a dark state (n mu < 1, e.g. mu = 2e-7 early in the burst at
/// 120 spins) the sample usually has none, its standard error is 0 and says nothing; the
/// bound sqrt(mu (1 - mu) / n) is used there instead.
double reference_error(const std::string& name, double sample_error, double exact, long n) {
  // The exact solver's round-off can leave a vanishing population slightly below 0
  // (-7e-23 at t = 0.01 for N_B = 10, N_C = 110): its binomial error is then 0.
  if (name == "dark" && n * exact < 1) return std::sqrt(std::max(0.0, exact) * (1 - exact) / n);
  return sample_error;
}

/// Largest |z| of trajectory means (n trajectories) against exact values over every column
/// and time; counts comparisons.
double worst_z(const TimeSeries& traj, const TimeSeries& exact, const TimeGrid& grid, long n,
               int& comparisons, const std::vector<std::string>& skip = {}) {
  double worst = 0;
  for (const auto& column : exact.columns) {
    if (std::find(skip.begin(), skip.end(), column.name) != skip.end()) continue;
    if (!traj.has(column.name)) continue;  // not requested of the trajectories
    const Column& mc = traj.column(column.name);
    for (int g = 0; g < grid.points; ++g) {
      if (std::isnan(column.value[g])) {  // W_B_sym of a thermal battery: undefined in both
        EXPECT_TRUE(std::isnan(mc.value[g])) << column.name;
        continue;
      }
      const double diff = std::fabs(mc.value[g] - column.value[g]);
      const double error = reference_error(column.name, mc.error[g], column.value[g], n);
      ++comparisons;
      if (diff > kSolverAccuracy) worst = std::max(worst, diff / error);
      EXPECT_LE(diff, kSigmas * error + kSolverAccuracy)
          << column.name << " t=" << grid.time(g) << " traj=" << mc.value[g]
          << " +- " << mc.error[g] << " exact=" << column.value[g];
    }
  }
  return worst;
}

Model to_model(const Case& c) { return testing::make_model(c.nb, c.nc, c.nbar, c.init); }

class TrajectoryVsExact : public ::testing::TestWithParam<Case> {};

TEST_P(TrajectoryVsExact, AgreeWithinStandardErrors) {
  const Case c = GetParam();
  EnsembleOptions options;
  options.sampling = Sampling::trajectories;  // the engine under test
  options.trajectories = 20000;
  options.seed = 12345;
  int comparisons = 0;
  const Model model = to_model(c);
  const TimeGrid grid{c.t_max, 11};
  const double worst =
      worst_z(simulate(model, grid, options), solve_exact(model, grid), grid,
              options.trajectories, comparisons);
  RecordProperty("worst_abs_z", std::to_string(worst));
  std::printf("worst |z| = %.2f over %d comparisons\n", worst, comparisons);
  EXPECT_LE(comparisons, kMaxComparisons);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, TrajectoryVsExact,
    ::testing::Values(Case{2, 10, 0.0, BatteryInit::ground, 0.5},    // the paper's Fig. 2a
                      Case{3, 6, 0.3, BatteryInit::ground, 1.0},     // warm, J^+ jumps too
                      Case{3, 5, 0.4, BatteryInit::thermal, 1.0},    // mixed start, N_B >= 3
                      Case{4, 2, 0.2, BatteryInit::thermal, 1.5},    // N_C < N_B
                      Case{1, 1, 1.0, BatteryInit::ground, 2.0}),    // paper appendix
    [](const auto& info) {
      const Case& c = info.param;
      return "nb" + std::to_string(c.nb) + "_nc" + std::to_string(c.nc) + "_" +
             (c.init == BatteryInit::ground ? "ground" : "thermal") + "_" +
             std::to_string(static_cast<int>(c.nbar * 10));
    });

// Beyond the product solver's reach (N = N_B + N_C = 120 and 150 spins): the coupled-basis
// solver gives the exact curves. Same 6-sigma criterion, every column except S_B and
// dS_B_dt: at these sizes the trajectory estimate of the log-negativity is biased upwards by
// 3-8 of its jackknife standard errors (sampling noise in the averaged state adds negative
// eigenvalues to rho^{T_B}; |x| has no derivative at 0, so the bias falls like 1/sqrt(n), as
// the error bar does, and the jackknife cannot remove it). DISABLED_NegativityAtLargeN below
// shows it. Fewer trajectories than above keep each case at a few seconds.
class TrajectoryVsCoupledExact : public ::testing::TestWithParam<Case> {};

double large_case_worst_z(const Case& c, const std::vector<std::string>& skip,
                          int& comparisons) {
  EnsembleOptions options;
  options.sampling = Sampling::trajectories;  // the engine under test
  options.trajectories = 4000;
  options.seed = 2024;
  const Model model = to_model(c);
  const TimeGrid grid{c.t_max, 11};
  const TimeSeries exact = solve_exact_coupled(model, grid);
  EXPECT_EQ(static_cast<int>(exact.columns.size()), 12);  // every column of `exact`
  return worst_z(simulate(model, grid, options), exact, grid, options.trajectories, comparisons,
                 skip);
}

TEST_P(TrajectoryVsCoupledExact, AgreeWithinStandardErrors) {
  int comparisons = 0;
  const double worst = large_case_worst_z(GetParam(), {"S_B", "dS_B_dt"}, comparisons);
  RecordProperty("worst_abs_z", std::to_string(worst));
  std::printf("worst |z| = %.2f over %d comparisons\n", worst, comparisons);
  EXPECT_LE(comparisons, kMaxComparisons);
}

// Known failure (S_B 0.358 +- 0.030 against exact 0.191 at t = 0.024, 5.7 sigma; N_B = 30,
// N_C = 150: 8 sigma). Enable once the S_B estimator handles this bias.
TEST(TrajectoryVsCoupledExactNegativity, DISABLED_NegativityAtLargeN) {
  int comparisons = 0;
  large_case_worst_z({30, 150, 0.0, BatteryInit::ground, 0.05}, {"E_B", "E_C", "P_B", "W_open",
                     "dark", "W_B", "W_B_sym"}, comparisons);
}

INSTANTIATE_TEST_SUITE_P(
    LargeCases, TrajectoryVsCoupledExact,
    ::testing::Values(Case{20, 100, 0.0, BatteryInit::ground, 0.08},   // 120 spins, the burst
                      Case{10, 140, 0.0, BatteryInit::ground, 0.06},   // 150 spins
                      Case{10, 110, 0.1, BatteryInit::ground, 0.05},   // 120 spins, warm
                      Case{6, 114, 0.2, BatteryInit::thermal, 0.5}),   // 120 spins, thermal
    [](const auto& info) {
      const Case& c = info.param;
      return "nb" + std::to_string(c.nb) + "_nc" + std::to_string(c.nc) + "_" +
             (c.init == BatteryInit::ground ? "ground" : "thermal") + "_" +
             std::to_string(static_cast<int>(c.nbar * 10));
    });

// Negative control: the comparison has power. Trajectories with a 20% smaller gamma must
// be rejected by the same 6-sigma criterion.
TEST(TrajectoryVsExactControl, DetectsAWrongRate) {
  Model exact_model = to_model({2, 10, 0.0, BatteryInit::ground, 1.0});
  Model wrong = exact_model;
  wrong.gamma = 0.8;
  EnsembleOptions options;
  options.sampling = Sampling::trajectories;  // the engine under test
  options.trajectories = 20000;
  const TimeSeries traj = simulate(wrong, TimeGrid{1.0, 11}, options);
  const TimeSeries exact = solve_exact(exact_model, TimeGrid{1.0, 11});
  const Column &m = traj.column("E_B"), &e = exact.column("E_B");
  double worst = 0;
  for (int g = 1; g < 11; ++g) worst = std::max(worst, std::fabs(m.value[g] - e.value[g]) / m.error[g]);
  EXPECT_GT(worst, kSigmas);
}

// Beyond the width where the trajectory S_B was validated (2 min(j_C, j_B) + 1 = 21), a value
// known to be biased upward is not printed: S_B and dS_B_dt are NaN, the reason in the note;
// the linear columns are unaffected. (At width 21 the value stays: N_B = 20 is the edge.)
TEST(TrajectoryEntanglement, WithdrawnBeyondTheValidatedWidth) {
  EnsembleOptions options;
  options.sampling = Sampling::trajectories;
  options.trajectories = 40;
  options.observables = {"E_B", "S_B", "dS_B_dt"};
  const TimeGrid grid{0.2, 5};
  const TimeSeries wide = run_ensemble(testing::make_model(22, 22, 0.1, BatteryInit::ground), grid, options).series;
  for (const char* name : {"S_B", "dS_B_dt"}) {
    const Column& c = wide.column(name);
    for (int g = 0; g < grid.points; ++g) {
      EXPECT_TRUE(std::isnan(c.value[g])) << name << " at " << g;
      EXPECT_TRUE(std::isnan(c.error[g])) << name << " at " << g;
    }
    EXPECT_NE(c.note.find("Withdrawn"), std::string::npos) << c.note;
  }
  EXPECT_TRUE(std::isfinite(wide.column("E_B").value.back()));
  // At the edge, with enough trajectories for the blocks they visit (40 visit more than
  // kMaxLevelsPerTrajectory = 2 product levels per trajectory there, 400 do not).
  options.trajectories = 400;
  const TimeSeries edge = run_ensemble(testing::make_model(20, 20, 0.1, BatteryInit::ground), grid, options).series;
  EXPECT_TRUE(std::isfinite(edge.column("S_B").value.back()));
}

// Where the trajectories visit more product levels of (j_B, M) blocks than 2 per trajectory,
// the averaged blocks are rank-deficient and S_B runs high: those times are NaN, value and
// error, with the reason in the note, and so is dS_B_dt wherever its stencil reaches one.
// N_B = 6, N_C = 60, nbar = 0.1 through the burst: 40 trajectories leave 7 of 16 times
// undersampled (t = 0.02-0.08), 2000 none (bench/sb_coverage_nbar.py burst6: coverage there).
TEST(TrajectoryEntanglement, NotEstimatedWhereTheSampleCoversTheVisitedBlocksTooThinly) {
  EnsembleOptions options;
  options.sampling = Sampling::trajectories;
  options.observables = {"E_B", "S_B", "dS_B_dt"};
  const TimeGrid grid{0.15, 16};
  const Model model = testing::make_model(6, 60, 0.1, BatteryInit::thermal);
  options.trajectories = 40;
  const TimeSeries thin = run_ensemble(model, grid, options).series;
  const Column &sb = thin.column("S_B"), &rate = thin.column("dS_B_dt");
  int missing = 0;
  for (int g = 0; g < grid.points; ++g) {
    EXPECT_EQ(std::isnan(sb.value[g]), std::isnan(sb.error[g])) << "t = " << grid.time(g);
    if (!std::isnan(sb.value[g])) continue;
    ++missing;
    for (int k = std::max(0, g - 1); k <= std::min(grid.points - 1, g + 1); ++k)
      EXPECT_TRUE(std::isnan(rate.value[k])) << "dS_B_dt next to an undersampled time " << grid.time(g);
  }
  EXPECT_GE(missing, 1);
  EXPECT_LT(missing, grid.points);  // t = 0 (one block per initial state) is estimated
  EXPECT_TRUE(std::isfinite(sb.value[0]));
  for (const Column* c : {&sb, &rate})
    EXPECT_NE(c->note.find("Not estimated (nan) at " + std::to_string(missing) + " of 16 times"),
              std::string::npos) << c->note;
  for (double v : thin.column("E_B").value) EXPECT_TRUE(std::isfinite(v));  // linear columns unaffected
  options.trajectories = 2000;
  const TimeSeries enough = run_ensemble(model, grid, options).series;
  for (int g = 0; g < grid.points; ++g) EXPECT_TRUE(std::isfinite(enough.column("S_B").value[g])) << g;
  EXPECT_EQ(enough.column("S_B").note.find("Not estimated"), std::string::npos);
}

// The edges of an undersampled stretch are not estimated either while their blocks still hold
// more than kEdgeLevelsPerTrajectory = 1 level per trajectory. The levels are those measured
// in one N_B = 20, N_C = 200, nbar = 0.1 run (2000 trajectories, t = 0..0.04 in steps of
// 0.005): the stretch t = 0.01-0.025 (> 2) grows to t = 0.005 (1.35) and t = 0.03 (1.15),
// where S_B ran +0.54 errors high on average over 40 seeds; t = 0.035 (0.57) stays. The
// N_B = 10, N_C = 100 run (up to 1.31, no time above 2) keeps every time.
TEST(TrajectoryEntanglement, EdgesOfAnUndersampledStretchAreNotEstimated) {
  const std::vector<double> n20{0.141, 1.354, 3.91, 6.078, 4.63, 2.40, 1.15, 0.57, 0.367};
  const std::vector<bool> expected{false, true, true, true, true, true, true, false, false};
  EXPECT_EQ(undersampled_times(n20), expected);
  const std::vector<double> n10{0.041, 0.473, 1.081, 1.307, 0.933, 0.492, 0.235};
  EXPECT_EQ(undersampled_times(n10), std::vector<bool>(n10.size(), false));
  // The edge grows through consecutive times above 1 only, on both sides.
  EXPECT_EQ(undersampled_times({1.5, 1.2, 2.5, 0.9, 1.5}),
            (std::vector<bool>{true, true, true, false, false}));
}

// dS_B_dt is the derivative of the S_B that is printed (clamped at 0), not of the unclamped
// estimate: a thermal battery at T = 2 charged by its thermal reservoir stays unentangled
// (the exact S_B is 0 throughout, below 1e-10 from the coupled solver), so most of the
// unclamped root-n estimates sit below 0 and their derivative would be a spurious rate.
TEST(TrajectoryEntanglement, RateOfAnUnentangledStateIsTheDerivativeOfThePrintedCurve) {
  EnsembleOptions options;
  options.sampling = Sampling::trajectories;
  options.trajectories = 400;
  options.seed = 11;
  options.observables = {"S_B", "dS_B_dt"};
  const TimeGrid grid{0.3, 31};
  const Model model = testing::make_model(4, 40, nbar_from_temperature(2.0), BatteryInit::thermal);
  const TimeSeries s = run_ensemble(model, grid, options).series;
  const Column &sb = s.column("S_B"), &rate = s.column("dS_B_dt");
  // The clamp is exercised: S_B printed as 0 at some times (the note says how many).
  EXPECT_NE(sb.note.find("below the physical bound"), std::string::npos) << sb.note;
  const std::vector<double> expected = time_derivative(sb.value, grid);
  for (int g = 0; g < grid.points; ++g) {
    EXPECT_NEAR(rate.value[g], expected[g], 1e-12 * (1 + std::fabs(expected[g]))) << "t = " << grid.time(g);
    // Against the exact rate 0: within 4 errors (a false failure at any of the 31 times
    // with honest Gaussian errors ~0.2%); a rate of exactly 0 has error 0.
    EXPECT_LE(std::fabs(rate.value[g]), 4 * rate.error[g] + 1e-12) << "t = " << grid.time(g);
  }
}

}  // namespace
}  // namespace darkcharge
