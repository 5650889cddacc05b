// Sampling::cascade (ensemble.hpp, src/cascade_ensemble.cpp): simulate at nbar = 0 without
// sampling. Every column, the emission record's included, against the independent reference
// file nb20_nc100_nbar0.csv (tests/data/README.md); side outputs against their definitions
// and against the trajectory engine; the choice Sampling::automatic makes.
#include <atomic>
#include <cmath>
#include <numeric>

#include <gtest/gtest.h>

#include "darkcharge/physics/density_matrix.hpp"
#include "darkcharge/ensemble/ensemble.hpp"
#include "darkcharge/core/errors.hpp"
#include "darkcharge/ensemble/column_selection.hpp"
#include "darkcharge/observables/registry.hpp"
#include "reference_data.hpp"
#include "test_models.hpp"

namespace darkcharge {
namespace {

using testing::make_model;

EnsembleOptions cascade_options(std::vector<std::string> observables = {}) {
  EnsembleOptions options;
  options.sampling = Sampling::cascade;
  options.observables = std::move(observables);
  return options;
}

// 120 spins through the burst and the tail: every column of the reference (E_B, E_C, P_B,
// W_B, W_B_sym, W_open, S_B, dark, sigma_B, I_em, N_em, F_em) to 1e-8 (relative for the
// large currents and counts), errors exactly 0. The five P_B points where the file is wrong
// (t = 0.32-0.36; test_coupled_exact_solver.cpp explains) are left out.
TEST(CascadeEnsemble, EveryColumnMatchesTheIndependentReferenceAt120Spins) {
  const auto ref = testing::load_reference("nb20_nc100_nbar0.csv");
  const Model model = make_model(20, 100, 0.0, BatteryInit::ground);
  const TimeGrid grid{ref.time.back(), static_cast<int>(ref.time.size())};
  const EnsembleResult r = run_ensemble(
      model, grid,
      cascade_options({"E_B", "E_C", "P_B", "W_open", "dark", "W_B", "W_B_sym", "S_B",
                       "sigma_B", "I_em", "N_em", "F_em"}));
  EXPECT_EQ(r.sampling, Sampling::cascade);
  EXPECT_EQ(r.stop_reason, "exact");
  int compared = 0;
  for (const Column& c : r.series.columns) {
    EXPECT_EQ(c.error_method, "exact") << c.name;
    const auto it = ref.column.find(c.name);
    if (it == ref.column.end()) continue;
    ++compared;
    for (std::size_t i = 0; i < ref.time.size(); ++i) {
      EXPECT_EQ(c.error[i], 0.0) << c.name;
      if (c.name == "P_B" && i >= 32 && i <= 36) continue;
      const double want = it->second[i];
      if (std::isnan(want)) {
        EXPECT_TRUE(std::isnan(c.value[i])) << c.name << " at t = " << ref.time[i];
        continue;
      }
      ASSERT_NEAR(c.value[i], want, 1e-8 * std::max(1.0, std::fabs(want)))
          << c.name << " at t = " << ref.time[i];
    }
  }
  EXPECT_EQ(compared, 12);
}

// P(n, t) is a distribution whose mean is N_em; the sectors are the initial c_J^2 (sum 1,
// constant); the averaged state at a state time has trace 1 and the battery energy E_B.
TEST(CascadeEnsemble, SideOutputsAreConsistentWithTheColumns) {
  const Model model = make_model(6, 30, 0.0, BatteryInit::ground);
  const TimeGrid grid{0.3, 31};
  EnsembleOptions options = cascade_options({"E_B", "N_em"});
  options.count_times = {0.05, 0.3};
  options.state_times = {0.05};
  options.sector_populations = true;
  const EnsembleResult r = run_ensemble(model, grid, options);
  for (double t : options.count_times) {
    const int g = static_cast<int>(std::lround(t / grid.step()));
    double total = 0, mean = 0;
    for (const auto& c : r.emission_counts)
      if (c.time == grid.time(g)) {
        total += c.probability.value;
        mean += c.emitted * c.probability.value;
        EXPECT_EQ(c.probability.error, 0.0);
      }
    EXPECT_NEAR(total, 1.0, 1e-10) << t;
    EXPECT_NEAR(mean, r.series.column("N_em").value[g], 1e-9) << t;
  }
  double sectors = 0;
  for (const Column& c : r.sectors.columns) {
    EXPECT_EQ(c.value.front(), c.value.back()) << c.name;
    sectors += c.value.front();
  }
  EXPECT_NEAR(sectors, 1.0, 1e-12);
  const int g = 5;  // t = 0.05
  const auto levels = battery_level_populations(r.density[g], model.j_charger());
  double trace = 0, jz = 0;
  for (const auto& l : levels) trace += l.population, jz += l.population * l.m_battery;
  EXPECT_NEAR(trace, 1.0, 1e-10);
  EXPECT_NEAR(jz / model.n_battery + 0.5, r.series.column("E_B").value[g], 1e-10);
}

// The cascade is the limit of the trajectory average: the engine's sectors and emission
// counts agree with it within 5 standard errors (false-failure rate < 1e-5 per value; fixed
// seed), and the jump records, the one output the cascade draws, are the engine's own.
TEST(CascadeEnsemble, AgreesWithTheTrajectoryEngine) {
  const Model model = make_model(2, 8, 0.0, BatteryInit::ground);
  const TimeGrid grid{1.0, 11};
  EnsembleOptions cascade = cascade_options({"E_B", "N_em", "F_em"});
  cascade.count_times = {0.3};
  cascade.sector_populations = true;
  cascade.record_trajectories = 3;
  EnsembleOptions sampled = cascade;
  sampled.sampling = Sampling::trajectories;
  sampled.trajectories = 20000;
  sampled.seed = cascade.seed = 17;
  const EnsembleResult exact = run_ensemble(model, grid, cascade);
  const EnsembleResult mc = run_ensemble(model, grid, sampled);
  ASSERT_EQ(exact.jumps.size(), mc.jumps.size());
  for (std::size_t i = 0; i < mc.jumps.size(); ++i) {
    EXPECT_EQ(exact.jumps[i].trajectory, mc.jumps[i].trajectory);
    EXPECT_EQ(exact.jumps[i].jump.time, mc.jumps[i].jump.time);
    EXPECT_EQ(exact.jumps[i].jump.m_after, mc.jumps[i].jump.m_after);
  }
  for (const char* name : {"E_B", "N_em", "F_em"})
    for (int g = 1; g < grid.points; ++g) {
      const Column& e = exact.series.column(name);
      const Column& s = mc.series.column(name);
      EXPECT_LT(std::fabs(s.value[g] - e.value[g]), 5 * s.error[g]) << name << " g " << g;
    }
  for (std::size_t j = 0; j < exact.sectors.columns.size(); ++j) {
    const Column& e = exact.sectors.columns[j];
    const Column& s = mc.sectors.columns[j];
    EXPECT_LE(std::fabs(s.value[0] - e.value[0]), 5 * s.error[0] + 1e-12) << e.name;
  }
  for (const auto& c : mc.emission_counts) {
    double p = 0;
    for (const auto& e : exact.emission_counts)
      if (e.emitted == c.emitted) p = e.probability.value;
    EXPECT_LE(std::fabs(c.probability.value - p), 5 * c.probability.error + 1e-12) << c.emitted;
  }
}

// Any thread count gives the same numbers (the solver sums in a fixed order), bit for bit.
TEST(CascadeEnsemble, ThreadCountDoesNotChangeAnyDigit) {
  const Model model = make_model(30, 150, 0.0, BatteryInit::ground);
  const TimeGrid grid{0.05, 11};
  EnsembleOptions one = cascade_options({"E_B", "W_B", "S_B", "F_em"}), two = one;
  one.threads = 1;
  two.threads = 2;
  const TimeSeries a = run_ensemble(model, grid, one).series;
  const TimeSeries b = run_ensemble(model, grid, two).series;
  ASSERT_EQ(a.columns.size(), b.columns.size());
  for (std::size_t c = 0; c < a.columns.size(); ++c)
    for (int g = 0; g < grid.points; ++g) {
      const double x = a.columns[c].value[g], y = b.columns[c].value[g];
      EXPECT_TRUE(x == y || (std::isnan(x) && std::isnan(y))) << a.columns[c].name << " g " << g;
    }
}

// A stop request (signal, Ctrl-C in Python) ends a cascade run with Interrupted, as it ends
// a trajectory run; asking for averaged states does not make the cascade compute S_B.
TEST(CascadeEnsemble, StopsOnRequestAndNeedsNoNegativityForStates) {
  const Model model = make_model(4, 20, 0.0, BatteryInit::ground);
  const TimeGrid grid{0.5, 11};
  std::atomic<bool> stop{true};
  EnsembleOptions options = cascade_options({"E_B"});
  options.stop = &stop;
  EXPECT_THROW(run_ensemble(model, grid, options), Interrupted);

  EnsembleOptions states;  // sampling auto: the cascade here
  plan_observables(model, grid, {"E_B"}, true, states);
  EXPECT_FALSE(states.entanglement);
  states.sampling = Sampling::trajectories;  // the trajectory path needs S_B's record
  plan_observables(model, grid, {"E_B"}, true, states);
  EXPECT_TRUE(states.entanglement);
}

TEST(CascadeEnsemble, AutomaticChoosesByTemperatureAndCost) {
  const TimeGrid grid{0.5, 11};
  EnsembleOptions options;
  EXPECT_EQ(choose_sampling(make_model(4, 20, 0.0, BatteryInit::ground), grid, options).sampling,
            Sampling::cascade);
  // nbar > 0: the coupled-basis solver when cheap (test_coupled_exact_sampling.cpp).
  EXPECT_EQ(choose_sampling(make_model(4, 20, 0.2, BatteryInit::ground), grid, options).sampling,
            Sampling::exact);
  options.cascade_budget_seconds = 0;  // nothing fits: trajectories, and the note says why
  const SamplingChoice over = choose_sampling(make_model(4, 20, 0.0, BatteryInit::ground), grid, options);
  EXPECT_EQ(over.sampling, Sampling::trajectories);
  EXPECT_NE(over.reason.find("--sampling cascade"), std::string::npos);
  options.sampling = Sampling::cascade;  // asked for: taken whatever the estimate
  EXPECT_EQ(choose_sampling(make_model(4, 20, 0.0, BatteryInit::ground), grid, options).sampling,
            Sampling::cascade);
  EXPECT_THROW(run_ensemble(make_model(4, 20, 0.1, BatteryInit::ground), grid, options),
               InvalidArgument);
  EXPECT_THROW(parse_sampling("exact"), InvalidArgument);
  EnsembleOptions resumed;  // units of a trajectory checkpoint: resume them, not the cascade
  resumed.completed_units[0] = "";
  EXPECT_EQ(choose_sampling(make_model(4, 20, 0.0, BatteryInit::ground), grid, resumed).sampling,
            Sampling::trajectories);
  EnsembleOptions small_memory;  // the memory budget counts too
  small_memory.cascade_max_memory_gib = 0;
  EXPECT_EQ(choose_sampling(make_model(4, 20, 0.0, BatteryInit::ground), grid, small_memory).sampling,
            Sampling::trajectories);
}

}  // namespace
}  // namespace darkcharge
