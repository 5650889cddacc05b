#pragma once
// A local-noise trajectory on its way through the segments of a protocol (local_trajectory.cpp
// runs it): its state and carried waiting-time target, where a segment ends, and the two
// engines that advance it through one segment -- product_path (G general, product Dicke basis)
// and coupled_path (G diagonal in the coupled basis |j_C j_B; J M>).
#include <algorithm>
#include <atomic>
#include <vector>

#include "darkcharge/core/rng.hpp"
#include "darkcharge/core/time_grid.hpp"
#include "darkcharge/physics/local_jump_state.hpp"
#include "darkcharge/physics/model.hpp"
#include "darkcharge/run/local_trajectory.hpp"

namespace darkcharge::local_walk {

/// A trajectory on its way through the segments of a protocol: the normalized state at time
/// t, the next grid point to record, and the waiting-time target: the jump comes when the
/// no-jump norm ||exp(-G s) psi||^2, integrated from t on, falls to `target` (0: none drawn
/// yet; one uniform r is drawn after each jump and carried over the boundaries it outlives,
/// divided there by the norm it has lost, so the jump times are exact across segments).
struct Walk {
  LocalJumpState psi;
  double t = 0;
  int point = 0;
  double target = 0;
  LocalTrajectoryStats stats;
};

/// Where a segment ends: at `end`, the boundary whose grid time the next segment records
/// (`last`: the run's end, recorded here).
struct SegmentEnd {
  double end;
  bool last;
  /// Whether grid time `time` is recorded in this segment.
  bool records(double time) const { return last || time < end; }
};

/// The carried target after a stretch that lost the no-jump norm `survived` (in (0, 1]):
/// the jump time is unchanged by stopping at a boundary and going on from the renormalized
/// state. At most 1 (rounding), which jumps at once.
inline double carry_target(double target, double survived) { return std::min(1.0, target / survived); }

/// Draws the waiting-time target when none is carried.
inline double take_target(Walk& w, Rng& rng) {
  if (w.target == 0) w.target = 1.0 - uniform01(rng);  // in (0, 1]
  return w.target;
}

/// Normalizes psi in place; returns the squared norm it had.
double normalize(LocalJumpState& psi);

/// The stop flag, looked at every kJumpsBetweenStopChecks jumps (one relaxed load).
void throw_if_stopped(const std::atomic<bool>* stop, long jumps);

/// Index of the channel whose cumulative weight first exceeds u (u < sum of weights);
/// rounding at the top end falls back to the last channel with weight.
std::size_t pick(const std::vector<double>& weights, double u);

/// G general: the state lives in the product basis. Short blocks are diagonalised (cached);
/// long ones are propagated by Lanczos; G diagonal in the product basis (the reservoir on one
/// ensemble or none) decays each amplitude alone.
void product_path(const Model& model, const SegmentEnd& segment, const TimeGrid& grid, Rng& rng,
                  NoJumpCache& cache, const LocalRecord& record, const std::atomic<bool>* stop, Walk& w);

/// G diagonal in |j_C j_B; J M> (physics.md): the state is kept as coefficients c_J,
/// J = first_total_j + k (the columns of clebsch_gordan_block). The no-jump evolution and
/// the collective jumps act on each J alone (J^-+ |J M> = sqrt(a_J(M), b_J(M)) |J M-+1>,
/// Condon-Shortley phases), and the total local rate is sum_X [(g_down + g_up + g_phi) N_X/2]
/// + delta M. Local jumps act in this basis too (coupled_local_jump.hpp, O(L)), so product
/// amplitudes (an O(L^2) Clebsch-Gordan block) are formed only at grid times and at the
/// segment's ends.
void coupled_path(const Model& model, const SegmentEnd& segment, const TimeGrid& grid, Rng& rng,
                  const LocalRecord& record, const std::atomic<bool>* stop, Walk& w);

}  // namespace darkcharge::local_walk
