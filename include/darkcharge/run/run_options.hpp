#pragma once
/// @file run_options.hpp
/// What a caller sets for an ensemble run: the sampling method, trajectory count and seed,
/// threads, blocks, columns, side outputs, checkpoints and stopping rules; and how the
/// trajectories are split into work units. Plain data, read by every layer above.
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "darkcharge/core/progress.hpp"

namespace darkcharge {

/// How run_ensemble() samples the master equation's unravelling.
enum class Sampling {
  /// `cascade` when it applies (nbar = 0) and its estimated cost fits
  /// EnsembleOptions::cascade_budget_seconds, otherwise `trajectories`.
  automatic,
  /// Quantum-jump trajectories, averaged with error bars (any nbar).
  trajectories,
  /// nbar = 0 only: no sampling at all. Every trajectory that has emitted k quanta holds the
  /// same state psi(M0 - k, t) (zero_temperature_cascade.hpp), so the trajectory average is
  /// sum_k P(k, t) |psi><psi| with P the exactly integrated distribution of the emitted
  /// count -- the Rao-Blackwell limit of the trajectory estimator. Every column, the
  /// emission record's statistics (N_em, F_em, P(n, t)) included, comes out exact (error 0,
  /// error method "exact"); only the jump records (record_trajectories) are drawn.
  cascade,
  /// With local (single-spin) noise, chosen by `automatic` when the reduced Dicke-basis
  /// solver (solve_exact_local) is estimated cheap: no sampling, every column exact (error
  /// 0). Not a parse_sampling() name: `darkcharge exact` runs that solver directly.
  exact,
};
/// "auto", "trajectories", "cascade".
Sampling parse_sampling(const std::string& name);
const char* to_string(Sampling sampling);

/// Largest number of (output time, M) pairs for which the nbar = 0 counting path keeps a
/// row per pair (EnsembleOptions::counting_memory_bytes); beyond it every trajectory is
/// evaluated at every time.
constexpr long kMaxCountedStates = 1 << 18;

struct EnsembleOptions {
  /// Sampling::automatic picks the exact cascade at nbar = 0, or with local noise the exact
  /// reduced Dicke-basis solver, when it is cheap enough.
  Sampling sampling = Sampling::automatic;
  /// Largest estimated single-core cost (seconds, estimate_coupled_exact_cost) at which
  /// Sampling::automatic takes the cascade; the estimate is pessimistic by ~3x.
  double cascade_budget_seconds = 120;
  /// Largest estimated peak memory (GiB) of the cascade: Sampling::automatic takes it only
  /// below this, and Sampling::cascade refuses (InvalidArgument) above it.
  double cascade_max_memory_gib = 4.0;
  /// The cascade path builds EnsembleResult::density only at the grid times nearest these
  /// (the trajectory path keeps it at every time when S_B is computed).
  std::vector<double> state_times;
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
  /// With local (single-spin) noise, S_B and dS_B_dt keep psi psi^T per block, output time
  /// and visited (j_C, j_B, M): a run whose estimate of that memory exceeds this many GiB is
  /// refused (InvalidArgument).
  double entanglement_max_memory_gib = 4.0;
  /// EnsembleResult::sectors, the population of each total J.
  bool sector_populations = false;
  /// Columns to compute (observable_registry.hpp names; see plan_observables()). Empty: the
  /// registry's default columns, with W_B, W_B_sym only if `ergotropy` and S_B, dS_B_dt only
  /// if `entanglement`.
  std::vector<std::string> observables;
  /// Times (nearest grid time) at which EnsembleResult::emission_counts gives P(n, t).
  std::vector<double> count_times;
  /// Keep the jump records of trajectories 0 .. record_trajectories - 1.
  long record_trajectories = 0;
  /// Trajectories per work unit; 0 = automatic: 1 to 8 units per block, >= 256 trajectories
  /// each where possible; with target_errors, units that grow round by round from a first
  /// round of ~256 trajectories (work_layout()), whatever the cap. Units are the
  /// grain of parallel work, checkpoints and stopping decisions; blocks fold their units in
  /// a fixed order, so results depend on this, `blocks`, `trajectories` and `seed` only.
  long unit_trajectories = 0;
  /// Serialized results of units already run (a checkpoint), by unit index: not run again.
  std::map<long, std::string> completed_units;
  /// Called after each unit finishes with its index and serialized result (from a worker
  /// thread, one call at a time): what a checkpoint stores.
  std::function<void(long unit, const std::string& bytes)> on_unit_done;
  /// Stop when every named column's largest error over the grid (NaN errors ignored) is <=
  /// its bound; `trajectories` is then the upper bound. Checked after every round of
  /// `blocks` units, from those units only: the stopping point is the same for any threads.
  /// With automatic units the checks come after ~256 trajectories and then every 25% more,
  /// so the run stops within 1.25x of the first checked count at which the bounds hold,
  /// for any cap.
  std::vector<std::pair<std::string, double>> target_errors;
  /// Start no unit after this many seconds (0: no limit); the result holds the units done.
  /// The estimate after the trajectories is bounded too (bounded_phase.hpp): the times it
  /// did not reach are NaN with a note, and the stop reason is "time-limit".
  double time_limit = 0;
  /// When set, a unit not in completed_units is run only if run_unit(u) is true; otherwise
  /// it is missing and the result holds what there is, with stop_reason "incomplete" (with
  /// target_errors: decided up to the first round with a missing unit). For drivers that
  /// spread units over processes and reduce them in one (MPI).
  std::function<bool(long unit)> run_unit;
  /// Refuse a per-thread Clebsch-Gordan cache bound (ProductBasis::table_size) larger than
  /// this many doubles (2 GB by default).
  double max_table_doubles = 2.5e8;
  /// At nbar = 0 a work unit remembers each (output time, M) state it met once and then
  /// counts trajectories (ensemble_runner.cpp; when (N + 1) x points <= kMaxCountedStates);
  /// past this many bytes of remembered record entries per unit (per running thread) it
  /// adds them and starts remembering afresh.
  double counting_memory_bytes = 64.0 * (1 << 20);
  /// When non-null and set (from any thread or a signal handler), no further trajectory is
  /// started and run_ensemble throws Interrupted. Owned by the caller.
  const std::atomic<bool>* stop = nullptr;
  /// Called, when set, as the run enters a phase after its trajectories (the costly
  /// estimates, e.g. "estimate S_B"); the progress callback then counts that phase's times.
  PhaseCallback on_phase;
};

/// How trajectories are split (see EnsembleOptions::unit_trajectories). Unit u belongs to
/// block u mod B, and a round is B consecutive units. Fixed units: unit u holds trajectories
/// [u U, min(n, (u + 1) U)). Growing units (round_start not empty): the B units of round r
/// hold U_r trajectories each from round_start[r] on, and each round adds a quarter of the
/// trajectories before it, so a run that stops at a round boundary stops at counts 1.25x
/// apart.
struct WorkLayout {
  long trajectories = 0;  ///< n, the upper bound
  int blocks = 0;         ///< B = min(options.blocks, n)
  long unit_size = 1;     ///< U (fixed units), or U_0 (growing units)
  std::vector<long> round_start;  ///< growing units: first trajectory of each round, and n

  long units() const;
  long first(long u) const;
  long end(long u) const;
  int block_of(long u) const { return static_cast<int>(u % blocks); }

 private:
  long round_unit_size(long r) const { return (round_start[r + 1] - round_start[r]) / blocks; }
};
WorkLayout work_layout(const EnsembleOptions& options);

/// Largest trajectory count: trajectories x blocks (block boundaries) stays inside 64 bits.
constexpr long kMaxTrajectories = 1'000'000'000'000'000L;
/// Largest block count and thread count accepted.
constexpr int kMaxBlocks = 4096;
constexpr int kMaxThreads = 1024;

/// Throws InvalidArgument unless 1 <= trajectories <= kMaxTrajectories,
/// 0 <= threads <= kMaxThreads, 2 <= blocks <= kMaxBlocks.
void validate(const EnsembleOptions& options);

}  // namespace darkcharge
