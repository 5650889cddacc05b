#pragma once
// The no-jump evolution exp(-G t) psi on one (j_C, j_B, M) block by a short Lanczos process,
// for blocks too long to diagonalise per jump. G is real symmetric tridiagonal in the product
// Dicke basis (process.hpp, no_jump_generator), so one Krylov vector costs O(L) and a
// k-dimensional basis O(k L); with V the Lanczos vectors and T = S diag(theta) S^T the
// k x k tridiagonal projection,
//   exp(-G t) psi ~ V S exp(-theta t) S^T e_1,   ||exp(-G t) psi||^2 ~ sum_i S_1i^2 exp(-2 theta_i t),
// so the waiting time is solved exactly as with a full eigendecomposition, on k terms
// instead of L. The approximation is trusted up to the time where the a-posteriori error
// estimate beta_k |e_k^T exp(-T t) e_1| (Saad 1992; Hochbruck-Lubich 1997), relative to the
// evolved norm, reaches `tolerance`; the caller steps to that time and builds a new basis.
#include <vector>

#include <Eigen/Dense>

#include "darkcharge/physics/process.hpp"

namespace darkcharge {

class KrylovNoJump {
 public:
  /// Builds the basis of G (`g`) at the unit vector `psi` with at most `max_dimension` vectors
  /// (fewer when an invariant subspace is found: then the evolution is exact).
  void build(const BlockTridiagonal& g, const std::vector<double>& psi, int max_dimension);

  int dimension() const { return static_cast<int>(theta_.size()); }
  /// Ritz values theta_i (clipped at 0: G >= 0) and weights S_1i^2 (summing to 1).
  const Eigen::VectorXd& rates() const { return theta_; }
  const Eigen::VectorXd& weights() const { return weight_; }

  /// Estimated error of exp(-G t) psi relative to its norm (0 for an invariant subspace).
  double relative_error(double t) const;
  /// The largest t' in [0, t] up to which relative_error stays below `tolerance` (t itself
  /// when it does there; otherwise found by bisection on a grid of t).
  double trusted_until(double t, double tolerance) const;

  /// out = exp(-(G - theta_min) t) psi in the product basis: exp(-G t) psi up to the positive
  /// factor exp(theta_min t), left out so that nothing underflows (callers normalize).
  void evolve(double t, std::vector<double>& out) const;

 private:
  Eigen::MatrixXd basis_;  ///< L x k Lanczos vectors (capacity kept between builds)
  Eigen::VectorXd alpha_, beta_, theta_, weight_, first_, last_, work_;
  Eigen::MatrixXd ritz_;   ///< S, k x k
  mutable Eigen::VectorXd decayed_, combined_;  ///< scratch of evolve()
  double beta_k_ = 0;      ///< the residual coupling beta_k (0: invariant subspace)
  int rows_ = 0;
};

}  // namespace darkcharge
