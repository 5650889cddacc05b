#include "darkcharge/run/local_trajectory.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "darkcharge/core/errors.hpp"
#include "darkcharge/physics/angular_momentum.hpp"
#include "darkcharge/physics/clebsch_gordan_recursion.hpp"
#include "darkcharge/physics/coupled_local_jump.hpp"
#include "darkcharge/physics/initial_state.hpp"
#include "darkcharge/run/trajectory.hpp"
#include "run/krylov_no_jump.hpp"
#include "run/waiting_time.hpp"

namespace darkcharge {
namespace {

/// G commutes with J^2 exactly when g_down^C - g_up^C = g_down^B - g_up^B (physics.md) and
/// the reservoir acts on J = J_C + J_B. With the reservoir on one ensemble or none, G is
/// diagonal in the product basis instead (NoJumpCache keeps only its diagonal).
bool diagonal_in_coupled_basis(const Model& model) {
  return model.reservoir == ReservoirCoupling::both &&
         model.local.charger.decay - model.local.charger.pumping ==
             model.local.battery.decay - model.local.battery.pumping;
}

/// sum over the local channels of ||K psi||^2: per ensemble X, g_down (N_X/2 + <J_z^X>) +
/// g_up (N_X/2 - <J_z^X>) + g_phi N_X / 2 (the completeness sums of local_noise.hpp).
double local_total_rate(const Model& model, const LocalJumpState& psi) {
  double jz_battery = 0, norm = 0;
  const double first = psi.first_mb();
  for (int i = 0; i < psi.size(); ++i) {
    const double p = psi.amp[i] * psi.amp[i];
    jz_battery += (first + i) * p;
    norm += p;
  }
  const auto part = [](const LocalRates& r, int n, double jz, double norm) {
    return r.decay * (0.5 * n * norm + jz) + r.pumping * (0.5 * n * norm - jz) + 0.5 * r.dephasing * n * norm;
  };
  return part(model.local.charger, model.n_charger, psi.M * norm - jz_battery, norm) +
         part(model.local.battery, model.n_battery, jz_battery, norm);
}

double normalize(LocalJumpState& psi) {
  double norm = 0;
  for (double a : psi.amp) norm += a * a;
  if (!(norm > 0 && std::isfinite(norm)))
    throw NumericalError(fmt::format("local trajectory: state norm {} at (j_C, j_B, M) = ({}, {}, {})",
                                     norm, psi.jc, psi.jb, psi.M));
  const double scale = 1 / std::sqrt(norm);
  for (double& a : psi.amp) a *= scale;
  return norm;
}

}  // namespace

namespace {

/// The stop flag, looked at every kJumpsBetweenStopChecks jumps (one relaxed load).
void throw_if_stopped(const std::atomic<bool>* stop, long jumps) {
  if (stop && jumps % kJumpsBetweenStopChecks == 0 && stop->load(std::memory_order_relaxed))
    throw Interrupted("run interrupted inside a local-noise trajectory");
}

/// The initial state of one trajectory (its level drawn from `rng` first).
LocalJumpState initial_jump_state(const Model& model, Rng& rng) {
  const InitialState start = sample_initial_state(model, rng);
  LocalJumpState psi;
  psi.jc = model.j_charger();
  psi.jb = start.j_battery;
  psi.M = psi.jc + start.m_battery;
  psi.amp.assign(block_size(psi.jc, psi.jb, psi.M), 0.0);
  psi.amp[std::lround(start.m_battery - psi.first_mb())] = 1.0;
  return psi;
}

/// Index of the channel whose cumulative weight first exceeds u (u < sum of weights);
/// rounding at the top end falls back to the last channel with weight.
std::size_t pick(const std::vector<double>& weights, double u) {
  std::size_t chosen = weights.size();
  double cumulative = 0;
  for (std::size_t k = 0; k < weights.size(); ++k) {
    if (weights[k] <= 0) continue;
    chosen = k;
    cumulative += weights[k];
    if (u < cumulative) break;
  }
  return chosen;
}

/// Lanczos basis size and the relative error up to which its evolution is trusted
/// (krylov_no_jump.hpp): 8 vectors (4-24 cost within 1.6x of each other at N_B = 1000,
/// N_C = 10000, with the same numbers to 1e-14; 8 least); a step shorter
/// than a quarter of the way doubles it, up to kLanczosLargestDimension; beyond, the
/// trajectory steps to the trusted time (the fast components have decayed there, so the
/// next basis reaches further) and builds a new basis.
constexpr int kLanczosDimension = 8, kLanczosLargestDimension = 96;
constexpr double kLanczosTolerance = 1e-10;

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
double carry_target(double target, double survived) { return std::min(1.0, target / survived); }

/// Draws the waiting-time target when none is carried.
double take_target(Walk& w, Rng& rng) {
  if (w.target == 0) w.target = 1.0 - uniform01(rng);  // in (0, 1]
  return w.target;
}

/// G general: the state lives in the product basis. Short blocks are diagonalised (cached);
/// long ones are propagated by Lanczos; G diagonal in the product basis (the reservoir on one
/// ensemble or none) decays each amplitude alone.
void product_path(const Model& model, const SegmentEnd& segment, const TimeGrid& grid, Rng& rng,
                  NoJumpCache& cache, const LocalRecord& record, const std::atomic<bool>* stop, Walk& w) {
  const std::vector<JumpChannel> channels = jump_channels(model);
  LocalJumpState& psi = w.psi;
  LocalJumpState out;
  LocalTrajectoryStats& stats = w.stats;
  std::vector<double> weights(channels.size());
  Eigen::VectorXd c, p, decayed;
  LocalJumpState at_point;
  KrylovNoJump krylov;
  double& t = w.t;
  int& point = w.point;
  // What a stretch of no-jump evolution ended in: a jump, the end of the grid, or the end of
  // the segment (the target carried in w.target).
  enum class Ended { jump, grid, segment };
  // Evolves psi without a jump through the grid times before the next jump (recording them)
  // and to the jump or the segment's end.
  auto evolve_by_eigenvectors = [&](double r) {
    const NoJumpCache::Block& g = cache.at(psi.jc, psi.jb, psi.M);
    const bool diagonal = g.vectors.size() == 0;
    const Eigen::Map<const Eigen::VectorXd> a(psi.amp.data(), psi.size());
    if (diagonal) c = a;
    else c.noalias() = g.vectors.transpose() * a;
    p = c.cwiseAbs2();
    const double tau = waiting_time(p, g.lambda, r);
    // Grid times before the jump see the no-jump evolution, renormalized; returns the norm
    // left, ||exp(-G dt) psi||^2.
    auto evolved = [&](double dt, LocalJumpState& into) {
      decayed = (c.array() * (-g.lambda.array() * dt).exp()).matrix();
      const double survived = decayed.squaredNorm();
      into.jc = psi.jc;
      into.jb = psi.jb;
      into.M = psi.M;
      into.amp.resize(psi.size());
      if (diagonal) Eigen::Map<Eigen::VectorXd>(into.amp.data(), psi.size()) = decayed;
      else Eigen::Map<Eigen::VectorXd>(into.amp.data(), psi.size()).noalias() = g.vectors * decayed;
      normalize(into);
      return survived;
    };
    while (point < grid.points && grid.time(point) <= t + tau && segment.records(grid.time(point))) {
      evolved(grid.time(point) - t, at_point);
      record(point, at_point, stats);
      ++point;
    }
    if (point == grid.points) return Ended::grid;
    if (!segment.last && t + tau >= segment.end) {  // the segment ends first: carry the target
      const double survived = evolved(segment.end - t, at_point);
      std::swap(psi, at_point);
      w.target = carry_target(r, survived);
      t = segment.end;
      return Ended::segment;
    }
    evolved(tau, psi);
    t += tau;
    return Ended::jump;
  };
  auto evolve_by_lanczos = [&](double r) {
    const double last = segment.last ? grid.time(grid.points - 1) : segment.end;
    int dimension = kLanczosDimension;
    for (;;) {
      krylov.build(cache.generator(psi.jc, psi.jb, psi.M), psi.amp, dimension);
      const double tau = waiting_time(krylov.weights(), krylov.rates(), r);
      const double horizon = std::min(tau, std::max(0.0, last - t));
      const double h = krylov.trusted_until(horizon, kLanczosTolerance);
      if (h < 0.25 * horizon && dimension < std::min(psi.size(), kLanczosLargestDimension)) {
        dimension = std::min({psi.size(), 2 * dimension, kLanczosLargestDimension});  // a larger basis
        continue;
      }
      const bool jumps = h >= tau;
      // Reaching the segment's end (not the run's) before the jump: stop exactly there.
      const bool ends = !segment.last && !jumps && h >= last - t;
      const double step = jumps ? tau : ends ? last - t : h;
      while (point < grid.points && grid.time(point) <= t + step && segment.records(grid.time(point))) {
        at_point.jc = psi.jc;
        at_point.jb = psi.jb;
        at_point.M = psi.M;
        krylov.evolve(grid.time(point) - t, at_point.amp);
        normalize(at_point);
        record(point, at_point, stats);
        ++point;
      }
      if (point == grid.points) return Ended::grid;
      // The survival to `step` is used up: the jump comes when the rest falls to r / it.
      const Survival survival{krylov.weights(), krylov.rates(), krylov.rates().minCoeff()};
      const double log_survived = survival.log_norm(step).first;
      krylov.evolve(step, out.amp);
      std::swap(psi.amp, out.amp);
      normalize(psi);
      t = ends ? last : t + step;
      if (jumps) return Ended::jump;
      r = std::min(1.0, std::exp(std::log(r) - log_survived));
      if (ends) {
        w.target = r;
        return Ended::segment;
      }
      dimension = kLanczosDimension;
    }
  };
  while (point < grid.points) {
    const double r = take_target(w, rng);
    const Ended ended = cache.propagates_by_lanczos(psi.size()) ? evolve_by_lanczos(r) : evolve_by_eigenvectors(r);
    if (ended != Ended::jump) return;
    w.target = 0;
    // Channel k with probability ||K_k psi||^2 / sum. The local channels' sum is known in
    // closed form (local_total_rate), so their ~18 weights are formed only for a local jump.
    double collective = 0;
    std::fill(weights.begin(), weights.end(), 0.0);
    for (std::size_t k = 0; k < channels.size(); ++k)
      if (!channels[k].local()) collective += weights[k] = apply_jump(model, channels[k], psi, out);
    const double local = local_total_rate(model, psi), total = collective + local;
    if (!(total > 0 && std::isfinite(total)))
      throw NumericalError(fmt::format("local trajectory: total jump rate {} at t = {}", total, t));
    double u = uniform01(rng) * total;
    if (u >= collective) {  // a local jump: pick among the local channels with the rest of u
      double local_sum = 0;
      for (std::size_t k = 0; k < channels.size(); ++k)
        if (channels[k].local()) local_sum += weights[k] = apply_jump(model, channels[k], psi, out);
      u = collective + std::min(1.0, (u - collective) / local) * local_sum;
    }
    const std::size_t chosen = pick(weights, u);
    apply_jump(model, channels[chosen], psi, out);
    normalize(out);
    std::swap(psi, out);
    ++stats.jumps;
    throw_if_stopped(stop, stats.jumps);
    if (channels[chosen].local()) ++stats.local_jumps;
    else ++stats.collective_jumps;
    if (channels[chosen].process.kind == ProcessKind::emission) ++stats.emissions;
    if (channels[chosen].process.kind == ProcessKind::absorption) ++stats.absorptions;
  }
}


/// G diagonal in |j_C j_B; J M> (physics.md): the state is kept as coefficients c_J,
/// J = first_total_j + k (the columns of clebsch_gordan_block). The no-jump evolution and
/// the collective jumps act on each J alone (J^-+ |J M> = sqrt(a_J(M), b_J(M)) |J M-+1>,
/// Condon-Shortley phases), and the total local rate is sum_X [(g_down + g_up + g_phi) N_X/2]
/// + delta M. Local jumps act in this basis too (coupled_local_jump.hpp, O(L)), so product
/// amplitudes (an O(L^2) Clebsch-Gordan block) are formed only at grid times and at the
/// segment's ends.
void coupled_path(const Model& model, const SegmentEnd& segment, const TimeGrid& grid, Rng& rng,
                  const LocalRecord& record, const std::atomic<bool>* stop, Walk& w) {
  std::vector<JumpChannel> local;
  for (const JumpChannel& k : jump_channels(model))
    if (k.local()) local.push_back(k);
  const LocalRates& lc = model.local.charger;
  const LocalRates& lb = model.local.battery;
  const double delta = lc.decay - lc.pumping;  // = lb.decay - lb.pumping here
  const double local_constant = 0.5 * ((lc.decay + lc.pumping + lc.dephasing) * model.n_charger +
                                       (lb.decay + lb.pumping + lb.dephasing) * model.n_battery);
  const double down = model.emission_rate() / 2, up = model.absorption_rate() / 2;

  LocalJumpState at_point;
  double jc = w.psi.jc, jb = w.psi.jb, M = w.psi.M;
  std::vector<double> cg_work;  // Clebsch-Gordan columns one at a time: no n x n block kept
  Eigen::VectorXd c(w.psi.size());
  product_to_coupled(jc, jb, M, w.psi.amp.data(), c.data(), cg_work);
  Eigen::VectorXd lambda, p, decayed, next, factors;
  std::vector<double> weights(local.size());
  CoupledJumpState now;
  std::vector<CoupledJumpState> jumped(local.size());  // one per channel, capacity kept
  LocalTrajectoryStats& stats = w.stats;
  double& t = w.t;
  int& point = w.point;
  auto to_product = [&](const Eigen::VectorXd& coefficients, LocalJumpState& into) {
    into.jc = jc;
    into.jb = jb;
    into.M = M;
    into.amp.resize(coefficients.size());
    coupled_to_product(jc, jb, M, coefficients.data(), into.amp.data(), cg_work);
    normalize(into);
  };
  while (point < grid.points) {
    const double first_j = first_total_j(jc, jb, M);
    const int n = static_cast<int>(c.size());
    // Only coefficients in [lo, hi) are nonzero: the no-jump evolution damps high J fast
    // (rates ~ gamma J^2), so after a while most of the block takes no work at all.
    int lo = 0, hi = n;
    while (hi > 1 && c[hi - 1] == 0) --hi;
    while (lo + 1 < hi && c[lo] == 0) ++lo;
    const int len = hi - lo;
    const double j_lo = first_j + lo;
    lambda.resize(len);
    factors.resize(len);
    for (int k = 0; k < len; ++k) {
      const double J = j_lo + k;
      lambda[k] = std::max(0.0, down * lowering_squared(J, M) + up * raising_squared(J, M) +
                                    0.5 * local_constant + 0.5 * delta * M);
    }
    // lambda_k = lambda_0 + a k^2 + b k: (down + up)(J^2 + J) plus terms constant at fixed M.
    const double a = down + up, b = (down + up) * (2 * j_lo + 1);
    p = c.segment(lo, len).cwiseAbs2();
    const double r = take_target(w, rng);
    const double tau = quadratic_waiting_time(p, lambda, a, b, r, factors);
    while (point < grid.points && grid.time(point) <= t + tau && segment.records(grid.time(point))) {
      quadratic_decay_factors(a, b, grid.time(point) - t, factors);  // exp(-lambda_0 dt) cancels
      decayed.setZero(n);
      decayed.segment(lo, len) = c.segment(lo, len).cwiseProduct(factors);
      to_product(decayed, at_point);
      record(point, at_point, stats);
      ++point;
    }
    if (point == grid.points) break;
    if (!segment.last && t + tau >= segment.end) {  // the segment ends first: carry the target
      const double dt = segment.end - t;
      quadratic_decay_factors(a, b, dt, factors);
      decayed.setZero(n);
      decayed.segment(lo, len) = c.segment(lo, len).cwiseProduct(factors);
      // The norm lost, with the factor exp(-2 lambda_0 dt) the decay factors leave out.
      const double survived = decayed.squaredNorm() * std::exp(-2 * lambda[0] * dt);
      to_product(decayed, w.psi);
      w.target = carry_target(r, survived);
      t = segment.end;
      return;
    }
    w.target = 0;
    quadratic_decay_factors(a, b, tau, factors);
    c.segment(lo, len) = c.segment(lo, len).cwiseProduct(factors);
    c /= c.norm();
    // Amplitudes below 1e-30 (probabilities below 1e-60, far under rounding) are dropped, so
    // that [lo, hi) shrinks.
    for (int k = hi - 1; k > lo && std::fabs(c[k]) < 1e-30; --k) c[k] = 0;
    for (int k = lo; k < hi - 1 && std::fabs(c[k]) < 1e-30; ++k) c[k] = 0;
    t += tau;
    double emission = 0, absorption = 0;
    for (int k = lo; k < hi; ++k) {
      emission += 2 * down * lowering_squared(first_j + k, M) * c[k] * c[k];
      absorption += 2 * up * raising_squared(first_j + k, M) * c[k] * c[k];
    }
    const double local_rate = local_constant + delta * M;
    const double total = emission + absorption + std::max(0.0, local_rate);
    if (!(total > 0 && std::isfinite(total)))
      throw NumericalError(fmt::format("local trajectory: total jump rate {} at t = {}", total, t));
    const double u = uniform01(rng) * total;
    ++stats.jumps;
    throw_if_stopped(stop, stats.jumps);
    if (u < emission + absorption) {
      const int step = u < emission ? -1 : +1;
      const int offset = static_cast<int>(std::lround(first_total_j(jc, jb, M + step) - first_j));
      next.setZero(block_size(jc, jb, M + step));
      for (int k = 0; k < next.size(); ++k) {
        const int from = k + offset;
        if (from < lo || from >= hi) continue;
        const double J = first_j + from;
        next[k] = std::sqrt(step < 0 ? lowering_squared(J, M) : raising_squared(J, M)) * c[from];
      }
      const double norm = next.norm();
      if (!(norm > 0 && std::isfinite(norm)))
        throw NumericalError(fmt::format("local trajectory: collective jump of norm {} at t = {}", norm, t));
      c = next / norm;
      M += step;
      ++stats.collective_jumps;
      ++(step < 0 ? stats.emissions : stats.absorptions);
      continue;
    }
    // A local jump, applied in the coupled basis (O(L) per channel, coupled_local_jump.hpp):
    // channel by ||K psi||^2 with the rest of u.
    now.jc = jc;
    now.jb = jb;
    now.M = M;
    now.c.assign(c.data(), c.data() + n);
    double sum = 0;
    for (std::size_t k = 0; k < local.size(); ++k)
      sum += weights[k] = apply_coupled_local_jump(model, local[k], now, jumped[k]);
    if (!(sum > 0)) throw NumericalError(fmt::format("local trajectory: no local jump weight at t = {}", t));
    const double v = std::min(1.0, (u - emission - absorption) / std::max(local_rate, 1e-300)) * sum;
    const CoupledJumpState& landed = jumped[pick(weights, v)];
    jc = landed.jc;
    jb = landed.jb;
    M = landed.M;
    c = Eigen::Map<const Eigen::VectorXd>(landed.c.data(), landed.size());
    c /= c.norm();
    ++stats.local_jumps;
  }
}

/// One segment of the walk with the engine its model allows.
void run_segment(const Model& model, const SegmentEnd& segment, const TimeGrid& grid, Rng& rng,
                 NoJumpCache& cache, const LocalRecord& record, const std::atomic<bool>* stop, Walk& w) {
  if (diagonal_in_coupled_basis(model))
    coupled_path(model, segment, grid, rng, record, stop, w);
  else
    product_path(model, segment, grid, rng, cache, record, stop, w);
}

}  // namespace

LocalTrajectoryStats run_local_trajectory(const Model& model, const TimeGrid& grid, Rng& rng,
                                          NoJumpCache& cache, const LocalRecord& record,
                                          const std::atomic<bool>* stop) {
  Walk w;
  w.psi = initial_jump_state(model, rng);
  run_segment(model, SegmentEnd{grid.t_max, true}, grid, rng, cache, record, stop, w);
  return w.stats;
}

std::vector<NoJumpCache> protocol_caches(const Protocol& protocol, double max_bytes) {
  std::vector<NoJumpCache> out;
  const double share = max_bytes / std::max<std::size_t>(1, protocol.segments.size());
  for (const ProtocolSegment& s : protocol.segments) out.emplace_back(s.model, share);
  return out;
}

LocalTrajectoryStats run_local_protocol(const Protocol& protocol, const TimeGrid& grid, Rng& rng,
                                        std::vector<NoJumpCache>& caches, const LocalRecord& record,
                                        const std::atomic<bool>* stop) {
  const std::size_t n = protocol.segments.size();
  if (caches.size() != n)
    throw InvalidArgument(fmt::format("caches: {} given for a protocol of {} segments (protocol_caches)",
                                      caches.size(), n));
  Walk w;
  w.psi = initial_jump_state(protocol.segments[0].model, rng);
  for (std::size_t k = 0; k < n; ++k) {
    const bool last = k + 1 == n;
    const SegmentEnd end{last ? grid.t_max : protocol.segments[k + 1].start, last};
    run_segment(protocol.segments[k].model, end, grid, rng, caches[k], record, stop, w);
  }
  return w.stats;
}

}  // namespace darkcharge
