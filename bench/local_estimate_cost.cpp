// The CPU time of the estimate after the local-noise trajectories (W_B and W_B_sym: the
// root-n corrected ergotropy of the battery's level populations per sector j_B, with its
// jackknife over blocks) against the resource estimate's share for it (bench/README.md,
// "The estimate after the local-noise trajectories").
// Usage: darkcharge_local_estimate_cost [N_B ...], or one case: --case N_B N_C nbar
// ground|thermal decay dephasing t_max points trajectories; run with OMP_NUM_THREADS=1. The measured
// time is the process's CPU time from the start of the phase "estimate W_B" to the end of
// run_ensemble() (the linear columns before it take microseconds); one thread, nbar = 0.2,
// thermal battery, N_C = N_B, single-spin dephasing on both ensembles.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <ctime>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "darkcharge/darkcharge.hpp"

using namespace darkcharge;

namespace {

double cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return double(t.tv_sec) + 1e-9 * double(t.tv_nsec);
}

struct Case {
  int nb;
  double dephasing, t_max;
  int points;
  long trajectories;
  bool thermal = true;  // else the battery starts in its ground level (one sector)
  int nc = 0;           // 0: N_B
  double nbar = 0.2, decay = 0;
};

void run(const Case& c) {
  Model m;
  m.n_battery = c.nb;
  m.n_charger = c.nc > 0 ? c.nc : c.nb;
  m.nbar = c.nbar;
  m.battery_init = c.thermal ? BatteryInit::thermal : BatteryInit::ground;
  m.local.charger.dephasing = m.local.battery.dephasing = c.dephasing;
  m.local.charger.decay = m.local.battery.decay = c.decay;
  const TimeGrid grid{c.t_max, c.points};
  EnsembleOptions options;
  options.sampling = Sampling::trajectories;
  options.trajectories = c.trajectories;
  options.seed = 3;
  options.threads = 1;
  // The default columns: W_B among them, and every battery sector's population (to count
  // the sectors the trajectories visit).
  const std::vector<std::string> columns;
  plan_accumulators(m, grid, columns, false, false, options);
  RunRequest request;
  request.command = "simulate";
  request.model = m;
  request.grid = grid;
  request.ensemble = options;
  request.observables = columns;
  EnsemblePlan plan = plan_ensemble(m, grid, options);
  const ResourceEstimate estimate = estimate_resources(request, &plan);
  double phase_start = -1;
  plan.options.on_phase = [&](const std::string& name) {
    if (name == "estimate W_B") phase_start = cpu_seconds();
  };
  const double start = cpu_seconds();
  const EnsembleResult r = run_ensemble(plan);
  const double end = cpu_seconds();
  const double measured = end - phase_start;
  fmt::print("| {} | {} | {:g} | {:g} | {} | {} | {:.3g} | {:.3g} | {:.3g} | {:.2f} |\n", c.nb,
             c.thermal ? "thermal" : "ground", c.dephasing, c.t_max, c.points, c.trajectories,
             phase_start - start,
             estimate.estimate_seconds, measured, estimate.estimate_seconds / measured);
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 11 && std::string(argv[1]) == "--case") {  // N_B N_C nbar ground|thermal decay dephasing t_max points n
    Case c{std::atoi(argv[2]), std::atof(argv[7]), std::atof(argv[8]), std::atoi(argv[9]), std::atol(argv[10]),
           std::string(argv[5]) == "thermal", std::atoi(argv[3]), std::atof(argv[4]), std::atof(argv[6])};
    run(c);
    return 0;
  }
  std::vector<int> sizes;
  for (int i = 1; i < argc; ++i) sizes.push_back(std::atoi(argv[i]));
  if (sizes.empty()) sizes = {50, 200, 500, 1000, 2000};
  fmt::print("| N_B | battery | g_phi | t_max | points | trajectories | trajectories CPU (s) "
             "| estimated (s) | measured CPU (s) | estimated / measured |\n");
  fmt::print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
  for (int nb : sizes)
    for (const Case& c : {Case{nb, 0.01, 1.0, 21, 256}, Case{nb, 0.1, 1.0, 21, 256},
                          Case{nb, 0.1, 1.0, 81, 256}, Case{nb, 0.1, 1.0, 21, 16},
                          Case{nb, 0.1, 1.0, 21, 1024}, Case{nb, 0.1, 1.0, 21, 256, false},
                          Case{nb, 1.0, 1.0, 21, 256, false}, Case{nb, 1.0, 1.0, 21, 256}})
      // From N_B = 1000 on (a minute a case) the times and trajectories are not varied.
      if (nb < 1000 || (c.points == 21 && c.trajectories <= 256)) run(c);
}
