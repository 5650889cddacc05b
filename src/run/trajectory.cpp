#include "darkcharge/run/trajectory.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "darkcharge/core/errors.hpp"

namespace darkcharge {
namespace {

// Relative weight below which the components faster than the slowest one are dropped
// between jumps; the same threshold as CoupledState's pruning.
constexpr double kNegligibleRest = 1e-40;

struct JumpCounts {
  long emitted = 0, absorbed = 0;
};

/// Keeps amplitudes away from underflow (the state is defined up to scale): rescales c on
/// [begin, end) to unit norm when its squared norm is tiny; returns the squared norm.
double rescale_if_tiny(std::vector<double>& c, int begin, int end, double norm2) {
  if (norm2 >= 1e-200) return norm2;
  const double scale = 1.0 / std::sqrt(norm2);
  for (int k = begin; k < end; ++k) c[k] *= scale;
  return 1.0;
}

/// observe_segment() for observers whose state is a function of (g, M): runs of output times
/// whose state is known are only counted; the others are built from the segment start.
int observe_segment_by_m(const CoupledState& state, const TimeGrid& grid, double t, int g,
                         int last, TrajectoryObserver& observer, std::vector<double>& c,
                         const JumpCounts& counts) {
  const int n = state.size(), begin = state.active_begin(), end = state.active_end();
  const auto& w = state.weights();
  for (; g < last; ++g) {
    g = observer.count_known_run(g, last, state.total_m());
    if (g >= last) break;
    std::fill(c.begin(), c.begin() + n, 0.0);
    double norm2 = 0;
    for (int k = begin; k < end; ++k) {
      c[k] = std::sqrt(w[k]) * std::exp(-state.relative_decay(k) * (grid.time(g) - t));
      norm2 += c[k] * c[k];
    }
    norm2 = rescale_if_tiny(c, begin, end, norm2);
    observer.observe(g, g + 1, {state, c.data(), norm2, false, counts.emitted, counts.absorbed});
  }
  return g;
}

/// Reports grid times in [t, t_next) for the segment that started at time t; returns the
/// next grid index. Between jumps c_k(t') = sqrt(w_k) exp(-delta_k (t' - t)) up to
/// normalisation, delta_k = Gamma_k - Gamma_lo; successive grid times reuse the per-step
/// factor exp(-delta_k dt). `c` holds amplitudes (zero outside the active window) and,
/// in its second half, the step factors.
int observe_segment(const CoupledState& state, const TimeGrid& grid, double t, double t_next,
                    int g, TrajectoryObserver& observer, std::vector<double>& c,
                    const JumpCounts& counts) {
  const int last = grid.first_index_not_before(t_next);  // grid times in [t, t_next)
  if (g >= last) return g;
  if (observer.state_is_function_of_m())
    return observe_segment_by_m(state, grid, t, g, last, observer, c, counts);
  const int n = state.size(), begin = state.active_begin(), end = state.active_end();
  const auto& w = state.weights();
  std::fill(c.begin(), c.begin() + n, 0.0);
  if (state.is_stationary_between_jumps()) {
    c[begin] = 1.0;
    const bool frozen = state.jump_rate(begin) == 0.0 && std::isinf(t_next);
    observer.observe(g, last, {state, c.data(), 1.0, frozen, counts.emitted, counts.absorbed});
    return last;
  }
  for (int k = begin; k < end; ++k) {
    c[k] = std::sqrt(w[k]) * std::exp(-state.relative_decay(k) * (grid.time(g) - t));
    c[n + k] = std::exp(-state.relative_decay(k) * grid.step());
  }
  for (bool first_point = true; g < last; ++g) {
    if (!first_point && !grid.equally_spaced()) {
      const double dt = grid.time(g) - grid.time(g - 1);  // explicit times: spacing varies
      for (int k = begin; k < end; ++k) c[k] *= std::exp(-state.relative_decay(k) * dt);
    } else if (!first_point) {
      for (int k = begin; k < end; ++k) c[k] *= c[n + k];
    }
    first_point = false;
    double rest = 0;  // summed directly: norm2 - c_lo^2 would cancel to 0 near 1e-16
    for (int k = begin + 1; k < end; ++k) rest += c[k] * c[k];
    double norm2 = c[begin] * c[begin] + rest;
    if (rest < kNegligibleRest * c[begin] * c[begin]) {
      // Every faster component has decayed to numerically nothing (amplitude ratio
      // < 1e-20, as in CoupledState's pruning): the state is |J_lo> until the next jump.
      std::fill(c.begin() + begin + 1, c.begin() + end, 0.0);
      c[begin] = 1.0;
      const bool frozen = state.jump_rate(begin) == 0.0 && std::isinf(t_next);
      observer.observe(g, last, {state, c.data(), 1.0, frozen, counts.emitted, counts.absorbed});
      return last;
    }
    norm2 = rescale_if_tiny(c, begin, end, norm2);
    observer.observe(g, g + 1, {state, c.data(), norm2, false, counts.emitted, counts.absorbed});
  }
  return g;
}

}  // namespace

void run_trajectory(const Model& model, const InitialState& init, const TimeGrid& grid,
                    Rng& rng, TrajectoryObserver& observer, CoupledState& state,
                    std::vector<double>& scratch, const std::atomic<bool>* stop) {
  state.reset(model, init);
  scratch.assign(2 * state.size(), 0.0);
  const bool report_jumps = observer.wants_jumps();
  JumpCounts counts;
  double t = 0;
  int g = 0;
  while (true) {
    // Waiting time from S(tau) = sum_k c_k^2 exp(-2 Gamma_k tau): choose the exponential
    // component k with weight c_k^2, then tau ~ Exp(2 Gamma_k). Exact, no root finding.
    const int k = state.pick_component(uniform01(rng));
    const double rate = state.jump_rate(k);
    const double u = uniform01(rng);
    const double tau = rate > 0 ? -std::log1p(-u) / rate : std::numeric_limits<double>::infinity();
    const double t_jump = t + tau;
    g = observe_segment(state, grid, t, t_jump, g, observer, scratch, counts);
    if (g >= grid.points) return;
    state.decay(t_jump - t);
    t = t_jump;
    const double m_before = state.total_m();
    state.jump(uniform01(rng));
    const bool emitted = state.total_m() < m_before;
    ++(emitted ? counts.emitted : counts.absorbed);
    if (report_jumps) observer.jumped(t, emitted, state.total_m());
    if (stop && (counts.emitted + counts.absorbed) % kJumpsBetweenStopChecks == 0 &&
        stop->load(std::memory_order_relaxed))
      throw Interrupted("run interrupted inside a trajectory");
  }
}

}  // namespace darkcharge
