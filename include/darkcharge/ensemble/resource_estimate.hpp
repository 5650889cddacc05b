#pragma once
/// @file resource_estimate.hpp
/// Memory and CPU time of a run, estimated from its request before anything is allocated,
/// so that a run that cannot finish is refused at once with the estimate and the option that
/// raises the limit (max_memory, max_cpu_hours, max_dimension), instead of failing with
/// std::bad_alloc, being killed, or running for days. Both front ends (the CLI and the
/// Python module) call these checks; only the spelling of the option names differs.
///
/// The memory terms model the library's own allocations (block accumulators of the
/// ensemble runner, Clebsch-Gordan tables, the thermal initial mixture, dense matrices of
/// the exact solver); they are upper-bound-like (every total M assumed visited by a block's
/// trajectories). CPU time is rough: counts of jumps, observations and matrix operations
/// times per-operation costs calibrated on one machine (see resource_estimate.cpp).
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "darkcharge/core/time_grid.hpp"
#include "darkcharge/ensemble/plan.hpp"
#include "darkcharge/physics/model.hpp"
#include "darkcharge/run/run_options.hpp"

namespace darkcharge {

/// How refusals spell an option: `--max-memory` (command line) or `max_memory` (Python).
enum class OptionStyle { cli, python };

/// `snake` ("max_memory", "t_max") as the front end spells it.
std::string option_name(const std::string& snake, OptionStyle style);

/// What a front end asks to run, as far as its cost depends on it.
struct RunRequest {
  std::string command;                   ///< "simulate", "exact" or "steady"
  Model model;
  TimeGrid grid{2.0, 201};               ///< simulate and exact
  EnsembleOptions ensemble;              ///< simulate, after plan_accumulators()
  std::vector<std::string> observables;  ///< as asked for (empty: the default set)
  std::vector<double> temperatures;      ///< steady: one row each
  std::vector<double> nbar_values;       ///< steady: one row each
  std::string exact_method = "coupled";  ///< exact: "coupled" or "product"
  std::vector<double> state_times;       ///< exact: times whose state is written (the coupled
                                         ///< solver then builds every pair of chains)
  long max_dimension = 2000;             ///< exact, method product
  bool checkpoint = false;               ///< simulate writes a checkpoint
  std::size_t protocol_bytes = 0;        ///< simulate through a protocol: its protocol_json() length
  std::optional<double> max_memory_gib;  ///< unset: the machine's physical memory
  double max_cpu_hours = 24;
  OptionStyle names = OptionStyle::cli;  ///< how refusals spell the options
};

struct ResourceEstimate {
  double bytes = 0;          ///< peak memory
  double cpu_seconds = 0;    ///< summed over threads
  /// Of cpu_seconds, the estimate after the trajectories (W_B, S_B and their jackknives
  /// over blocks), which the time limit and Ctrl-C bound as a phase of its own.
  double estimate_seconds = 0;
  std::string work;          ///< what dominates the time, e.g. "2.1e+12 quantum jumps"
  bool trajectories = false; ///< simulate draws trajectories (not the exact cascade)
};

/// The estimate for the run `o` describes; for simulate, the sampling `plan` chose (chosen
/// here when null).
ResourceEstimate estimate_resources(const RunRequest& o, const EnsemblePlan* plan = nullptr);

/// Throws InvalidArgument, naming the option that controls the limit, if the run is beyond
/// max_memory, max_cpu_hours or (exact) max_dimension, or if steady-state W_B/S_B were
/// asked for beyond the Clebsch-Gordan table limit. Returns the estimate it checked.
ResourceEstimate check_resources(const RunRequest& o, const EnsemblePlan* plan = nullptr);

/// Throws InvalidArgument naming gamma, nbar or temperature when the rates overflow double
/// arithmetic (check_resources() starts with it; simulate calls it before planning).
void check_rate_scale(const RunRequest& o);

/// Size (doubles) of the full Clebsch-Gordan tables of the populated battery sectors, sum
/// over (j_B, M) of n(M)^2 in O(N_B): what the steady state's block-diagonal density matrix
/// holds (block_diagonal_size). simulate's per-thread bound is ProductBasis::table_size.
double clebsch_gordan_table_doubles(const Model& model);

/// The model of the steady row with the largest nbar (temperatures, nbar_values): it
/// populates the most battery sectors.
Model steady_worst_model(const RunRequest& o);

/// Whether steady computes W_B, W_B_sym and S_B: asked for (or by default) and within the
/// table limit. By default they are left out (nan, with a note) beyond it.
bool steady_nonlinear_computed(const RunRequest& o);

/// The largest checkpoint the simulate run `o` (after plan_accumulators()) can write: every
/// work unit's bytes at their upper bound (every battery sector and (j_B, M) block visited
/// at every time, one P(n, t) entry per trajectory, recorded trajectories with 100 times
/// their expected jumps plus N). Resuming refuses larger files unread.
double checkpoint_max_bytes(const RunRequest& o);

/// The default of max_memory: the machine's physical memory, in GiB.
double physical_memory_gib();

}  // namespace darkcharge
