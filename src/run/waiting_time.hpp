#pragma once
// Exact jump times of a quantum trajectory: the time at which the no-jump norm
// ||exp(-G t) psi||^2 = sum_k p_k exp(-2 lambda_k t) (p_k the weights of psi on G's
// eigenvectors, or on a Lanczos basis' Ritz vectors) falls to a uniform r, by Newton's method
// on its logarithm, and the closed-form decay factors when lambda is quadratic in k (G on
// the coupled basis). Used by local_trajectory.cpp.
#include <cmath>
#include <limits>
#include <utility>

#include <Eigen/Dense>
#include <fmt/format.h>

#include "darkcharge/core/errors.hpp"

namespace darkcharge {

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

/// Newton's method for log ||exp(-G t) psi||^2 = log r, given that log-norm and its slope
/// as a function of t (convex and decreasing).
template <class LogNorm>
double solve_waiting_time(const LogNorm& log_norm, double r) {
  const double target = std::log(r);
  // log-norm is convex and decreasing: Newton from t = 0 (above the root) stays left of the
  // root and increases monotonically to it.
  double t = 0;
  for (int it = 0; it < 1000; ++it) {
    const auto [h, slope] = log_norm(t);
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

/// Weight >= r on eigenvalues that are zero (a dark state of every channel): no jump ever.
inline bool never_jumps(const Eigen::VectorXd& p, const Eigen::VectorXd& lambda, double r) {
  const double top = lambda.size() ? lambda.maxCoeff() : 0.0;
  const double zero = 1e-12 * std::max(1.0, top);
  double stuck = 0;
  for (Eigen::Index k = 0; k < p.size(); ++k)
    if (lambda[k] <= zero) stuck += p[k];
  return stuck >= r;
}

/// The time at which ||exp(-G t) psi||^2 falls to r in (0, 1], or +inf if it never does.
inline double waiting_time(const Eigen::VectorXd& p, const Eigen::VectorXd& lambda, double r) {
  if (never_jumps(p, lambda, r)) return std::numeric_limits<double>::infinity();
  const Survival s{p, lambda, lambda.minCoeff()};
  return solve_waiting_time([&](double t) { return s.log_norm(t); }, r);
}

/// exp(-(lambda_k - lambda_0) s) for eigenvalues quadratic in k, lambda_k = lambda_0 + a k^2 +
/// b k with a, b >= 0 (G on the coupled basis at fixed M): two multiplications per k instead
/// of an exponential, which made the waiting times most of a trajectory's cost. The factors
/// decrease with k, so rounding stays relative (about k ulps) and underflow ends at 0.
inline void quadratic_decay_factors(double a, double b, double s, Eigen::VectorXd& f) {
  double factor = 1, ratio = std::exp(-(a + b) * s);  // lambda_1 - lambda_0 = a + b
  const double step = std::exp(-2 * a * s);           // lambda_{k+1} - lambda_k = a (2k + 1) + b
  for (Eigen::Index k = 0; k < f.size(); ++k) {
    f[k] = factor;
    factor *= ratio;
    ratio *= step;
  }
}

/// waiting_time() for eigenvalues lambda_k = lambda[0] + a k^2 + b k; f is scratch.
inline double quadratic_waiting_time(const Eigen::VectorXd& p, const Eigen::VectorXd& lambda, double a,
                              double b, double r, Eigen::VectorXd& f) {
  if (never_jumps(p, lambda, r)) return std::numeric_limits<double>::infinity();
  f.resize(p.size());
  return solve_waiting_time(
      [&](double t) {
        quadratic_decay_factors(a, b, 2 * t, f);
        double sum = 0, slope = 0;
        for (Eigen::Index k = 0; k < p.size(); ++k) {
          const double e = p[k] * f[k];
          sum += e;
          slope += lambda[k] * e;
        }
        return std::make_pair(std::log(sum) - 2 * lambda[0] * t, -2 * slope / sum);
      },
      r);
}

}  // namespace darkcharge
