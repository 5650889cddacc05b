#include "darkcharge/run/local_trajectory.hpp"

#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "darkcharge/core/errors.hpp"
#include "darkcharge/physics/angular_momentum.hpp"
#include "darkcharge/physics/clebsch_gordan_recursion.hpp"
#include "darkcharge/physics/initial_state.hpp"

namespace darkcharge {
namespace {

long twice(double x) { return std::lround(2 * x); }

/// G commutes with J^2 exactly when g_down^C - g_up^C = g_down^B - g_up^B (physics.md).
bool diagonal_in_coupled_basis(const Model& model) {
  return model.local.charger.decay - model.local.charger.pumping ==
         model.local.battery.decay - model.local.battery.pumping;
}

/// ||exp(-G t) psi||^2 / r - 1 on the log scale and its derivative, with the smallest rate
/// factored out so that nothing underflows at long times.
struct Survival {
  const Eigen::VectorXd& p;       // c_k^2
  const Eigen::VectorXd& lambda;  // >= 0
  double lambda_min;

  /// log ||exp(-G t) psi||^2 and its t-derivative.
  std::pair<double, double> log_norm(double t) const {
    double sum = 0, slope = 0;
    for (Eigen::Index k = 0; k < p.size(); ++k) {
      const double e = p[k] * std::exp(-2 * (lambda[k] - lambda_min) * t);
      sum += e;
      slope += lambda[k] * e;
    }
    return {std::log(sum) - 2 * lambda_min * t, -2 * slope / sum};
  }
};

/// The time at which ||exp(-G t) psi||^2 falls to r in (0, 1], or +inf if it never does
/// (weight >= r on eigenvalues that are zero: a dark state of every channel).
double waiting_time(const Eigen::VectorXd& p, const Eigen::VectorXd& lambda, double r) {
  const double top = lambda.size() ? lambda.maxCoeff() : 0.0;
  const double zero = 1e-12 * std::max(1.0, top);
  double stuck = 0;
  for (Eigen::Index k = 0; k < p.size(); ++k)
    if (lambda[k] <= zero) stuck += p[k];
  if (stuck >= r) return std::numeric_limits<double>::infinity();
  const Survival s{p, lambda, lambda.minCoeff()};
  const double target = std::log(r);
  // log-norm is convex and decreasing: Newton from t = 0 (above the root) stays left of the
  // root and increases monotonically to it.
  double t = 0;
  for (int it = 0; it < 1000; ++it) {
    const auto [h, slope] = s.log_norm(t);
    const double excess = h - target;
    if (excess <= 1e-15 * std::max(1.0, std::fabs(target))) return t;
    if (!(slope < 0) || !std::isfinite(excess))
      throw NumericalError(fmt::format("local trajectory: jump time not bracketed (r = {}, t = {}, "
                                       "slope = {})", r, t, slope));
    const double next = t - excess / slope;
    if (!(next > t)) return t;
    if (next - t <= 1e-15 * next) return next;
    t = next;
  }
  throw NumericalError(fmt::format("local trajectory: jump time did not converge (r = {})", r));
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

const NoJumpCache::Block& NoJumpCache::at(double jc, double jb, double M) {
  const auto key = std::make_tuple(twice(jc), twice(jb), twice(M));
  auto it = blocks_.find(key);
  if (it != blocks_.end()) return *it->second;
  std::vector<double> diagonal, link;
  no_jump_generator(model_, jc, jb, M, diagonal, link);
  const int n = static_cast<int>(diagonal.size());
  auto block = std::make_unique<Block>();
  if (n == 1) {
    block->lambda = Eigen::VectorXd::Constant(1, diagonal[0]);
    block->vectors = Eigen::MatrixXd::Identity(1, 1);
  } else if (diagonal_in_coupled_basis(model_)) {
    // G is a function of total J at fixed M (physics.md): its eigenvectors are the
    // Clebsch-Gordan columns, O(L^2) by recursion instead of an O(L^3) eigensolver.
    clebsch_gordan_block(jc, jb, M, block->vectors);
    block->lambda.resize(n);
    for (int k = 0; k < n; ++k) {
      const auto u = block->vectors.col(k);
      double g = 0;
      for (int i = 0; i < n; ++i) {
        g += diagonal[i] * u[i] * u[i];
        if (i + 1 < n) g += 2 * link[i] * u[i] * u[i + 1];
      }
      block->lambda[k] = std::max(0.0, g);
    }
  } else {
    Eigen::VectorXd d = Eigen::Map<Eigen::VectorXd>(diagonal.data(), n);
    Eigen::VectorXd e = Eigen::Map<Eigen::VectorXd>(link.data(), n - 1);
    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig;
    eig.computeFromTridiagonal(d, e, Eigen::ComputeEigenvectors);
    if (eig.info() != Eigen::Success)
      throw NumericalError(fmt::format("local trajectory: eigendecomposition of G failed at "
                                       "(j_C, j_B, M) = ({}, {}, {})", jc, jb, M));
    block->lambda = eig.eigenvalues().cwiseMax(0.0);  // G >= 0; clip rounding
    block->vectors = eig.eigenvectors();
  }
  const double bytes = 8.0 * n * (n + 1);
  if (bytes_ + bytes > max_bytes_) {  // a bounded cache: forget everything, start again
    blocks_.clear();
    bytes_ = 0;
  }
  bytes_ += bytes;
  return *blocks_.emplace(key, std::move(block)).first->second;
}

LocalTrajectoryStats run_local_trajectory(const Model& model, const TimeGrid& grid, Rng& rng,
                                          NoJumpCache& cache, const LocalRecord& record) {
  const std::vector<JumpChannel> channels = jump_channels(model);
  const InitialState start = sample_initial_state(model, rng);
  LocalJumpState psi, out;
  psi.jc = model.j_charger();
  psi.jb = start.j_battery;
  psi.M = psi.jc + start.m_battery;
  psi.amp.assign(block_size(psi.jc, psi.jb, psi.M), 0.0);
  psi.amp[std::lround(start.m_battery - psi.first_mb())] = 1.0;

  LocalTrajectoryStats stats;
  std::vector<double> weights(channels.size());
  Eigen::VectorXd c, p, decayed;
  LocalJumpState at_point;
  double t = 0;
  int point = 0;
  while (point < grid.points) {
    const NoJumpCache::Block& g = cache.at(psi.jc, psi.jb, psi.M);
    const Eigen::Map<const Eigen::VectorXd> a(psi.amp.data(), psi.size());
    c.noalias() = g.vectors.transpose() * a;
    p = c.cwiseAbs2();
    const double r = 1.0 - uniform01(rng);  // in (0, 1]
    const double tau = waiting_time(p, g.lambda, r);
    // Grid times before the jump see the no-jump evolution, renormalized.
    auto evolved = [&](double dt, LocalJumpState& into) {
      decayed = (c.array() * (-g.lambda.array() * dt).exp()).matrix();
      into.jc = psi.jc;
      into.jb = psi.jb;
      into.M = psi.M;
      into.amp.resize(psi.size());
      Eigen::Map<Eigen::VectorXd>(into.amp.data(), psi.size()).noalias() = g.vectors * decayed;
      normalize(into);
    };
    while (point < grid.points && grid.time(point) <= t + tau) {
      evolved(grid.time(point) - t, at_point);
      record(point, at_point);
      ++point;
    }
    if (point == grid.points) break;
    evolved(tau, psi);
    t += tau;
    // Channel k with probability ||K_k psi||^2 / sum.
    double total = 0;
    for (std::size_t k = 0; k < channels.size(); ++k) total += weights[k] = apply_jump(model, channels[k], psi, out);
    if (!(total > 0 && std::isfinite(total)))
      throw NumericalError(fmt::format("local trajectory: total jump rate {} at t = {}", total, t));
    // The first channel whose cumulative weight exceeds u; rounding at the top end falls
    // back to the last channel with weight.
    const double u = uniform01(rng) * total;
    std::size_t chosen = channels.size();
    double cumulative = 0;
    for (std::size_t k = 0; k < channels.size(); ++k) {
      if (weights[k] <= 0) continue;
      chosen = k;
      cumulative += weights[k];
      if (u < cumulative) break;
    }
    apply_jump(model, channels[chosen], psi, out);
    normalize(out);
    std::swap(psi, out);
    ++stats.jumps;
    if (channels[chosen].kind == JumpChannel::Kind::local) ++stats.local_jumps;
    else ++stats.collective_jumps;
  }
  return stats;
}

}  // namespace darkcharge
