// The product-basis exact solver's jump-record moments (ExactOptions::counting: N_em, N_abs,
// F_em by full counting statistics) against three independent routes: the nbar = 0 cascade
// (Sampling::cascade, exact from P(k, t)), the currents they must integrate (dN/dt = I), and
// the trajectory engine at nbar > 0, where nothing else gives them exactly.
#include <algorithm>
#include <cmath>
#include <string>

#include <gtest/gtest.h>

#include "darkcharge/ensemble/column_selection.hpp"
#include "darkcharge/ensemble/ensemble.hpp"
#include "darkcharge/exact/exact_solver.hpp"
#include "test_models.hpp"

namespace darkcharge {
namespace {

using testing::make_model;

TimeSeries solve_counting(const Model& model, const TimeGrid& grid) {
  ExactOptions options;
  options.nonlinear = false;
  options.counting = true;
  return solve_exact(model, grid, options);
}

// At nbar = 0 the cascade integrates P(k, t) of the count k = M0 - M exactly (a different
// route from the same master equation); both integrate to ~1e-10, so they agree to 1e-8.
TEST(CountingStatistics, MatchesTheZeroTemperatureCascade) {
  const TimeGrid grid{2.0, 21};
  for (const auto& [nb, nc] : {std::pair{2, 6}, std::pair{3, 5}}) {
    const Model model = make_model(nb, nc, 0.0, BatteryInit::ground);
    const TimeSeries exact = solve_counting(model, grid);
    EnsembleOptions options;
    options.sampling = Sampling::cascade;
    options.observables = {"N_em", "F_em"};
    const EnsembleResult cascade = run_ensemble(model, grid, options);
    for (const char* name : {"N_em", "F_em"}) {
      const Column& e = exact.column(name);
      const Column& c = cascade.series.column(name);
      EXPECT_EQ(e.error_method, "exact");
      for (int g = 0; g < grid.points; ++g) {
        EXPECT_EQ(e.error[g], 0.0);
        if (std::isnan(c.value[g])) {
          EXPECT_TRUE(std::isnan(e.value[g])) << name << " N_B=" << nb << " g " << g;
          continue;
        }
        EXPECT_NEAR(e.value[g], c.value[g], 1e-8) << name << " N_B=" << nb << " g " << g;
      }
    }
    EXPECT_EQ(exact.column("N_em").value[0], 0.0);
    EXPECT_TRUE(std::isnan(exact.column("F_em").value[0])) << "undefined before any emission";
    for (double v : exact.column("N_abs").value) EXPECT_EQ(v, 0.0);  // nothing to absorb
  }
}

/// Composite trapezoid integral of v on the grid from 0 to each point, using every
/// `stride`-th point.
std::vector<double> running_trapezoid(const std::vector<double>& v, double step, int stride) {
  std::vector<double> out(v.size(), 0.0);
  for (std::size_t g = stride; g < v.size(); g += stride)
    out[g] = out[g - stride] + 0.5 * stride * step * (v[g - stride] + v[g]);
  return out;
}

// <n_em>(t) = int_0^t I_em and <n_abs>(t) = int_0^t I_abs (the currents are the expected
// jumps per unit time). On 2001 points the trapezoid rule's error is ~h^2/12 |I'(t) - I'(0)|;
// the tolerance is the difference between the rule on steps h and 2h, which is 3x the
// step-h rule's error (Richardson), plus 1e-9 for the solver's tolerance. Measured: at most
// 1.3e-6 against N_em(1) = 5.0 (the actual differences are a third of it, as Richardson
// says), so a wrong source term (a missing factor, the wrong channel) is far outside it.
TEST(CountingStatistics, MeanCountsIntegrateTheCurrents) {
  for (const Model& model : {make_model(2, 4, 0.5, BatteryInit::ground),
                             make_model(2, 3, 0.4, BatteryInit::thermal, 1.3, 0.7)}) {
    const TimeGrid grid{1.0, 2001};
    const TimeSeries exact = solve_counting(model, grid);
    for (const auto& [count, current] : {std::pair{"N_em", "I_em"}, std::pair{"N_abs", "I_abs"}}) {
      const std::vector<double>& n = exact.column(count).value;
      const auto fine = running_trapezoid(exact.column(current).value, grid.step(), 1);
      const auto coarse = running_trapezoid(exact.column(current).value, grid.step(), 2);
      EXPECT_GT(n.back(), 0.1) << count;  // something to check
      for (int g = 0; g < grid.points; g += 2) {
        const double tolerance = std::fabs(fine[g] - coarse[g]) + 1e-9;
        EXPECT_NEAR(n[g], fine[g], tolerance) << count << " at t = " << grid.time(g);
      }
    }
  }
}

// Counting is extra work only: the other columns are those of the solver without it (the
// integrator's steps differ, so to its tolerance), and the moment columns only on request.
// The integrator's error scale is the largest entry of the stacked state, which <n^2>
// dominates; the long run (N_em ~ 64, <n^2> ~ 5000 at t = 20) checks that this does not
// cost the state its accuracy (measured: 3e-10).
TEST(CountingStatistics, LeavesTheOtherColumnsAlone) {
  for (const auto& [model, grid] :
       {std::pair{make_model(2, 3, 0.4, BatteryInit::thermal), TimeGrid{1.0, 11}},
        std::pair{make_model(2, 4, 0.5, BatteryInit::ground), TimeGrid{20.0, 11}}}) {
    ExactOptions plain;
    const TimeSeries without = solve_exact(model, grid, plain);
    EXPECT_FALSE(without.has("N_em"));
    ExactOptions counting = plain;
    counting.counting = true;
    const TimeSeries with = solve_exact(model, grid, counting);
    for (const Column& c : without.columns)
      for (int g = 0; g < grid.points; ++g)
        if (std::isnan(c.value[g]))
          EXPECT_TRUE(std::isnan(with.column(c.name).value[g])) << c.name << " g " << g;
        else
          EXPECT_NEAR(with.column(c.name).value[g], c.value[g], 1e-8) << c.name << " g " << g;
  }
  ExactOptions planned;
  plan_exact({"E_B"}, planned);
  EXPECT_FALSE(planned.counting);
  plan_exact({}, planned);
  EXPECT_FALSE(planned.counting);  // the default columns do not include them
  plan_exact({"E_B", "F_em"}, planned);
  EXPECT_TRUE(planned.counting);
}

// At nbar > 0 the trajectory engine's N_em, N_abs and F_em agree with the exact moments
// within 5 standard errors at every time (fixed seed). False-failure rate: N_em, N_abs are
// means (normal, two-sided 5.7e-7 per value); F_em has a 32-block jackknife error (Student t
// with 31 degrees of freedom, 2.1e-5 per value); over 2 cases x 15 times: < 1e-3 in all.
// The exact F_em must differ from 1 (Poisson) by more than 10 standard errors somewhere,
// so the comparison can tell counting statistics from a Poisson guess.
TEST(CountingStatistics, AgreesWithTrajectoriesAtPositiveTemperature) {
  const TimeGrid grid{1.5, 16};
  for (const Model& model : {make_model(2, 4, 0.5, BatteryInit::ground),
                             make_model(2, 3, 0.4, BatteryInit::thermal)}) {
    const TimeSeries exact = solve_counting(model, grid);
    EnsembleOptions options;
    options.sampling = Sampling::trajectories;
    options.observables = {"N_em", "N_abs", "F_em"};
    options.trajectories = 20000;
    options.seed = 2024;
    const EnsembleResult mc = run_ensemble(model, grid, options);
    double fano_distance = 0;  // largest |F_em - 1| in standard errors
    for (const char* name : {"N_em", "N_abs", "F_em"}) {
      const Column& e = exact.column(name);
      const Column& s = mc.series.column(name);
      for (int g = 1; g < grid.points; ++g) {
        ASSERT_GT(s.error[g], 0.0) << name << " g " << g;
        EXPECT_LT(std::fabs(s.value[g] - e.value[g]), 5 * s.error[g])
            << name << " at t = " << grid.time(g) << ": exact " << e.value[g] << ", sampled "
            << s.value[g] << " +- " << s.error[g];
        if (std::string(name) == "F_em")
          fano_distance = std::max(fano_distance, std::fabs(e.value[g] - 1) / s.error[g]);
      }
    }
    EXPECT_GT(fano_distance, 10.0) << "F_em indistinguishable from 1 here";
  }
}

}  // namespace
}  // namespace darkcharge
