// coupled_path (local_walk.hpp): a local-noise trajectory's segment in the coupled basis
// |j_C j_B; J M>, for a no-jump generator G diagonal there.
#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

#include <Eigen/Dense>
#include <fmt/format.h>

#include "darkcharge/core/errors.hpp"
#include "darkcharge/physics/angular_momentum.hpp"
#include "darkcharge/physics/clebsch_gordan_recursion.hpp"
#include "darkcharge/physics/coupled_local_jump.hpp"
#include "darkcharge/physics/process.hpp"
#include "run/local_walk.hpp"
#include "run/waiting_time.hpp"

namespace darkcharge::local_walk {

namespace {

/// The collective emission and absorption rates 2 gamma_-+ ||J^-+ psi||^2 / 2 of the state with
/// coefficients c (J = first_j + k, nonzero in [lo, hi)) at total M.
std::pair<double, double> collective_rates(double first_j, double M, double down, double up,
                                           const Eigen::VectorXd& c, int lo, int hi) {
  double emission = 0, absorption = 0;
  for (int k = lo; k < hi; ++k) {
    emission += 2 * down * lowering_squared(first_j + k, M) * c[k] * c[k];
    absorption += 2 * up * raising_squared(first_j + k, M) * c[k] * c[k];
  }
  return {emission, absorption};
}

/// c <- J^-+ c / ||J^-+ c|| for step -1 (emission) or +1 (absorption): each J alone, onto the
/// block of M + step (whose first J may differ). `next` is scratch.
void collective_jump(double jc, double jb, double M, int step, int lo, int hi, double t,
                     Eigen::VectorXd& c, Eigen::VectorXd& next) {
  const double first_j = first_total_j(jc, jb, M);
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
}

/// The state a local jump lands in: every local channel applied to `now` (weights
/// ||K psi||^2 into `weights`, states into `jumped`), one picked at the fraction `v` in [0, 1]
/// of their summed weight.
const CoupledJumpState& local_jump(const Model& model, const std::vector<JumpChannel>& local,
                                   const CoupledJumpState& now, double v, double t,
                                   std::vector<double>& weights, std::vector<CoupledJumpState>& jumped) {
  double sum = 0;
  for (std::size_t k = 0; k < local.size(); ++k)
    sum += weights[k] = apply_coupled_local_jump(model, local[k], now, jumped[k]);
  if (!(sum > 0)) throw NumericalError(fmt::format("local trajectory: no local jump weight at t = {}", t));
  return jumped[pick(weights, v * sum)];
}

}  // namespace

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
    const auto [emission, absorption] = collective_rates(first_j, M, down, up, c, lo, hi);
    const double local_rate = local_constant + delta * M;
    const double total = emission + absorption + std::max(0.0, local_rate);
    if (!(total > 0 && std::isfinite(total)))
      throw NumericalError(fmt::format("local trajectory: total jump rate {} at t = {}", total, t));
    const double u = uniform01(rng) * total;
    ++stats.jumps;
    throw_if_stopped(stop, stats.jumps);
    if (u < emission + absorption) {
      const int step = u < emission ? -1 : +1;
      collective_jump(jc, jb, M, step, lo, hi, t, c, next);
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
    const double v = std::min(1.0, (u - emission - absorption) / std::max(local_rate, 1e-300));
    const CoupledJumpState& landed = local_jump(model, local, now, v, t, weights, jumped);
    jc = landed.jc;
    jb = landed.jb;
    M = landed.M;
    c = Eigen::Map<const Eigen::VectorXd>(landed.c.data(), landed.size());
    c /= c.norm();
    ++stats.local_jumps;
  }
}

}  // namespace darkcharge::local_walk
