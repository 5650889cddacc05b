#pragma once
/// @file ensemble.hpp
/// Many trajectories in parallel (OpenMP), averaged into observables with error bars.
#include <atomic>
#include <cstdint>
#include <functional>
#include <vector>

#include "darkcharge/density_matrix.hpp"
#include "darkcharge/jackknife.hpp"
#include "darkcharge/model.hpp"
#include "darkcharge/time_grid.hpp"
#include "darkcharge/time_series.hpp"

namespace darkcharge {

struct EnsembleOptions {
  long trajectories = 10000;  ///< number of trajectories n
  std::uint64_t seed = 1;     ///< master seed; trajectory k uses (seed, k) only
  int threads = 0;            ///< OpenMP threads; 0 = OpenMP's default
  int blocks = 32;            ///< trajectory blocks (reduction order, jackknife); <= n used
  /// W_B and W_B_sym: battery level populations, from Clebsch-Gordan columns computed on
  /// demand (ProductBasis: memory at most ProductBasis::table_size doubles per thread) at a
  /// cost of (2 min(j_C,j_B)+1) per active coupled J, trajectory and output time.
  bool ergotropy = true;
  /// S_B, dS_B_dt and the averaged joint state (EnsembleResult::density). Memory ~ blocks x
  /// points x (visited M) x (2 min(j_C,j_B)+1)^2 doubles.
  bool entanglement = true;
  /// EnsembleResult::sectors, the population of each total J.
  bool sector_populations = false;
  /// Refuse a per-thread Clebsch-Gordan cache bound (ProductBasis::table_size) larger than
  /// this many doubles (2 GB by default).
  double max_table_doubles = 2.5e8;
  /// When non-null and set (from any thread or a signal handler), no further trajectory is
  /// started and run_ensemble throws Interrupted. Owned by the caller.
  const std::atomic<bool>* stop = nullptr;
};

/// Called from one thread now and then with (trajectories done, total).
using ProgressCallback = std::function<void(long done, long total)>;

/// Peak features (paper Fig. 2e and Fig. 5), each with a jackknife error.
struct PeakSummary {
  Estimate power_max;                   ///< P_B^max
  Estimate power_max_time;              ///< its time
  Estimate entanglement_rate_max;       ///< largest interior local maximum of dS_B/dt
  Estimate entanglement_rate_max_time;  ///< its time
  Estimate lag;                         ///< time(dS_B/dt max) - time(P_B^max)
  // The three above are NaN without S_B, or when dS_B/dt has no interior local maximum
  // (small systems: the rate is largest at t = 0); the jackknife then gives NaN too.
};

struct EnsembleResult {
  TimeSeries series;
  PeakSummary peaks;
  std::vector<DensityMatrix> density;  ///< averaged state per grid time (if entanglement)
  /// Population of each total-J sector ("J=<value>" columns; jackknife errors). Total J is
  /// conserved, so these stay at their initial values: a built-in consistency check.
  TimeSeries sectors;
};

/// Largest trajectory count: trajectories x blocks (block boundaries) stays inside 64 bits.
constexpr long kMaxTrajectories = 1'000'000'000'000'000L;
/// Largest block count and thread count accepted.
constexpr int kMaxBlocks = 4096;
constexpr int kMaxThreads = 1024;

/// Throws InvalidArgument unless 1 <= trajectories <= kMaxTrajectories,
/// 0 <= threads <= kMaxThreads, 2 <= blocks <= kMaxBlocks.
void validate(const EnsembleOptions& options);

/// Runs the ensemble. Columns (physics.md): E_B, E_C, P_B, W_open, dark (mean and standard
/// error over trajectories); with `ergotropy` W_B, W_B_sym (NaN unless the battery stays
/// symmetric); with `entanglement` S_B and dS_B_dt. Nonlinear columns are jackknife
/// bias-corrected with jackknife errors.
/// Identical output for any thread count.
EnsembleResult run_ensemble(const Model& model, const TimeGrid& grid,
                            const EnsembleOptions& options, const ProgressCallback& progress = {});

/// run_ensemble(...).series.
TimeSeries simulate(const Model& model, const TimeGrid& grid, const EnsembleOptions& options,
                    const ProgressCallback& progress = {});

/// The peak features of a curve set without errors (for exact results).
PeakSummary peak_summary(const TimeSeries& series, const TimeGrid& grid);

}  // namespace darkcharge
