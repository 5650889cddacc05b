#pragma once
/// @file zero_temperature_cascade.hpp
/// The exact state at nbar = 0 from one initial level |j_C, j_C> (x) |j_B, m_B>, as a
/// superradiant cascade in total M (physics.md, "Facts"):
///   rho(t) = sum_M P(M, t) |psi(M, t)><psi(M, t)|,
/// psi(M, t) in the coupled basis |j_C j_B; J M>. Every trajectory that has made k = M0 - M
/// jumps J^- (at any times) holds the same state, because the no-jump decay of |J M> is
/// exp(-gamma [J(J+1) - M(M-1)] t) and only its J(J+1) part depends on J:
///   psi_J(M, t) ~ c_J prod_{M' = M+1}^{M0} sqrt(a_J(M')) exp(-gamma J(J+1) t),
/// with c_J = <j_C j_C; j_B m_B | J M0> and a_J(M) = J(J+1) - M(M-1) = |<J M-1|J^-|J M>|^2.
/// The populations P(M, t), i.e. the distribution of the number of emitted quanta M0 - M,
/// follow one pure-death chain with time-dependent rates
///   lambda(M, t) = 2 gamma <psi(M, t)| J^+ J^- |psi(M, t)>,
/// integrated here by an L-stable implicit Runge-Kutta method (Radau IIA, order 5) with
/// step-doubling error control. The chain is triangular, so each implicit stage system is a
/// downward sweep of 3 x 3 solves: stiffness (rates ~ N^2 gamma) costs nothing extra.
#include <utility>
#include <vector>

#include "darkcharge/physics/model.hpp"
#include "darkcharge/core/progress.hpp"
#include "darkcharge/core/time_grid.hpp"

namespace darkcharge {

class ZeroTemperatureCascade {
 public:
  /// The cascade of `model` (nbar must be 0) from battery level (j_battery, m_battery).
  ZeroTemperatureCascade(const Model& model, double j_battery, double m_battery);

  double j_charger() const { return j1_; }
  double j_battery() const { return j2_; }
  /// Total M of the initial level, M0 = j_C + m_B.
  double top_m() const { return m0_; }
  /// Number of reachable levels M = M0, M0 - 1, ..., -(j_C + j_B), indexed by k = M0 - M.
  int levels() const { return levels_; }
  /// Smallest J present at level k (the largest is j_C + j_B).
  double first_j(int k) const;
  /// psi(M0 - k, t) normalised, psi[i] for J = first_j(k) + i (all entries >= 0).
  void amplitudes(int k, double t, std::vector<double>& psi) const;
  /// lambda(M0 - k, t) = 2 gamma <psi|J^+J^-|psi>, the emission rate at level k.
  double emission_rate(int k, double t) const;

  /// P(M0 - k, t_g) for every grid time: result[g][k], k < levels(). `tolerance` bounds the
  /// absolute local error of each step (max over k); populations below 1e-30 are set to 0.
  /// Deterministic (the same numbers for any thread count); OpenMP inside for large N.
  std::vector<std::vector<double>> populations(const TimeGrid& grid, double tolerance = 1e-13,
                                               const ProgressCallback& progress = {}) const;

  /// Doubles held by this object (memory estimates).
  double stored_doubles() const { return double(log_weight_.size()); }

 private:
  double log_weight(int k, int i) const { return log_weight_[std::size_t(k) * n_j_ + i]; }
  /// (J - j_low, x_J - max x) of level k at time t, x_J = log of the weight of |J M> in
  /// psi^2, for every J that may have x_J - max x >= skip (blocks of J below are passed
  /// over by their bounds). Thread-local storage, valid until the next call.
  const std::vector<std::pair<int, double>>& significant_weights(int k, double t,
                                                                 double skip) const;
  double j1_, j2_, m0_, j_low_, gamma_;
  int n_j_, levels_;
  /// log of c_J^2 prod sqrt(a_J)^2 over the path, by level k and J - j_low (-inf: absent).
  std::vector<double> log_weight_;
  /// Largest log_weight_ of each run of kBlock consecutive J, by level k: bounds that let
  /// emission_rate() skip the (many) J whose weight is negligible at time t.
  static constexpr int kBlock = 16;
  int n_blocks_;
  std::vector<double> block_max_;
  std::vector<double> decay_rate_;  ///< 2 gamma J(J+1) by J - j_low
};

/// Doubles a ZeroTemperatureCascade of this size stores (without building it).
double zero_temperature_cascade_doubles(const Model& model, double j_battery, double m_battery);

}  // namespace darkcharge
