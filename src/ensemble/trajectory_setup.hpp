#pragma once
// What a trajectory run is made of: its observables (registry order), where each one's
// sampled values sit in the per-unit row, and the product basis when some observable needs
// product amplitudes. Built once per run; every unit (in any thread or process) uses it,
// so that unit results fit together.
#include <memory>
#include <string>
#include <vector>

#include "darkcharge/core/time_grid.hpp"
#include "darkcharge/physics/model.hpp"
#include "darkcharge/run/observable.hpp"
#include "darkcharge/run/run_options.hpp"
#include "run/ensemble_runner.hpp"

namespace darkcharge {

struct TrajectorySetup {
  std::vector<std::unique_ptr<Observable>> observables;
  std::vector<std::string> unit_names;
  std::unique_ptr<ProductBasis> basis;
  RunPlan plan;
  TrajectorySetup(const Model& model, const TimeGrid& grid, const EnsembleOptions& options)
      : plan{model, grid, options, {}, {}, 0, nullptr} {}
};

/// The observables of units_to_run(options) and the row layout; the product basis of the
/// battery sectors the initial state visits (InvalidArgument when its Clebsch-Gordan tables
/// exceed options.max_table_doubles). The arguments must outlive the result.
std::unique_ptr<TrajectorySetup> make_trajectory_setup(const Model& model, const TimeGrid& grid,
                                                       const EnsembleOptions& options);

}  // namespace darkcharge
