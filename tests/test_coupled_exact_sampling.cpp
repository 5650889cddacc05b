// simulate's automatic sampling at nbar > 0: the coupled-basis exact solver when every
// requested output is a function of the averaged state and its estimate fits the automatic
// budget, trajectories otherwise; and what the exact run returns.
#include <atomic>
#include <cmath>
#include <string>

#include <gtest/gtest.h>

#include "darkcharge/core/errors.hpp"
#include "darkcharge/ensemble/ensemble.hpp"
#include "darkcharge/exact/coupled_exact_solver.hpp"
#include "darkcharge/exact/exact_solver.hpp"
#include "test_models.hpp"

namespace darkcharge {
namespace {

using testing::make_model;

bool mentions(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(CoupledExactSampling, AutomaticTakesTheSolverWhenItGivesEverythingWithinBudget) {
  const Model model = make_model(4, 20, 0.3, BatteryInit::thermal);
  const TimeGrid grid{0.5, 11};
  EnsembleOptions options;
  const SamplingChoice chosen = choose_sampling(model, grid, options);
  EXPECT_EQ(chosen.sampling, Sampling::exact);
  EXPECT_TRUE(mentions(chosen.reason, "within the automatic budget of 120 s")) << chosen.reason;
  EXPECT_GT(chosen.seconds, 0.0);

  EnsembleOptions tight = options;  // over budget: trajectories, and the note says why
  tight.cascade_budget_seconds = 1e-9;
  const SamplingChoice over = choose_sampling(model, grid, tight);
  EXPECT_EQ(over.sampling, Sampling::trajectories);
  EXPECT_TRUE(mentions(over.reason, "beyond the automatic budget")) << over.reason;
  EnsembleOptions small_memory = options;
  small_memory.cascade_max_memory_gib = 0;
  EXPECT_EQ(choose_sampling(model, grid, small_memory).sampling, Sampling::trajectories);

  // Statistics of the jump record are not functions of rho: trajectories, naming the output.
  EnsembleOptions counted = options;
  counted.observables = {"E_B", "F_em"};
  const SamplingChoice fano = choose_sampling(model, grid, counted);
  EXPECT_EQ(fano.sampling, Sampling::trajectories);
  EXPECT_TRUE(mentions(fano.reason, "column F_em")) << fano.reason;
  EnsembleOptions sectors = options;
  sectors.sector_populations = true;
  EXPECT_TRUE(mentions(choose_sampling(model, grid, sectors).reason, "sector populations"));
  EnsembleOptions jumps = options;
  jumps.record_trajectories = 3;
  EXPECT_EQ(choose_sampling(model, grid, jumps).sampling, Sampling::trajectories);

  // Far too large even to estimate (the estimate alone took 60 s here): trajectories, said so.
  const SamplingChoice huge =
      choose_sampling(make_model(1000, 10000, 0.5, BatteryInit::thermal), grid, options);
  EXPECT_EQ(huge.sampling, Sampling::trajectories);
  EXPECT_TRUE(mentions(huge.reason, "far beyond")) << huge.reason;

  EnsembleOptions resumed = options;  // units of a trajectory checkpoint are resumed
  resumed.completed_units[0] = "";
  EXPECT_EQ(choose_sampling(model, grid, resumed).sampling, Sampling::trajectories);
  EnsembleOptions sampled = options;  // asked for
  sampled.sampling = Sampling::trajectories;
  EXPECT_EQ(choose_sampling(model, grid, sampled).sampling, Sampling::trajectories);
}

// The exact run against the independent product-basis solver (dense Lindblad in
// (N_C + 1)(N_B + 1) dimensions, Dormand-Prince at rtol 1e-10: CoupledVsProduct holds 1e-9
// between the two solvers, so 1e-9 here), with every sampled column's error 0.
TEST(CoupledExactSampling, ExactRunEqualsTheProductSolver) {
  const Model model = make_model(3, 6, 0.4, BatteryInit::thermal);
  const TimeGrid grid{1.0, 21};
  EnsembleOptions options;
  options.observables = {"E_B", "E_C", "P_B", "W_open", "dark", "W_B", "S_B", "sigma_B", "I_em"};
  options.state_times = {0.5};
  const EnsembleResult r = run_ensemble(model, grid, options);
  EXPECT_EQ(r.sampling, Sampling::exact);
  EXPECT_EQ(r.stop_reason, "exact");
  EXPECT_EQ(r.trajectories_run, 0);
  ASSERT_FALSE(r.notes.empty());
  EXPECT_TRUE(mentions(r.notes[0], "sampling=exact: the coupled-basis exact solver")) << r.notes[0];
  const TimeSeries product = solve_exact(model, grid);
  for (const std::string name : {"E_B", "E_C", "P_B", "W_open", "dark", "W_B", "S_B", "sigma_B",
                                 "I_em"}) {
    const Column& c = r.series.column(name);
    const Column& p = product.column(name);
    EXPECT_EQ(c.error_method, "exact") << name;
    for (int g = 0; g < grid.points; ++g) {
      EXPECT_EQ(c.error[g], 0.0) << name;
      EXPECT_NEAR(c.value[g], p.value[g], 1e-9 * std::max(1.0, std::fabs(p.value[g])))
          << name << " t=" << grid.time(g);
    }
  }
  ASSERT_EQ(r.density.size(), static_cast<std::size_t>(grid.points));
  EXPECT_FALSE(r.density[grid.nearest_index(0.5)].blocks.empty());
}

TEST(CoupledExactSampling, StopFlagInterruptsTheExactRun) {
  std::atomic<bool> stop{true};
  EnsembleOptions options;
  options.stop = &stop;
  EXPECT_THROW(run_ensemble(make_model(3, 6, 0.4, BatteryInit::thermal), TimeGrid{1.0, 21}, options),
               Interrupted);
}

}  // namespace
}  // namespace darkcharge
