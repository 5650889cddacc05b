#include "run/local_walk.hpp"

#include <cmath>

#include <fmt/format.h>

#include "darkcharge/core/errors.hpp"
#include "darkcharge/run/trajectory.hpp"

namespace darkcharge::local_walk {

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

void throw_if_stopped(const std::atomic<bool>* stop, long jumps) {
  if (stop && jumps % kJumpsBetweenStopChecks == 0 && stop->load(std::memory_order_relaxed))
    throw Interrupted("run interrupted inside a local-noise trajectory");
}

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

}  // namespace darkcharge::local_walk
