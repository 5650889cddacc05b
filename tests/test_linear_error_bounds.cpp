// The error bounds (physical ranges and the rare-event floor) reach every linear column of
// the observable runner, including the jump-record columns (I_em, I_abs, N_em, N_abs): their
// ranges bound every trajectory's value, and the errors a run reports are at least the
// rare-event floor.
#include <cmath>
#include <limits>

#include <gtest/gtest.h>

#include "darkcharge/physics/angular_momentum.hpp"
#include "darkcharge/ensemble/ensemble.hpp"
#include "darkcharge/estimate/rare_event_floor.hpp"
#include "test_models.hpp"

namespace darkcharge {
namespace {

// rate <J^+J^-> over every sector J <= (N_B+N_C)/2 and every M stays within the range, and
// the range is attained up to rate/4 (J(J+1) - M(M-1) peaks at M = 1/2, at M = 0 or 1 for
// integer J).
TEST(LinearErrorBounds, JumpCurrentRangeBoundsEveryState) {
  for (double nbar : {0.0, 0.7}) {
    const Model m = testing::make_model(3, 7, nbar, BatteryInit::ground);
    const double j_max = 0.5 * (m.n_battery + m.n_charger);
    double largest = 0;
    for (double J = j_max; J >= 0; J -= 1)
      for (double M = -J; M <= J; M += 1)
        largest = std::fmax(largest, std::fmax(lowering_squared(J, M), raising_squared(J, M)));
    for (double rate : {m.emission_rate(), m.absorption_rate()}) {
      EXPECT_LE(rate * largest, jump_current_range(m, rate));
      EXPECT_LE(jump_current_range(m, rate) - rate * largest, 0.25 * rate + 1e-12);
    }
  }
}

// At nbar = 0 only J^- jumps happen, each lowering M within [-J, J]: at most N_B + N_C
// emissions and no absorption; at nbar > 0 the counts are unbounded (no floor).
TEST(LinearErrorBounds, QuantaRanges) {
  const Model cold = testing::make_model(2, 10, 0.0, BatteryInit::ground);
  // From M0 = j_C - j_B = 4 down to -(j_C + j_B) = -6: N_C = 10 quanta at most.
  EXPECT_EQ(emitted_quanta_range(cold), 10.0);
  EXPECT_EQ(absorbed_quanta_range(cold), 0.0);
  const Model warm = testing::make_model(2, 10, 0.5, BatteryInit::ground);
  EXPECT_TRUE(std::isinf(emitted_quanta_range(warm)));
  EXPECT_TRUE(std::isinf(absorbed_quanta_range(warm)));
}

// A run reports every linear column's error >= its rare-event floor at every time (the
// floor is deterministic given n and the model: no tolerance needed). N_B=2, N_C=10,
// nbar=0 to t = 3: the late tail is carried by a few lingering trajectories.
TEST(LinearErrorBounds, EveryLinearColumnGetsItsFloor) {
  const Model m = testing::make_model(2, 10, 0.0, BatteryInit::ground);
  const TimeGrid grid{3.0, 7};
  EnsembleOptions options;
  options.sampling = Sampling::trajectories;  // the engine under test
  options.trajectories = 200;
  options.seed = 17;
  options.observables = {"E_B", "E_C", "P_B", "W_open", "dark", "I_em", "I_abs", "N_em", "N_abs"};
  const EnsembleResult run = run_ensemble(m, grid, options);
  const long n = options.trajectories;
  const std::pair<const char*, double> ranges[] = {
      {"E_B", 1.0}, {"E_C", 1.0}, {"W_open", 1.0}, {"dark", 1.0}, {"P_B", power_range(m)},
      {"I_em", jump_current_range(m, m.emission_rate())},
      {"I_abs", jump_current_range(m, m.absorption_rate())},
      {"N_em", emitted_quanta_range(m)}, {"N_abs", absorbed_quanta_range(m)}};
  for (const auto& [name, range] : ranges) {
    const Column& c = run.series.column(name);
    for (int g = 0; g < grid.points; ++g)
      EXPECT_GE(c.error[g], rare_event_floor(range, n)) << name << " at t = " << grid.time(g);
  }
  // At t = 0 every trajectory is in the same state: the standard error is 0, the floor acts.
  EXPECT_NE(run.series.column("E_B").note.find("rare-event floor"), std::string::npos);
}

}  // namespace
}  // namespace darkcharge
