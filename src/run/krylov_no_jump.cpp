#include "run/krylov_no_jump.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "darkcharge/core/errors.hpp"

namespace darkcharge {

void KrylovNoJump::build(const BlockTridiagonal& g, const std::vector<double>& psi, int max_dimension) {
  rows_ = static_cast<int>(psi.size());
  const int k_max = std::max(1, std::min(max_dimension, rows_));
  if (basis_.rows() != rows_ || basis_.cols() < k_max) basis_.resize(rows_, std::max<Eigen::Index>(k_max, basis_.cols()));
  alpha_.resize(k_max);
  beta_.resize(k_max);
  work_.resize(rows_);
  basis_.col(0) = Eigen::Map<const Eigen::VectorXd>(psi.data(), rows_);
  const std::vector<double>& d = g.diagonal;
  const std::vector<double>& l = g.link;
  // The scale of G (its largest diagonal entry plus links) decides when a residual is zero.
  double scale = 0;
  for (int i = 0; i < rows_; ++i) scale = std::max(scale, std::fabs(d[i]) + (i + 1 < rows_ ? 2 * std::fabs(l[i]) : 0.0));
  int k = 0;
  beta_k_ = 0;
  for (;;) {
    const auto q = basis_.col(k);
    for (int i = 0; i < rows_; ++i) {  // w = G q_k, G tridiagonal
      double w = d[i] * q[i];
      if (i > 0) w += l[i - 1] * q[i - 1];
      if (i + 1 < rows_) w += l[i] * q[i + 1];
      work_[i] = w;
    }
    if (k > 0) work_ -= beta_[k - 1] * basis_.col(k - 1);
    alpha_[k] = q.dot(work_);
    work_ -= alpha_[k] * q;
    const double b = work_.norm();
    ++k;
    // An invariant subspace (b ~ 0, or the whole block): the projection is exact.
    if (k == rows_ || b <= 1e-14 * std::max(scale, 1e-300)) break;
    if (k == k_max) {
      beta_k_ = b;
      break;
    }
    beta_[k - 1] = b;
    basis_.col(k) = work_ / b;
  }
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig;
  if (k == 1) {
    theta_ = Eigen::VectorXd::Constant(1, std::max(0.0, alpha_[0]));
    ritz_ = Eigen::MatrixXd::Identity(1, 1);
  } else {
    eig.computeFromTridiagonal(alpha_.head(k), beta_.head(k - 1), Eigen::ComputeEigenvectors);
    if (eig.info() != Eigen::Success)
      throw NumericalError(fmt::format("local trajectory: Lanczos projection of G ({} x {}) not diagonalised", k, k));
    theta_ = eig.eigenvalues().cwiseMax(0.0);  // G >= 0; clip rounding
    ritz_ = eig.eigenvectors();
  }
  first_ = ritz_.row(0).transpose();
  last_ = ritz_.row(k - 1).transpose();
  weight_ = first_.cwiseAbs2();
}

double KrylovNoJump::relative_error(double t) const {
  if (beta_k_ == 0) return 0;
  // Both sums carry exp(-theta_min t), which cancels: factor it out so nothing underflows.
  const double low = theta_.minCoeff();
  double at_last = 0, norm2 = 0;
  for (Eigen::Index i = 0; i < theta_.size(); ++i) {
    const double e = std::exp(-(theta_[i] - low) * t);
    at_last += last_[i] * first_[i] * e;
    norm2 += weight_[i] * e * e;
  }
  return beta_k_ * std::fabs(at_last) / std::sqrt(norm2);
}

double KrylovNoJump::trusted_until(double t, double tolerance) const {
  if (!(relative_error(t) > tolerance)) return t;
  double lo = 0, hi = t;  // relative_error(0) = 0 (e_k^T e_1 = 0 for k > 1)
  for (int it = 0; it < 60 && hi - lo > 1e-12 * hi; ++it) {
    const double mid = 0.5 * (lo + hi);
    (relative_error(mid) <= tolerance ? lo : hi) = mid;
  }
  return lo;
}

void KrylovNoJump::evolve(double t, std::vector<double>& out) const {
  const Eigen::Index k = theta_.size();
  const double low = theta_.minCoeff();
  decayed_ = (first_.array() * (-(theta_.array() - low) * t).exp()).matrix();
  combined_.noalias() = ritz_ * decayed_;
  out.resize(rows_);
  Eigen::Map<Eigen::VectorXd>(out.data(), rows_).noalias() = basis_.leftCols(k) * combined_;
}

}  // namespace darkcharge
