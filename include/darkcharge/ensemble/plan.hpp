#pragma once
/// @file plan.hpp
/// A run is planned once: its inputs validated, its sampling method chosen (with the cost
/// estimate that decided it), before anything expensive starts. The front ends show the plan
/// (notes, resource estimates) and run_ensemble() consumes it, so nothing is validated or
/// estimated twice.
#include <optional>
#include <string>

#include "darkcharge/core/time_grid.hpp"
#include "darkcharge/physics/model.hpp"
#include "darkcharge/physics/protocol.hpp"
#include "darkcharge/run/run_options.hpp"

namespace darkcharge {

/// The sampling run_ensemble() will use for these options (resolves Sampling::automatic),
/// and the reason, for notes. Throws InvalidArgument for Sampling::cascade at nbar > 0 or
/// with local noise. With local noise, automatic gives Sampling::exact (solve_exact_local)
/// when every requested column is one it computes and its estimated cost is within
/// cascade_budget_seconds and cascade_max_memory_gib, and trajectories otherwise.
struct SamplingChoice {
  Sampling sampling;
  std::string reason;
  /// For Sampling::cascade and Sampling::exact (the reduced Dicke-basis solver, with local
  /// noise): its estimated seconds and peak memory (GiB).
  double seconds = 0, memory_gib = 0;
};
SamplingChoice choose_sampling(const Model& model, const TimeGrid& grid,
                               const EnsembleOptions& options);

/// The same for a protocol of more than one plain segment: cascade refused; automatic gives
/// Sampling::exact (solve_exact_protocol) under the same budget and columns rule, else
/// trajectories (the local-noise trajectories through the segments, run_local_protocol).
SamplingChoice choose_protocol_sampling(const Protocol& protocol, const TimeGrid& grid,
                                        const EnsembleOptions& options);

/// Validated inputs and the chosen method: everything run_ensemble() needs.
struct EnsemblePlan {
  Model model;  ///< with a protocol: its first segment's model (initial state, N_B, N_C)
  TimeGrid grid;
  EnsembleOptions options;
  SamplingChoice sampling;
  /// Set for a protocol that is not a plain model (is_plain_model()): run_ensemble() runs
  /// it with the local-noise trajectories or the reduced Dicke-basis protocol solver.
  std::optional<Protocol> protocol;
};

/// Validates model, grid and options (InvalidArgument naming the option, before any work)
/// and chooses the sampling method.
EnsemblePlan plan_ensemble(const Model& model, const TimeGrid& grid,
                           const EnsembleOptions& options);

/// A protocol's run (protocol.hpp): validated (validate(protocol), the grid holds every
/// boundary: protocol_time_grid()), the options checked against its first segment's model.
/// A plain one (is_plain_model()) is planned as its model.
EnsemblePlan plan_ensemble(const Protocol& protocol, const TimeGrid& grid,
                           const EnsembleOptions& options);

/// Throws InvalidArgument (naming the option) unless the request can run: the model, the
/// grid and the options are valid, the count and state times lie on the grid, and every
/// target-error column is computed.
void check_request(const Model& model, const TimeGrid& grid, const EnsembleOptions& options);

}  // namespace darkcharge
