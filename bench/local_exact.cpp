// Benchmark of the exact solver with local noise (exact/reduced_dicke_solver.hpp): the two
// target cases of the local-noise brief, or one case from the command line
//   local_exact N_B N_C nbar g_down g_up g_phi t_max points
// (the same rates on charger and battery). Prints the cost estimate, the wall time and a few
// values; run it under /usr/bin/time -v for the peak memory (bench/local_exact.sh).
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include <omp.h>

#include "darkcharge/exact/reduced_dicke_solver.hpp"

using namespace darkcharge;

namespace {

void run(int nb, int nc, double nbar, double down, double up, double phi, double t_max, int points) {
  Model model;
  model.n_battery = nb;
  model.n_charger = nc;
  model.nbar = nbar;
  model.battery_init = BatteryInit::ground;
  LocalNoise noise;
  noise.charger = noise.battery = LocalRates{down, up, phi};
  const TimeGrid grid{t_max, points};
  ReducedDickeOptions options;
  options.max_seconds = 1e9;
  options.max_memory_gib = 64;
  const ReducedDickeCost cost = estimate_reduced_dicke_cost(model, noise, grid, options);
  const auto start = std::chrono::steady_clock::now();
  const TimeSeries s = solve_exact_local(model, noise, grid, options);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("N_B=%d N_C=%d nbar=%g g_down=%g g_up=%g g_phi=%g t=[0,%g] %d points, %d threads\n", nb, nc,
              nbar, down, up, phi, t_max, points, omp_get_max_threads());
  std::printf("  estimate: %s; %.3g GiB, %.3g s\n", cost.size.c_str(), cost.memory_gib, cost.seconds);
  std::printf("  measured: %.3f s (estimate/actual %.2f)\n", seconds, cost.seconds / seconds);
  const int last = points - 1;
  std::printf("  t=%g: E_B=%.10f E_C=%.10f W_B=%.10f S_B=%.10f dark=%.10f\n", s.time[last],
              s.column("E_B").value[last], s.column("E_C").value[last], s.column("W_B").value[last],
              s.column("S_B").value[last], s.column("dark").value[last]);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 9) {
    run(std::atoi(argv[1]), std::atoi(argv[2]), std::atof(argv[3]), std::atof(argv[4]), std::atof(argv[5]),
        std::atof(argv[6]), std::atof(argv[7]), std::atoi(argv[8]));
    return 0;
  }
  run(10, 40, 0.0, 0.1, 0.0, 0.2, 2.0, 41);   // target < 5 s on 2 threads
  run(20, 60, 0.2, 0.05, 0.01, 0.1, 1.0, 21);  // target < 60 s
  return 0;
}
