// Throughput benchmark of the trajectory engine and of the exact nbar = 0 cascade
// (Sampling::cascade, cases "cascade-*"; performance targets, docs/performance.md).
// Usage: darkcharge_bench [case ...]; with no argument runs every case. Wall-clock timing
// of the library's simulate(); best of `repeats` runs to reduce noise from the machine.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "darkcharge/ensemble/ensemble.hpp"

using namespace darkcharge;

struct BenchCase {
  std::string name;
  int nb, nc;
  double nbar;
  double t_max;
  int points;
  long trajectories;
  int threads;
  int repeats;
  std::string target;
  std::string observables = "linear";  // "linear" (E_B,E_C,P_B,W_open,dark), "+W", "+W+S", "E_B"
  Sampling sampling = Sampling::trajectories;
};

const std::vector<BenchCase> kCases = {
    {"small-1thread", 2, 10, 0.0, 3.0, 301, 200000, 1, 3, ">= 50000 trajectories/s"},
    {"small-warm-1thread", 2, 10, 0.5, 3.0, 301, 50000, 1, 3, "(nbar > 0 reference)"},
    {"small-all-1thread", 2, 10, 0.0, 3.0, 301, 200000, 1, 3, "within 2x of E_B only", "+W+S"},
    {"small-EB-1thread", 2, 10, 0.0, 3.0, 301, 200000, 1, 3, "<= 1.5 us per trajectory", "E_B"},
    {"nb100-nc1000-2threads", 100, 1000, 0.0, 3.0, 301, 1000, 2, 1, "1000 trajectories < 10 s"},
    {"nb100-nc1000-1thread", 100, 1000, 0.0, 3.0, 301, 500, 1, 1, "(parallel efficiency)"},
    {"nb100-nc1000-W-2threads", 100, 1000, 0.0, 3.0, 31, 1000, 2, 1, "(with W_B, W_B_sym)", "+W"},
    {"nb50-nc250-S-2threads", 50, 250, 0.0, 1.0, 11, 1000, 2, 1, "(with S_B: cost of negativity)", "+W+S"},
    {"nb30-nc90-thermal-2threads", 30, 90, 0.5, 1.0, 101, 4000, 2, 1, "thermal, 4000 traj in seconds", "+W"},
    // Sizes beyond the reach of density matrices, and their parallel efficiency.
    {"nb100-nc1000-t0.3-2threads", 100, 1000, 0.0, 0.3, 31, 20000, 2, 3, "2000 traj < 10 s"},
    {"nb100-nc1000-t0.3-1thread", 100, 1000, 0.0, 0.3, 31, 20000, 1, 3, "(2 vs 1 thread)"},
    {"nb1000-nc10000-2threads", 1000, 10000, 0.0, 0.03, 16, 2000, 2, 3, "500 traj < 30 s, < 1 GiB"},
    {"nb1000-nc10000-1thread", 1000, 10000, 0.0, 0.03, 16, 2000, 1, 3, "(2 vs 1 thread)"},
    // W_B through the burst at 10^4 spins (Clebsch-Gordan columns on demand), and
    // the default columns at N_B = 100 on 2 threads against 1.
    {"nb1000-nc10000-W-2threads", 1000, 10000, 0.0, 0.005, 51, 500, 2, 3, "W_B: < 30 s, < 1 GiB", "+W"},
    {"nb100-nc1000-t0.3-W-2threads", 100, 1000, 0.0, 0.3, 31, 2000, 2, 5, "default columns: >= 1.8x", "+W"},
    {"nb100-nc1000-t0.3-W-1thread", 100, 1000, 0.0, 0.3, 31, 2000, 1, 5, "(2 vs 1 thread)", "+W"},
    // The exact cascade, simulate's default at nbar = 0 (no trajectories: "traj" is unused).
    {"cascade-small-all-1thread", 2, 10, 0.0, 3.0, 301, 0, 1, 5, "every column exact", "+W+S", Sampling::cascade},
    {"cascade-small-linear-1thread", 2, 10, 0.0, 3.0, 301, 0, 1, 5, "(linear columns)", "linear", Sampling::cascade},
    {"cascade-nb100-burst-S-2threads", 100, 1000, 0.0, 0.02, 21, 0, 2, 1, "S_B: < 60 s, < 2 GiB", "+W+S", Sampling::cascade},
    {"cascade-nb200-burst-S-2threads", 200, 2000, 0.0, 0.02, 21, 0, 2, 1, "S_B: < 10 min", "+W+S", Sampling::cascade},
    {"cascade-nb100-default-2threads", 100, 1000, 0.0, 0.06, 201, 0, 2, 1, "default run: >= 1.8x", "+W+S", Sampling::cascade},
    {"cascade-nb100-default-1thread", 100, 1000, 0.0, 0.06, 201, 0, 1, 1, "(2 vs 1 thread)", "+W+S", Sampling::cascade},
};

double run(const BenchCase& c) {
  Model model;
  model.n_battery = c.nb;
  model.n_charger = c.nc;
  model.nbar = c.nbar;
  EnsembleOptions options;
  options.sampling = c.sampling;
  options.trajectories = std::max(1L, c.trajectories);
  options.threads = c.threads;
  options.ergotropy = c.observables.find("+W") != std::string::npos;
  options.entanglement = c.observables.find("+S") != std::string::npos;
  if (c.observables == "E_B") options.observables = {"E_B"};
  double best = 1e300;
  for (int r = 0; r < c.repeats; ++r) {
    const auto start = std::chrono::steady_clock::now();
    const TimeSeries s = simulate(model, TimeGrid{c.t_max, c.points}, options);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    best = std::min(best, seconds);
    if (s.column("E_B").value.empty()) return -1;  // keep the result alive
  }
  return best;
}

int main(int argc, char** argv) {
  fmt::print("{:<28} {:>5} {:>6} {:>5} {:>6} {:>6} {:>7} {:>7} {:>9} {:>10} {:>10}  {}\n",
             "case", "N_B", "N_C", "nbar", "t_max", "points", "columns", "threads", "traj",
             "seconds", "traj/s", "target");
  for (const auto& c : kCases) {
    bool selected = argc == 1;
    for (int i = 1; i < argc; ++i) selected |= c.name == argv[i];
    if (!selected) continue;
    const double seconds = run(c);
    fmt::print("{:<28} {:>5} {:>6} {:>5} {:>6} {:>6} {:>7} {:>7} {:>9} {:>10.3f} {:>10.0f}  {}\n",
               c.name, c.nb, c.nc, c.nbar, c.t_max, c.points, c.observables, c.threads,
               c.trajectories, seconds, c.trajectories / seconds, c.target);
    // (cascade cases: traj = 0, traj/s = 0; only the seconds count)
    std::fflush(stdout);
  }
}
