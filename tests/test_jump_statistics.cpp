// The charging-precision and jump-record observables (sigma_B, I_em, I_abs,
// N_em, N_abs, F_em, P(n, t), jump records) against exact values and exact identities.
//
// Tolerances. Standard-error columns: |traj - exact| <= 6 standard errors (two-sided normal
// tail 2e-9). Jackknife columns (sigma_B, F_em): 8 jackknife errors; with 32 blocks the
// studentised error follows Student's t with 31 degrees of freedom, P(|t_31| > 8) = 4.9e-9.
// At most 300 comparisons per test, so each test's false-failure rate is <= 1.5e-6; seeds
// are fixed, so the outcome is deterministic. An absolute 1e-9 on top covers exact values
// that are 0 up to rounding (sigma_B at t = 0, where every trajectory agrees and the error
// is 0).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "darkcharge/ensemble/ensemble.hpp"
#include "darkcharge/exact/exact_solver.hpp"
#include "reference_data.hpp"
#include "test_models.hpp"

namespace darkcharge {
namespace {

constexpr double kRounding = 1e-9;

double sigmas_for(const Column& c) { return c.error_method == "jackknife" ? 8.0 : 6.0; }

/// How often one column's error bars covered the exact value, within 1 and 2 errors.
struct CoverageTally {
  const char* name;
  double nominal1, nominal2;  // the nominal rates (normal or Student t)
  int within1 = 0, within2 = 0, total = 0;
  void count(double value, double exact, double error) {
    const double diff = std::fabs(value - exact);
    within1 += diff <= error;
    within2 += diff <= 2 * error;
    ++total;
  }
};

/// Each tally within 5.3 binomial standard deviations of its nominal rates. F_em's error is
/// at least the rare-event floor of a variance (rare_event_floor.hpp), which after the
/// burst keeps it honest and during it makes it conservative: it must not under-cover, and
/// must not be so wide that it says nothing (within-1 rate <= 0.9).
void expect_nominal_coverage(const std::vector<CoverageTally>& tallies) {
  for (const CoverageTally& t : tallies) {
    const double c1 = double(t.within1) / t.total, c2 = double(t.within2) / t.total;
    std::printf("%s coverage: %.3f within 1 error (nominal %.3f), %.3f within 2 (%.3f)\n",
                t.name, c1, t.nominal1, c2, t.nominal2);
    const double tol1 = 5.3 * std::sqrt(t.nominal1 * (1 - t.nominal1) / t.total);
    const double tol2 = 5.3 * std::sqrt(t.nominal2 * (1 - t.nominal2) / t.total);
    if (std::string(t.name) == "F_em") {
      EXPECT_GE(c1, t.nominal1 - tol1) << t.name;
      EXPECT_GE(c2, t.nominal2 - tol2) << t.name;
      EXPECT_LE(c1, 0.9) << t.name;
    } else {
      EXPECT_NEAR(c1, t.nominal1, tol1) << t.name;
      EXPECT_NEAR(c2, t.nominal2, tol2) << t.name;
    }
  }
}

void expect_agree(const Column& traj, const std::vector<double>& exact, double t, int g) {
  if (std::isnan(exact[g])) {  // F_em before the first emission: 0/0 on both sides
    EXPECT_TRUE(std::isnan(traj.value[g])) << traj.name << " t=" << t;
    return;
  }
  EXPECT_LE(std::fabs(traj.value[g] - exact[g]), sigmas_for(traj) * traj.error[g] + kRounding)
      << traj.name << " t=" << t << " traj=" << traj.value[g] << " +- " << traj.error[g]
      << " exact=" << exact[g];
}

// tests/data/nb20_nc100_nbar0.csv: exact per-J superradiant cascades from an independent
// solver (see tests/data/README.md), 5 columns x 11 times in the charging window [0, 0.1]
// (burst at t ~ 0.03, E_B = 0.97 by t = 0.1). Later, I_em is carried by rare trajectories
// still above the dark level (at t = 0.14 the exact I_em is 2.5e-3 while a typical
// trajectory's is 2e-5): 2e4 trajectories do not sample them, so the mean is unbiased but
// its sample standard error is not yet Gaussian (as in test_trajectory_vs_exact.cpp).
TEST(JumpStatistics, ZeroTemperatureCascadeAgreesWithTheReference) {
  const auto ref = testing::load_reference("nb20_nc100_nbar0.csv");
  const Model model = testing::make_model(20, 100, 0.0, BatteryInit::ground);
  const TimeGrid grid{0.5, 51};
  ASSERT_EQ(ref.time.size(), 51u);
  EnsembleOptions options;
  options.sampling = Sampling::trajectories;  // the engine under test
  options.trajectories = 20000;
  options.seed = 2024;
  options.observables = {"E_B", "sigma_B", "I_em", "N_em", "F_em"};
  const TimeSeries traj = simulate(model, grid, options);
  for (const std::string name : {"E_B", "sigma_B", "I_em", "N_em", "F_em"})
    for (int g = 0; g <= 10; ++g) {
      ASSERT_NEAR(ref.time[g], grid.time(g), 1e-12);
      expect_agree(traj.column(name), ref.column.at(name), grid.time(g), g);
    }
}

// Exact solver (independent product-basis Lindblad integration) for nbar > 0, thermal and
// ground batteries: 2 cases x 3 columns x 21 times = 126 comparisons.
TEST(JumpStatistics, SpreadAndCurrentsAgreeWithTheExactSolver) {
  for (const Model& model : {testing::make_model(2, 4, 0.5, BatteryInit::thermal),
                             testing::make_model(1, 5, 0.3, BatteryInit::ground)}) {
    const TimeGrid grid{1.5, 21};
    EnsembleOptions options;
    options.sampling = Sampling::trajectories;  // the engine under test
    options.trajectories = 20000;
    options.seed = 77;
    options.observables = {"sigma_B", "I_em", "I_abs"};
    const TimeSeries traj = simulate(model, grid, options);
    ExactOptions exact_options;
    exact_options.nonlinear = false;
    const TimeSeries exact = solve_exact(model, grid, exact_options);
    for (const std::string name : {"sigma_B", "I_em", "I_abs"})
      for (int g = 0; g < grid.points; ++g)
        expect_agree(traj.column(name), exact.column(name).value, grid.time(g), g);
  }
}

// Every jump moves M by one, so per trajectory n_em - n_abs = M(0) - M(t); averaged over
// the same trajectories, N_em - N_abs = <M>(0) - <M>(t) with <M> = N_B (E_B - 1/2) +
// N_C (E_C - 1/2), up to rounding. At nbar = 0 nothing is absorbed: N_abs = I_abs = 0.
TEST(JumpStatistics, CountsFollowFromTheEnergyBalance) {
  for (const Model& model : {testing::make_model(2, 4, 0.5, BatteryInit::thermal),
                             testing::make_model(3, 7, 0.0, BatteryInit::ground)}) {
    const TimeGrid grid{2.0, 41};
    EnsembleOptions options;
    options.sampling = Sampling::trajectories;  // the engine under test
    options.trajectories = 3000;
    options.observables = {"E_B", "E_C", "N_em", "N_abs", "I_abs"};
    const TimeSeries s = simulate(model, grid, options);
    auto total_m = [&](int g) {
      return model.n_battery * (s.column("E_B").value[g] - 0.5) +
             model.n_charger * (s.column("E_C").value[g] - 0.5);
    };
    for (int g = 0; g < grid.points; ++g) {
      const double net = s.column("N_em").value[g] - s.column("N_abs").value[g];
      EXPECT_NEAR(net, total_m(0) - total_m(g), 1e-10 * (1 + std::fabs(net))) << g;
      if (model.nbar == 0) {
        EXPECT_EQ(s.column("N_abs").value[g], 0.0);
        EXPECT_EQ(s.column("I_abs").value[g], 0.0);
      }
    }
  }
}

// P(n, t) and the jump records describe the same trajectories as N_em: the distribution sums
// to one, its mean is N_em, and counting the recorded emissions of every trajectory up to t
// reproduces it exactly.
TEST(JumpStatistics, CountDistributionAndJumpRecordsAgreeWithEachOther) {
  const Model model = testing::make_model(2, 4, 0.5, BatteryInit::thermal);
  const TimeGrid grid{1.0, 11};
  EnsembleOptions options;
  options.sampling = Sampling::trajectories;  // the engine under test
  options.trajectories = 400;
  options.observables = {"N_em"};
  options.count_times = {0.3, 1.0};
  options.record_trajectories = options.trajectories;
  const EnsembleResult r = run_ensemble(model, grid, options);
  const Column& n_em = r.series.column("N_em");
  std::map<double, std::map<long, double>> from_counts;
  for (const auto& c : r.emission_counts) from_counts[c.time][c.emitted] = c.probability.value;
  ASSERT_EQ(from_counts.size(), 2u);
  for (const auto& [t, distribution] : from_counts) {
    const int g = static_cast<int>(std::lround(t / grid.step()));
    double total = 0, mean = 0;
    for (const auto& [n, p] : distribution) total += p, mean += n * p;
    EXPECT_NEAR(total, 1.0, 1e-12);
    EXPECT_NEAR(mean, n_em.value[g], 1e-10);
    // Emissions per trajectory by time t, from the records (jumps at t_jump <= t count).
    std::vector<long> emitted(options.trajectories, 0);
    for (const auto& j : r.jumps)
      if (j.jump.time <= t && j.jump.channel == Jump::kEmission) ++emitted[j.trajectory];
    std::map<long, double> from_records;
    for (long n : emitted) from_records[n] += 1.0 / options.trajectories;
    ASSERT_EQ(from_records.size(), distribution.size()) << t;
    for (const auto& [n, p] : distribution) EXPECT_NEAR(from_records[n], p, 1e-12) << n;
  }
  // Records: trajectory-ordered, times increasing within one, M moving by -1 / +1.
  for (std::size_t i = 1; i < r.jumps.size(); ++i) {
    const auto &a = r.jumps[i - 1], &b = r.jumps[i];
    ASSERT_LE(a.trajectory, b.trajectory);
    if (a.trajectory != b.trajectory) continue;
    EXPECT_LT(a.jump.time, b.jump.time);
    EXPECT_EQ(b.jump.m_after - a.jump.m_after, b.jump.channel == Jump::kEmission ? -1.0 : 1.0);
  }
}

TEST(JumpStatistics, IdenticalForAnyThreadCount) {
  const Model model = testing::make_model(2, 6, 0.4, BatteryInit::thermal);
  const TimeGrid grid{1.0, 11};
  EnsembleOptions options;
  options.sampling = Sampling::trajectories;  // the engine under test
  options.trajectories = 500;
  options.observables = {"sigma_B", "I_em", "I_abs", "N_em", "N_abs", "F_em"};
  options.count_times = {0.5};
  options.record_trajectories = 5;
  options.threads = 1;
  const EnsembleResult one = run_ensemble(model, grid, options);
  options.threads = 2;
  const EnsembleResult two = run_ensemble(model, grid, options);
  for (std::size_t c = 0; c < one.series.columns.size(); ++c)
    for (int g = 0; g < grid.points; ++g) {
      const auto &a = one.series.columns[c], &b = two.series.columns[c];
      EXPECT_TRUE(a.value[g] == b.value[g] || (std::isnan(a.value[g]) && std::isnan(b.value[g])));
      EXPECT_TRUE(a.error[g] == b.error[g] || (std::isnan(a.error[g]) && std::isnan(b.error[g])));
    }
  ASSERT_EQ(one.jumps.size(), two.jumps.size());
  for (std::size_t i = 0; i < one.jumps.size(); ++i)
    EXPECT_EQ(one.jumps[i].jump.time, two.jumps[i].jump.time);
  ASSERT_EQ(one.emission_counts.size(), two.emission_counts.size());
}

}  // namespace
}  // namespace darkcharge

namespace darkcharge {
namespace {

// Coverage of the new columns' error bars (the rule of test_jackknife_coverage.cpp): 300
// independent runs (seeds 1..300) of 1000 trajectories, 20 blocks, N_B = 2, N_C = 4,
// nbar = 0.5, thermal battery, at t = 0.5 and 1 against the exact solver. sigma_B
// (jackknife, Student t with 19 degrees of freedom): nominal 0.670 within 1 error, 0.940
// within 2; I_em, I_abs (standard errors of 1000-trajectory means, normal): 0.683, 0.954
// (scipy.stats). Bounds: 5.3 binomial standard deviations (false failure ~1e-7 per check
// for independent checks; the checks of one run are correlated, which widens the spread
// somewhat).
TEST(JumpStatistics, ErrorBarsCoverTheExactValueAtTheNominalRate) {
  Model model;
  model.n_battery = 2;
  model.n_charger = 4;
  model.nbar = 0.5;
  model.battery_init = BatteryInit::thermal;
  const TimeGrid grid{1.0, 3};
  ExactOptions exact_options;
  exact_options.nonlinear = false;
  const TimeSeries exact = solve_exact(model, grid, exact_options);
  std::vector<CoverageTally> tallies = {{"sigma_B", 0.670, 0.940}, {"I_em", 0.683, 0.954},
                                {"I_abs", 0.683, 0.954}};
  for (std::uint64_t seed = 1; seed <= 300; ++seed) {
    EnsembleOptions options;
    options.sampling = Sampling::trajectories;  // the engine under test
    options.trajectories = 1000;
    options.blocks = 20;
    options.seed = seed;
    options.observables = {"sigma_B", "I_em", "I_abs"};
    const TimeSeries s = simulate(model, grid, options);
    for (CoverageTally& t : tallies)
      for (int g = 1; g <= 2; ++g)
        t.count(s.column(t.name).value[g], exact.column(t.name).value[g], s.column(t.name).error[g]);
  }
  expect_nominal_coverage(tallies);
}

}  // namespace
}  // namespace darkcharge

namespace darkcharge {
namespace {

// The same rule for the jump-record columns, at nbar = 0 against the exact cascade of
// tests/data/nb20_nc100_nbar0.csv: 200 runs (seeds 1..200) of 1000 trajectories, 20 blocks,
// at t = 0.02, 0.03, 0.04 (the burst). N_em: standard errors (normal, 0.683 / 0.954); F_em:
// jackknife (Student t, 19 degrees of freedom, 0.670 / 0.940); bounds 5.3 binomial standard
// deviations as above (F_em, with its rare-event floor, measured 0.778 / 0.963: conservative).
TEST(JumpStatistics, CountErrorBarsCoverTheExactCascade) {
  const auto ref = testing::load_reference("nb20_nc100_nbar0.csv");
  Model model;
  model.n_battery = 20;
  model.n_charger = 100;
  model.nbar = 0.0;
  model.battery_init = BatteryInit::ground;
  const TimeGrid grid{0.04, 5};  // t = 0, 0.01, ..., 0.04: rows 0..4 of the reference
  std::vector<CoverageTally> tallies = {{"N_em", 0.683, 0.954}, {"F_em", 0.670, 0.940}};
  for (std::uint64_t seed = 1; seed <= 200; ++seed) {
    EnsembleOptions options;
    options.sampling = Sampling::trajectories;  // the engine under test
    options.trajectories = 1000;
    options.blocks = 20;
    options.seed = seed;
    options.observables = {"N_em", "F_em"};
    const TimeSeries s = simulate(model, grid, options);
    for (CoverageTally& t : tallies)
      for (int g = 2; g <= 4; ++g)
        t.count(s.column(t.name).value[g], ref.column.at(t.name)[g], s.column(t.name).error[g]);
  }
  expect_nominal_coverage(tallies);
}

}  // namespace
}  // namespace darkcharge
