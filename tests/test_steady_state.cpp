// The closed-form steady state against (1) long exact evolutions, (2) paper Eq. 13, (3) the
// high-temperature limit, (4) long trajectory runs within their error bars.
#include <cmath>

#include <gtest/gtest.h>

#include "test_models.hpp"

#include "darkcharge/ensemble/ensemble.hpp"
#include "darkcharge/exact/exact_solver.hpp"
#include "darkcharge/exact/steady_state.hpp"

namespace darkcharge {
namespace {

using testing::make_model;

// The exact solver at t = 40 has relaxed to 1e-10 for these sizes (slowest rate >~ 1).
TEST(SteadyState, MatchesLongExactEvolution) {
  for (const Model& m : {make_model(1, 5, 0.0, BatteryInit::ground),
                         make_model(2, 4, 0.5, BatteryInit::thermal),
                         make_model(3, 6, 0.3, BatteryInit::ground),
                         make_model(4, 2, 1.0, BatteryInit::thermal)}) {
    const SteadyState s = steady_state(m);
    const TimeSeries e = solve_exact(m, TimeGrid{40.0, 2});
    const auto last = [&](const char* name) { return e.column(name).value.back(); };
    EXPECT_NEAR(s.e_battery, last("E_B"), 1e-8);
    EXPECT_NEAR(s.e_charger, last("E_C"), 1e-8);
    EXPECT_NEAR(s.dark, last("dark"), 1e-8);
    EXPECT_NEAR(s.ergotropy, last("W_B"), 1e-8);
    EXPECT_NEAR(s.log_negativity, last("S_B"), 1e-7);
    if (m.battery_init == BatteryInit::ground)
      EXPECT_NEAR(s.ergotropy_symmetric, last("W_B_sym"), 1e-8);
    else
      EXPECT_TRUE(std::isnan(s.ergotropy_symmetric));
  }
}

// Paper Eq. 13 (N_B = N_C = 1): <J_B^z> = <J_C^z> = -(2n+1)/(12 n(n+1) + 4); Eq. 32: the
// dark |psi_-> keeps 1/2.
TEST(SteadyState, PaperEq13AndEq32) {
  for (double n : {0.0, 0.1, 0.5, 2.0, 30.0}) {
    const SteadyState s = steady_state(make_model(1, 1, n, BatteryInit::ground));
    const double jz = -(2 * n + 1) / (12 * n * (n + 1) + 4);
    EXPECT_NEAR(s.e_battery, 0.5 + jz, 1e-14);
    EXPECT_NEAR(s.e_charger, 0.5 + jz, 1e-14);
    EXPECT_NEAR(s.dark, 0.5, 1e-14);
  }
}

// d/dT of Eq. 13: dE/dT = dE/dn dn/dT, dn/dT = e^{1/T} / (T^2 (e^{1/T} - 1)^2).
TEST(SteadyState, TemperatureDerivativeOfEq13) {
  for (double t : {0.5, 1.0, 3.0}) {
    const double n = 1 / std::expm1(1 / t);
    const double q = 12 * n * (n + 1) + 4;
    const double de_dn = -(2 * q - (2 * n + 1) * (24 * n + 12)) / (q * q);
    const double dn_dt = std::exp(1 / t) / (t * t * std::expm1(1 / t) * std::expm1(1 / t));
    const double expected = de_dn * dn_dt;
    EXPECT_NEAR(steady_energy_temperature_derivative(make_model(1, 1, 0, BatteryInit::ground), t),
                expected, 1e-6 * std::fabs(expected));
  }
}

// High temperature (paper Fig. 6d): E_B^ss -> 1/2 and the ergotropy -> 0 -- for the thermal
// battery in the full space, and for a ground battery in the symmetric-subspace convention
// (W_B_sym, the paper's). A ground battery never leaves j_B = N_B/2, so at T -> infinity it is
// uniform over the N_B + 1 Dicke levels; in the full 2^N_B space that is not passive: its four
// equal eigenvalues (N_B = 3) can be moved onto m = -3/2 (1 state) and m = -1/2 (3 states),
// energy -3/4 against 0, so W_B -> (3/4)/3 = 1/4 per spin.
TEST(SteadyState, HighTemperatureLimit) {
  const double nbar = nbar_from_temperature(1e4);
  const SteadyState thermal = steady_state(make_model(3, 9, nbar, BatteryInit::thermal));
  EXPECT_NEAR(thermal.e_battery, 0.5, 1e-3);
  EXPECT_NEAR(thermal.ergotropy, 0.0, 1e-3);
  EXPECT_GE(thermal.ergotropy, -1e-12);
  const SteadyState ground = steady_state(make_model(3, 9, nbar, BatteryInit::ground));
  EXPECT_NEAR(ground.e_battery, 0.5, 1e-3);
  EXPECT_NEAR(ground.ergotropy_symmetric, 0.0, 1e-3);
  EXPECT_NEAR(ground.ergotropy, 0.25, 1e-3);
}

// Energies stay cheap and finite for eleven thousand spins.
TEST(SteadyState, LinearValuesForElevenThousandSpins) {
  SteadyStateOptions linear;
  linear.nonlinear = false;
  const SteadyState s = steady_state(make_model(1000, 10000, 0.0, BatteryInit::ground), linear);
  EXPECT_GT(s.e_battery, 0.5);
  EXPECT_LT(s.e_battery, 1.0);
  EXPECT_TRUE(std::isnan(s.ergotropy));
}

// Trajectories run long enough to settle agree with the closed form within 6 standard errors
// (+1e-9 numerical floor), the criterion of test_trajectory_vs_exact.cpp. A thermal battery
// with N_B = 3 exercises every sector.
TEST(SteadyState, LongTrajectoryRunsAgree) {
  for (const Model& m : {make_model(3, 6, 0.4, BatteryInit::thermal),
                         make_model(1, 1, 0.5, BatteryInit::ground)}) {
    EnsembleOptions options;
    options.sampling = Sampling::trajectories;  // the engine under test
    options.trajectories = 20000;
    options.seed = 99;
    options.entanglement = false;
    const TimeSeries t = simulate(m, TimeGrid{15.0, 2}, options);
    const SteadyState s = steady_state(m);
    const auto check = [&](const char* name, double expected) {
      const Column& c = t.column(name);
      EXPECT_LE(std::fabs(c.value.back() - expected), 6 * c.error.back() + 1e-9)
          << name << " " << c.value.back() << " +- " << c.error.back() << " vs " << expected;
    };
    check("E_B", s.e_battery);
    check("E_C", s.e_charger);
    check("dark", s.dark);
    check("W_B", s.ergotropy);
  }
}

}  // namespace
}  // namespace darkcharge
