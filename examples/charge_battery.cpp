// charge_battery: charge a dark-state quantum battery with the darkcharge library.
//
// Runs quantum-jump trajectories of the Quach & Munro (2020) model (paper Eq. 2) and
// prints the battery energy density E_B(t) with its standard error, next to the exact
// closed-form steady state.
//
// Usage: charge_battery [N_B] [N_C] [trajectories] [t_max] [points] [nbar]
//        defaults:        2     10    20000          2       11       0
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

#include "darkcharge/ensemble/ensemble.hpp"
#include "darkcharge/physics/model.hpp"
#include "darkcharge/exact/steady_state.hpp"
#include "darkcharge/core/time_grid.hpp"

namespace {
template <typename T>
T arg_or(int argc, char** argv, int index, T fallback) {
  if (index >= argc) return fallback;
  return static_cast<T>(std::stod(argv[index]));
}
}  // namespace

int main(int argc, char** argv) try {
  darkcharge::Model model;
  model.n_battery = arg_or<int>(argc, argv, 1, 2);
  model.n_charger = arg_or<int>(argc, argv, 2, 10);
  model.nbar = arg_or<double>(argc, argv, 6, 0.0);
  model.battery_init = darkcharge::BatteryInit::ground;  // the paper's appendix

  darkcharge::TimeGrid grid;
  grid.t_max = arg_or<double>(argc, argv, 4, 2.0);
  grid.points = arg_or<int>(argc, argv, 5, 11);

  darkcharge::EnsembleOptions options;
  options.trajectories = arg_or<long>(argc, argv, 3, 20000);
  options.seed = 1;
  options.ergotropy = false;     // only the linear observables: fast
  options.entanglement = false;
  // Quantum-jump trajectories with standard errors. (At nbar = 0 the default,
  // Sampling::automatic, would integrate the emitted-count distribution exactly instead:
  // the same means, errors 0.)
  options.sampling = darkcharge::Sampling::trajectories;

  darkcharge::validate(model);
  darkcharge::validate(grid);
  darkcharge::validate(options);

  const darkcharge::TimeSeries series = darkcharge::simulate(model, grid, options);
  const darkcharge::Column& e_b = series.column("E_B");
  const darkcharge::Column& p_b = series.column("P_B");

  std::printf("# N_B=%d N_C=%d nbar=%g trajectories=%ld seed=%llu\n", model.n_battery,
              model.n_charger, model.nbar, options.trajectories,
              static_cast<unsigned long long>(options.seed));
  std::printf("%8s %12s %10s %12s %10s\n", "t", "E_B", "E_B_err", "P_B", "P_B_err");
  for (std::size_t i = 0; i < series.time.size(); ++i) {
    std::printf("%8.3f %12.6f %10.2e %12.6f %10.2e\n", series.time[i], e_b.value[i],
                e_b.error[i], p_b.value[i], p_b.error[i]);
  }

  darkcharge::SteadyStateOptions steady_options;
  steady_options.nonlinear = false;
  const darkcharge::SteadyState steady = darkcharge::steady_state(model, steady_options);
  const double last = e_b.value.back();
  const double last_err = e_b.error.back();
  std::printf("# exact steady state E_B^ss = %.6f; trajectories at t_max: %.6f +- %.1e\n",
              steady.e_battery, last, last_err);

  // Sanity check so that the ctest run catches a broken library: starting in the ground
  // state the battery must have charged (E_B > 0) and, at zero temperature, must have
  // reached its steady state within a few standard errors (+ a small relaxation margin).
  if (!(last > 0.0)) {
    std::fprintf(stderr, "charge_battery: battery did not charge (E_B = %g)\n", last);
    return 1;
  }
  if (model.nbar == 0.0 && grid.t_max >= 2.0 &&
      std::abs(last - steady.e_battery) > 6.0 * last_err + 1e-3) {
    std::fprintf(stderr, "charge_battery: E_B(t_max) = %g +- %g disagrees with E_B^ss = %g\n",
                 last, last_err, steady.e_battery);
    return 1;
  }
  return 0;
} catch (const std::exception& error) {
  std::fprintf(stderr, "charge_battery: %s\n", error.what());
  return 2;
}
