// product_path (local_walk.hpp): a local-noise trajectory's segment in the product Dicke
// basis, for a no-jump generator G that does not keep J.
#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "darkcharge/core/errors.hpp"
#include "darkcharge/physics/process.hpp"
#include "run/krylov_no_jump.hpp"
#include "run/local_walk.hpp"
#include "run/waiting_time.hpp"

namespace darkcharge::local_walk {
namespace {

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

/// Lanczos basis size and the relative error up to which its evolution is trusted
/// (krylov_no_jump.hpp): 8 vectors (4-24 cost within 1.6x of each other at N_B = 1000,
/// N_C = 10000, with the same numbers to 1e-14; 8 least); a step shorter
/// than a quarter of the way doubles it, up to kLanczosLargestDimension; beyond, the
/// trajectory steps to the trusted time (the fast components have decayed there, so the
/// next basis reaches further) and builds a new basis.
constexpr int kLanczosDimension = 8, kLanczosLargestDimension = 96;
constexpr double kLanczosTolerance = 1e-10;

}  // namespace

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

}  // namespace darkcharge::local_walk
