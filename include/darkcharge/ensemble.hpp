#pragma once
/// @file ensemble.hpp
/// Many trajectories in parallel (OpenMP), averaged into observables with error bars.
#include <cstdint>
#include <functional>

#include "darkcharge/model.hpp"
#include "darkcharge/time_grid.hpp"
#include "darkcharge/time_series.hpp"

namespace darkcharge {

struct EnsembleOptions {
  long trajectories = 10000;  ///< number of trajectories n
  std::uint64_t seed = 1;     ///< master seed; trajectory k uses (seed, k) only
  int threads = 0;            ///< OpenMP threads; 0 = OpenMP's default
  int blocks = 64;            ///< trajectory blocks (reduction order, jackknife); <= n used
};

/// Called from one thread now and then with (trajectories done, total).
using ProgressCallback = std::function<void(long done, long total)>;

/// Throws InvalidArgument unless trajectories >= 1, threads >= 0, blocks >= 2.
void validate(const EnsembleOptions& options);

/// Runs the ensemble. Columns (physics.md): E_B, E_C, P_B, W_open, dark, each the mean over
/// trajectories with its standard error. Identical output for any thread count.
TimeSeries simulate(const Model& model, const TimeGrid& grid, const EnsembleOptions& options,
                    const ProgressCallback& progress = {});

}  // namespace darkcharge
