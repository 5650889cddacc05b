#include "darkcharge/ensemble.hpp"

#include <algorithm>
#include <atomic>

#include <omp.h>

#include "darkcharge/block_statistics.hpp"
#include "darkcharge/errors.hpp"
#include "darkcharge/initial_state.hpp"
#include "darkcharge/trajectory.hpp"

namespace darkcharge {
namespace {

enum LinearObservable { kEnergyBattery, kEnergyCharger, kPowerBattery, kDark, kLinearCount };

/// Turns snapshots into per-spin densities (physics.md) and adds them to a block.
class LinearObserver : public TrajectoryObserver {
 public:
  LinearObserver(const Model& model, BlockStatistics& block)
      : n_battery_(model.n_battery), n_charger_(model.n_charger), block_(block) {}

  void observe(int begin, int end, const Snapshot& s) override {
    const double jz_battery = s.battery_jz();
    const double values[kLinearCount] = {
        jz_battery / n_battery_ + 0.5,
        (s.state.total_m() - jz_battery) / n_charger_ + 0.5,
        s.power() / n_battery_,
        s.dark_population(),
    };
    for (int g = begin; g < end; ++g)
      for (int o = 0; o < kLinearCount; ++o) block_.add(g, o, values[o]);
  }

 private:
  double n_battery_, n_charger_;
  BlockStatistics& block_;
};

TimeSeries collect(const Model& model, const TimeGrid& grid,
                   const std::vector<BlockStatistics>& blocks) {
  TimeSeries out;
  for (int g = 0; g < grid.points; ++g) out.time.push_back(grid.time(g));
  const char* names[kLinearCount] = {"E_B", "E_C", "P_B", "dark"};
  for (int o = 0; o < kLinearCount; ++o) {
    Column column{names[o], std::vector<double>(grid.points), std::vector<double>(grid.points)};
    for (int g = 0; g < grid.points; ++g)
      BlockStatistics::combine(blocks, g, o, column.value[g], column.error[g]);
    out.columns.push_back(std::move(column));
  }
  // W_open = E_B - E_B^th (Eq. 8): a shift of E_B, same error.
  Column open = out.columns[kEnergyBattery];
  open.name = "W_open";
  for (double& v : open.value) v -= model.thermal_up_probability();
  out.columns.insert(out.columns.begin() + kPowerBattery + 1, std::move(open));
  return out;
}

}  // namespace

void validate(const EnsembleOptions& options) {
  check_at_least("trajectories", options.trajectories, 1);
  check_at_least("threads", options.threads, 0);
  check_at_least("blocks", options.blocks, 2);
}

TimeSeries simulate(const Model& model, const TimeGrid& grid, const EnsembleOptions& options,
                    const ProgressCallback& progress) {
  validate(model);
  validate(grid);
  validate(options);
  const long n = options.trajectories;
  const int block_count = static_cast<int>(std::min<long>(options.blocks, n));
  std::vector<BlockStatistics> blocks(block_count, BlockStatistics(grid.points, kLinearCount));
  std::atomic<long> done{0};
  const int threads = options.threads > 0 ? options.threads : omp_get_max_threads();
  std::exception_ptr failure;

#pragma omp parallel num_threads(threads)
  {
    CoupledState state;
    std::vector<double> scratch;
#pragma omp for schedule(dynamic, 1)
    for (int b = 0; b < block_count; ++b) {
      try {
        LinearObserver observer(model, blocks[b]);
        const long begin = n * b / block_count, end = n * (b + 1) / block_count;
        for (long k = begin; k < end; ++k) {
          Rng rng = trajectory_rng(options.seed, static_cast<std::uint64_t>(k));
          const InitialState init = sample_initial_state(model, rng);
          run_trajectory(model, init, grid, rng, observer, state, scratch);
          const long finished = ++done;
          if (progress && omp_get_thread_num() == 0) progress(finished, n);
        }
      } catch (...) {
#pragma omp critical(darkcharge_failure)
        if (!failure) failure = std::current_exception();
      }
    }
  }
  if (failure) std::rethrow_exception(failure);
  if (progress) progress(n, n);
  return collect(model, grid, blocks);
}

}  // namespace darkcharge
