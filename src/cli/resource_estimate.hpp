#pragma once
// Memory and CPU time of a run, estimated from its options before anything is allocated,
// so that a run that cannot finish is refused at once with the estimate and the option that
// raises the limit (--max-memory, --max-cpu-hours, --max-dimension), instead of failing
// with std::bad_alloc, being killed, or running for days.
//
// The memory terms model the library's own allocations (block accumulators of the
// ensemble runner, Clebsch-Gordan tables, the thermal initial mixture, dense matrices of
// the exact solver); they are upper-bound-like (every total M assumed visited by a block's
// trajectories). CPU time is rough: counts of jumps, observations and matrix operations
// times per-operation costs calibrated on one machine (see resource_estimate.cpp).
#include <string>
#include <vector>

#include "cli_options.hpp"

namespace darkcharge::cli {

struct ResourceEstimate {
  double bytes = 0;          ///< peak memory
  double cpu_seconds = 0;    ///< summed over threads
  std::string work;          ///< what dominates the time, e.g. "2.1e+12 quantum jumps"
  bool trajectories = false; ///< simulate draws trajectories (not the exact cascade)
};

/// The estimate for the run `o` describes (after finalize() and plan of accumulators); for
/// simulate, the sampling `plan` chose (chosen here when null).
ResourceEstimate estimate_resources(const Options& o, const EnsemblePlan* plan = nullptr);

/// Throws InvalidArgument, naming the option that controls the limit, if the run is beyond
/// --max-memory, --max-cpu-hours or (exact) --max-dimension, or if steady-state W_B/S_B
/// were asked for beyond the Clebsch-Gordan table limit. Returns the estimate it checked.
ResourceEstimate check_resources(const Options& o, const EnsemblePlan* plan = nullptr);

/// Throws InvalidArgument naming --gamma, --nbar or --temperature when the rates overflow
/// double arithmetic (check_resources() starts with it; simulate calls it before planning).
void check_rate_scale(const Options& o);

/// Size (doubles) of the full Clebsch-Gordan tables of the populated battery sectors, sum
/// over (j_B, M) of n(M)^2 in O(N_B): what the steady state's block-diagonal density matrix
/// holds (block_diagonal_size). simulate's per-thread bound is ProductBasis::table_size.
double clebsch_gordan_table_doubles(const Model& model);

/// The model of the steady row with the largest nbar (--temperatures, --nbar-values): it
/// populates the most battery sectors.
Model steady_worst_model(const Options& o);

/// Whether steady computes W_B, W_B_sym and S_B: asked for (or by default) and within the
/// table limit. By default they are left out (nan, with a note) beyond it.
bool steady_nonlinear_computed(const Options& o);

/// The largest checkpoint the simulate run `o` (after finalize() and plan of accumulators)
/// can write: every work unit's bytes at their upper bound (every battery sector and (j_B, M)
/// block visited at every time, one P(n, t) entry per trajectory, recorded trajectories
/// with 100 times their expected jumps plus N). resume refuses larger files unread.
double checkpoint_max_bytes(const Options& o);

/// The default of --max-memory: the machine's physical memory, in GiB.
double physical_memory_gib();

}  // namespace darkcharge::cli
