#pragma once
/// @file trajectory.hpp
/// One quantum-jump trajectory of the collective J^- / J^+ channels, exact in time: the
/// waiting time is drawn from the exact no-jump survival probability, no time step.
#include <atomic>
#include <vector>

#include "darkcharge/physics/coupled_state.hpp"
#include "darkcharge/physics/initial_state.hpp"
#include "darkcharge/physics/model.hpp"
#include "darkcharge/core/rng.hpp"
#include "darkcharge/core/time_grid.hpp"

namespace darkcharge {

/// The state of a trajectory at an output time: amplitudes `c` (not normalised; norm2 is
/// their squared norm) over the coupled basis of `state`, at M = state.total_m().
struct Snapshot {
  const CoupledState& state;
  const double* c;
  double norm2;
  /// True when the state is final: one component with no open jump channel, so it holds
  /// for every remaining output time (the range passed with it ends at the last point).
  bool frozen = false;
  /// Quanta emitted (J^- jumps) and absorbed (J^+ jumps) so far.
  long emitted = 0, absorbed = 0;
};

/// Receives a trajectory's state at output times. The same snapshot holds for every grid
/// index in [begin, end) (the state did not change between them).
class TrajectoryObserver {
 public:
  virtual ~TrajectoryObserver() = default;
  virtual void observe(int begin, int end, const Snapshot& snapshot) = 0;

  /// Observers that know the state is a function of (grid index, M) alone -- true at
  /// nbar = 0 from one initial state, where M only decreases and the relative decay
  /// (r_- + r_+) J(J+1) does not depend on M -- return true here; the trajectory then asks
  /// count_known_run() before building the state at an output time.
  virtual bool state_is_function_of_m() const { return false; }
  /// Counts this trajectory at (g, M) for the grid indices g = begin, begin + 1, ... whose
  /// state was already observed, up to the first one that was not (or `end`), and returns
  /// that index: the trajectory builds and observe()s the state there.
  virtual int count_known_run(int begin, int /*end*/, double /*total_m*/) { return begin; }

  /// Observers that return true here are told of every jump: its time, whether it emitted
  /// (J^-) or absorbed (J^+) a quantum, and M after it.
  virtual bool wants_jumps() const { return false; }
  virtual void jumped(double /*time*/, bool /*emitted*/, double /*m_after*/) {}
};

/// Jumps between two looks at the stop flag inside one trajectory: a trajectory at large
/// nbar makes millions of jumps (seconds to minutes), and a look costs one relaxed load.
constexpr long kJumpsBetweenStopChecks = 4096;

/// Runs one trajectory from `init`, reporting every grid time to `observer`. `state` and
/// `scratch` are workspaces reused between trajectories to avoid allocation. When `stop`
/// is set it is looked at every kJumpsBetweenStopChecks jumps; once true the trajectory
/// throws Interrupted (its partial record is of no use). The random stream is not touched
/// by the look, so uninterrupted results do not depend on it.
void run_trajectory(const Model& model, const InitialState& init, const TimeGrid& grid,
                    Rng& rng, TrajectoryObserver& observer, CoupledState& state,
                    std::vector<double>& scratch, const std::atomic<bool>* stop = nullptr);

}  // namespace darkcharge
