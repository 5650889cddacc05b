// Explicit output times (TimeGrid::at_times, the CLI's --times): validation, index lookups,
// derivatives and peaks on unequal spacings, and every engine reporting at explicit times
// the values it reports at the same times of an equally spaced grid.
#include <cmath>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "darkcharge/darkcharge.hpp"
#include "darkcharge/estimate/curve_features.hpp"
#include "darkcharge/exact/reduced_dicke_solver.hpp"
#include "test_models.hpp"

namespace darkcharge {
namespace {

using testing::make_model;

void expect_refused(const std::vector<double>& times, const std::string& words) {
  try {
    validate(TimeGrid::at_times(times));
    ADD_FAILURE() << "accepted " << ::testing::PrintToString(times);
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find(words), std::string::npos) << e.what();
  }
}

TEST(OutputTimes, ExplicitTimesAreValidated) {
  EXPECT_NO_THROW(validate(TimeGrid::at_times({0, 0.01, 0.5, 10})));
  expect_refused({0.1, 0.2}, "first output time must be 0");
  expect_refused({0, 0.2, 0.1}, "strictly ascending");
  expect_refused({0, 0.2, 0.2}, "strictly ascending");
  expect_refused({0, NAN}, "finite");
  expect_refused({0}, "2 to");
  TimeGrid tampered = TimeGrid::at_times({0, 1, 2});
  tampered.points = 4;
  EXPECT_THROW(validate(tampered), InvalidArgument);
}

TEST(OutputTimes, IndexLookupsOnExplicitTimes) {
  const TimeGrid grid = TimeGrid::at_times({0, 0.01, 0.02, 0.5, 3});
  EXPECT_EQ(grid.points, 5);
  EXPECT_EQ(grid.t_max, 3);
  EXPECT_EQ(grid.time(3), 0.5);
  EXPECT_EQ(grid.first_index_not_before(0), 0);
  EXPECT_EQ(grid.first_index_not_before(0.015), 2);
  EXPECT_EQ(grid.first_index_not_before(0.5), 3);
  EXPECT_EQ(grid.first_index_not_before(3.5), 5);
  EXPECT_EQ(grid.nearest_index(0.014), 1);
  EXPECT_EQ(grid.nearest_index(0.3), 3);
  EXPECT_EQ(grid.nearest_index(2.0), 4);
}

// Three-point differences and the three-point parabola are exact for a quadratic, on any
// spacing: y = 2 + 3 t - 4 t^2 has dy/dt = 3 - 8 t and its vertex at t = 3/8, y = 2.5625.
TEST(OutputTimes, DerivativeAndPeakAreExactForAQuadraticOnUnequalSpacings) {
  const TimeGrid grid = TimeGrid::at_times({0, 0.05, 0.3, 0.4, 0.9, 1.0});
  std::vector<double> y;
  for (int g = 0; g < grid.points; ++g) y.push_back(2 + 3 * grid.time(g) - 4 * grid.time(g) * grid.time(g));
  const std::vector<double> d = time_derivative(y, grid);
  for (int g = 0; g < grid.points; ++g) EXPECT_NEAR(d[g], 3 - 8 * grid.time(g), 1e-12) << g;
  const Peak peak = global_maximum(y, grid);
  EXPECT_NEAR(peak.time, 0.375, 1e-12);
  EXPECT_NEAR(peak.value, 2.5625, 1e-12);
}

// The same stencil on an equally spaced grid is the textbook one.
TEST(OutputTimes, StencilOfEqualSpacingsIsTheTextbookOne) {
  const TimeGrid grid = TimeGrid::at_times({0, 0.5, 1.0, 1.5});
  const DerivativeStencil start = derivative_stencil(grid, 0), mid = derivative_stencil(grid, 1);
  EXPECT_NEAR(start.weight[0], -3.0, 1e-15);  // (-3, 4, -1) / (2 h), h = 1/2
  EXPECT_NEAR(start.weight[1], 4.0, 1e-15);
  EXPECT_NEAR(mid.weight[1], 0.0, 1e-15);
  EXPECT_NEAR(mid.weight[2], 1.0, 1e-15);
}

/// Explicit times taken from an equally spaced grid (every point up to index 10, then every
/// 10th), so both runs report at these times.
struct Subgrid {
  TimeGrid uniform{2.0, 101};
  std::vector<int> indices;
  TimeGrid explicit_grid;
  Subgrid() {
    std::vector<double> times;
    for (int g = 0; g < uniform.points; ++g)
      if (g <= 10 || g % 10 == 0) {
        indices.push_back(g);
        times.push_back(uniform.time(g));
      }
    explicit_grid = TimeGrid::at_times(times);
  }
};

void expect_same_at_shared_times(const TimeSeries& uniform, const TimeSeries& sparse,
                                 const std::vector<int>& indices, const std::vector<std::string>& names,
                                 double tolerance) {
  for (const std::string& name : names) {
    const Column& a = uniform.column(name);
    const Column& b = sparse.column(name);
    for (std::size_t k = 0; k < indices.size(); ++k) {
      EXPECT_NEAR(b.value[k], a.value[indices[k]], tolerance) << name << " at t = " << sparse.time[k];
      if (!a.error.empty() && !b.error.empty() && std::isfinite(a.error[indices[k]]))
        EXPECT_NEAR(b.error[k], a.error[indices[k]], tolerance) << name << "_err";
    }
  }
}

// The exact solvers integrate between output times: the answers at shared times agree to
// their integration accuracy (the coupled solver's propagators are exact exponentials).
TEST(OutputTimes, ExactSolversReportTheSameValuesAtExplicitTimes) {
  const Subgrid s;
  const Model m = make_model(3, 9, 0.3, BatteryInit::thermal);
  CoupledExactOptions coupled;
  coupled.nonlinear = true;
  expect_same_at_shared_times(solve_exact_coupled(m, s.uniform, coupled),
                              solve_exact_coupled(m, s.explicit_grid, coupled), s.indices,
                              {"E_B", "E_C", "P_B", "dark", "W_B", "S_B"}, 1e-9);
  Model local = make_model(2, 4, 0.2, BatteryInit::ground);
  local.local.battery = {0.1, 0.05, 0.2};
  expect_same_at_shared_times(solve_exact_local(local, local.local, s.uniform),
                              solve_exact_local(local, local.local, s.explicit_grid), s.indices,
                              {"E_B", "E_C", "P_B", "W_B"}, 1e-8);
}

// Trajectories draw their jumps independently of the output times: with one seed, the
// explicit grid sees the same trajectories at the shared times (values and errors agree to
// rounding), for the trajectory engine at nbar > 0 and the exact cascade at nbar = 0.
TEST(OutputTimes, TrajectoriesAndCascadeReportTheSameValuesAtExplicitTimes) {
  const Subgrid s;
  EnsembleOptions options;
  options.trajectories = 400;
  options.seed = 5;
  options.observables = {"E_B", "E_C", "P_B", "dark", "W_B"};
  const Model warm = make_model(2, 6, 0.3, BatteryInit::thermal);
  expect_same_at_shared_times(run_ensemble(warm, s.uniform, options).series,
                              run_ensemble(warm, s.explicit_grid, options).series, s.indices,
                              {"E_B", "E_C", "P_B", "dark"}, 1e-10);
  const Model cold = make_model(2, 6, 0.0, BatteryInit::ground);
  expect_same_at_shared_times(run_ensemble(cold, s.uniform, options).series,
                              run_ensemble(cold, s.explicit_grid, options).series, s.indices,
                              {"E_B", "E_C", "P_B", "dark", "W_B"}, 1e-9);
}

}  // namespace
}  // namespace darkcharge
