// sweep_battery_size: the battery's steady energy density E_B^ss versus its size N_B at a
// fixed charger-to-battery ratio R = N_C / N_B (paper Fig. 2b), from the exact closed form
// (darkcharge::steady_state), next to a short trajectory estimate of E_B at t_max.
//
// Usage: sweep_battery_size [R] [max_N_B] [trajectories] [t_max]
//        defaults:            5   8         2000           3
// With trajectories = 0 only the closed form is evaluated (cheap for N_B in the hundreds;
// examples/paper/figures.py uses this for the large-N_B sweep of E_B^ss).
#include <cmath>
#include <cstdio>
#include <exception>
#include <string>

#include "darkcharge/ensemble/ensemble.hpp"
#include "darkcharge/physics/model.hpp"
#include "darkcharge/exact/steady_state.hpp"
#include "darkcharge/core/time_grid.hpp"

int main(int argc, char** argv) try {
  const int ratio = argc > 1 ? std::stoi(argv[1]) : 5;
  const int max_nb = argc > 2 ? std::stoi(argv[2]) : 8;
  const long trajectories = argc > 3 ? std::stol(argv[3]) : 2000;
  if (ratio < 1 || max_nb < 1 || trajectories < 0) {
    std::fprintf(stderr, "usage: sweep_battery_size [R>=1] [max_N_B>=1] [trajectories>=0] [t_max]\n");
    return 2;
  }
  const double t_max = argc > 4 ? std::stod(argv[4]) : 3.0;

  darkcharge::TimeGrid grid;
  grid.t_max = t_max;
  grid.points = 2;  // only t = 0 and t = t_max are needed

  darkcharge::EnsembleOptions options;
  options.trajectories = trajectories;
  options.seed = 7;
  options.ergotropy = false;
  options.entanglement = false;

  darkcharge::SteadyStateOptions steady_options;
  steady_options.nonlinear = false;  // energies only: closed form, any size

  std::printf("# R=%d zero temperature, ground-state battery; trajectories=%ld seed=%llu "
              "t_max=%g\n",
              ratio, trajectories, static_cast<unsigned long long>(options.seed), t_max);
  std::printf("%5s %6s %12s %14s %10s %10s\n", "N_B", "N_C", "E_B_ss", "E_B(t_max)",
              "err", "capacity");
  int failures = 0;
  double previous = -1.0;
  for (int nb = 1; nb <= max_nb; ++nb) {
    darkcharge::Model model;
    model.n_battery = nb;
    model.n_charger = ratio * nb;
    model.battery_init = darkcharge::BatteryInit::ground;
    const darkcharge::SteadyState steady = darkcharge::steady_state(model, steady_options);
    if (trajectories > 0) {
      const darkcharge::TimeSeries series = darkcharge::simulate(model, grid, options);
      const darkcharge::Column& e_b = series.column("E_B");
      const double estimate = e_b.value.back();
      const double error = e_b.error.back();
      std::printf("%5d %6d %12.9f %14.6f %10.2e %10.4f\n", nb, model.n_charger,
                  steady.e_battery, estimate, error, nb * steady.e_battery);
      // Check: the trajectories relax to the closed form (for R >= 2 charging is over
      // well before t = 3).
      if (std::abs(estimate - steady.e_battery) > 6.0 * error + 2e-3) ++failures;
    } else {
      std::printf("%5d %6d %12.9f %14s %10s %10.4f\n", nb, model.n_charger, steady.e_battery,
                  "nan", "nan", nb * steady.e_battery);
    }
    // Check: the steady energy grows with N_B for R > 1 (paper Fig. 2b).
    if (ratio > 1 && steady.e_battery <= previous) ++failures;
    previous = steady.e_battery;
  }
  if (failures > 0) {
    std::fprintf(stderr, "sweep_battery_size: %d check(s) failed\n", failures);
    return 1;
  }
  return 0;
} catch (const std::exception& error) {
  std::fprintf(stderr, "sweep_battery_size: %s\n", error.what());
  return 2;
}
