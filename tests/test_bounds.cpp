// The library's public entry points refuse sizes whose arithmetic would overflow (UBSan
// found int overflow at N_B = N_C = 2^31 - 1 and 2^63 - 1 trajectories), and rates
// that overflow double arithmetic, with a message naming the argument.
#include <climits>
#include <string>

#include <gtest/gtest.h>

#include "darkcharge/ensemble/ensemble.hpp"
#include "darkcharge/core/errors.hpp"
#include "darkcharge/exact/exact_solver.hpp"
#include "darkcharge/exact/steady_state.hpp"

namespace darkcharge {
namespace {

template <class F>
void expect_refused(F f, const std::string& must_mention) {
  try {
    f();
    ADD_FAILURE() << "not refused; expected a message naming " << must_mention;
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find(must_mention), std::string::npos) << e.what();
  }
}

TEST(Bounds, SpinCountsAboveTheMaximumAreRefused) {
  Model m;
  m.n_battery = m.n_charger = INT_MAX;
  expect_refused([&] { validate(m); }, "n_battery");
  expect_refused([&] { solve_exact(m, TimeGrid{}, ExactOptions{}); }, "n_battery");
  expect_refused([&] { steady_state(m); }, "n_battery");
  EnsembleOptions few;
  few.sampling = Sampling::trajectories;  // the engine under test
  few.trajectories = 2;
  expect_refused([&] { run_ensemble(m, TimeGrid{}, few); }, "n_battery");
  m.n_battery = 2;
  m.n_charger = kMaxSpins + 1;
  expect_refused([&] { validate(m); }, "n_charger");
  m.n_charger = kMaxSpins;
  EXPECT_NO_THROW(validate(m));
}

TEST(Bounds, TrajectoriesThreadsBlocksAndPointsHaveMaxima) {
  EnsembleOptions o;
  o.sampling = Sampling::trajectories;  // the engine under test
  o.trajectories = LONG_MAX;
  expect_refused([&] { validate(o); }, "trajectories");
  o.trajectories = kMaxTrajectories;
  EXPECT_NO_THROW(validate(o));
  o.threads = 70000;
  expect_refused([&] { validate(o); }, "threads");
  o.threads = 0;
  o.blocks = INT_MAX;
  expect_refused([&] { validate(o); }, "blocks");
  expect_refused([] { validate(TimeGrid{2.0, INT_MAX}); }, "points");
}

TEST(Bounds, RatesThatOverflowAreRefused) {
  Model m;
  m.gamma = 1e300;
  expect_refused([&] { validate(m); }, "rate scale");
  m.gamma = 1;
  m.nbar = 1e300;
  expect_refused([&] { solve_exact(m, TimeGrid{}, ExactOptions{}); }, "rate scale");
  m.nbar = 1e90;  // large but representable: 2 (2e90 + 1) 7^2 ~ 2e92 < 1e100
  EXPECT_NO_THROW(validate(m));
}

TEST(Bounds, ExactSectorDimensionIsCheckedBeforeItIsFormed) {
  Model m;
  m.n_battery = 1000;
  m.n_charger = kMaxSpins;  // dimension (N_C + 1)(N_B + 1) ~ 1e10: beyond int
  m.battery_init = BatteryInit::ground;
  ExactOptions o;
  o.max_dimension = LONG_MAX;  // still refused: int indices
  expect_refused([&] { solve_exact(m, TimeGrid{}, o); }, "max_dimension");
}

}  // namespace
}  // namespace darkcharge
