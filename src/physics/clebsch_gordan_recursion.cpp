#include "darkcharge/physics/clebsch_gordan_recursion.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "darkcharge/physics/angular_momentum.hpp"

namespace darkcharge {
namespace {

constexpr double kRescaleAbove = 1e150;  // keeps the growing tails finite

}  // namespace

ClebschGordanRecursion::ClebschGordanRecursion(double j1, double j2, double M) {
  const double m_first = first_battery_level(j1, j2, M);
  n_ = static_cast<int>(std::lround(std::min(j2, M + j1) - m_first)) + 1;
  base_.resize(n_);
  alpha_.resize(n_);
  inv_alpha_.resize(n_);
  for (int i = 0; i < n_; ++i) {
    const double m2 = m_first + i, m1 = M - m2;
    base_[i] = j1 * (j1 + 1) + j2 * (j2 + 1) + 2 * m1 * m2;
    alpha_[i] = i + 1 < n_ ? std::sqrt((j1 + m1) * (j1 - m1 + 1) * (j2 - m2) * (j2 + m2 + 1)) : 0;
    inv_alpha_[i] = i + 1 < n_ ? 1.0 / alpha_[i] : 0;  // multiplications keep the chain short
  }
}

void ClebschGordanRecursion::column(double J, double* c, double* work) const {
  const int n = n_;
  const std::vector<double>& base = base_, &alpha = alpha_, &inv_alpha = inv_alpha_;
  if (n == 1) {
    c[0] = 1.0;
    return;
  }
  const double jj = J * (J + 1);
  auto d = [&](int i) { return jj - base[i]; };
  // Upwards from the lowest level while |C| grows: f in c[0..i_f].
  c[0] = 1.0;
  int i_f = 0;
  auto step_up = [&](int i) {  // c[i + 1] from c[i], c[i - 1]
    const double below = i > 0 ? alpha[i - 1] * c[i - 1] : 0.0;
    c[i + 1] = (d(i) * c[i] - below) * inv_alpha[i];
    if (std::fabs(c[i + 1]) > kRescaleAbove)
      for (int k = 0; k <= i + 1; ++k) c[k] /= kRescaleAbove;
  };
  while (i_f + 1 < n) {
    step_up(i_f);
    if (std::fabs(c[i_f + 1]) <= std::fabs(c[i_f])) break;
    ++i_f;
  }
  // Downwards from the highest level while |C| grows: b in work[i_b..n-1].
  double* b = work;
  b[n - 1] = 1.0;
  int i_b = n - 1;
  while (i_b > 0) {
    const double above = i_b + 1 < n ? alpha[i_b] * b[i_b + 1] : 0.0;
    b[i_b - 1] = (d(i_b) * b[i_b] - above) * inv_alpha[i_b - 1];
    if (std::fabs(b[i_b - 1]) > kRescaleAbove)
      for (int k = i_b - 1; k < n; ++k) b[k] /= kRescaleAbove;
    if (std::fabs(b[i_b - 1]) <= std::fabs(b[i_b])) break;
    --i_b;
  }
  // Through the oscillating middle upwards; match at a maximum of |C| (never a node).
  int match = i_f;
  if (i_f < i_b) {
    for (int i = i_f + 1; i < i_b; ++i) step_up(i);
    match = i_b;
  }
  const double scale = c[match] / b[match];
  for (int i = match + 1; i < n; ++i) c[i] = scale * b[i];
  double largest = 0;
  for (int i = 0; i < n; ++i) largest = std::max(largest, std::fabs(c[i]));
  double norm2 = 0;
  for (int i = 0; i < n; ++i) {
    c[i] /= largest;
    norm2 += c[i] * c[i];
  }
  const double inv = 1.0 / std::sqrt(norm2);
  for (int i = 0; i < n; ++i) c[i] *= inv;
}

void clebsch_gordan_block(double j_charger, double j_battery, double M, Eigen::MatrixXd& u) {
  const ClebschGordanRecursion rec(j_charger, j_battery, M);
  const double j_first = first_total_j(j_charger, j_battery, M);
  u.resize(rec.size(), rec.size());
  std::vector<double> work(rec.size());
  for (int k = 0; k < rec.size(); ++k) rec.column(j_first + k, u.col(k).data(), work.data());
}

void coupled_to_product(double j_charger, double j_battery, double M, const double* coupled,
                        double* product, std::vector<double>& work) {
  const ClebschGordanRecursion rec(j_charger, j_battery, M);
  const int n = rec.size();
  const double j_first = first_total_j(j_charger, j_battery, M);
  work.resize(2 * static_cast<std::size_t>(n));
  double* column = work.data() + n;
  std::fill(product, product + n, 0.0);
  for (int k = 0; k < n; ++k) {
    if (coupled[k] == 0) continue;
    rec.column(j_first + k, column, work.data());
    for (int i = 0; i < n; ++i) product[i] += coupled[k] * column[i];
  }
}

void product_to_coupled(double j_charger, double j_battery, double M, const double* product,
                        double* coupled, std::vector<double>& work) {
  const ClebschGordanRecursion rec(j_charger, j_battery, M);
  const int n = rec.size();
  const double j_first = first_total_j(j_charger, j_battery, M);
  work.resize(2 * static_cast<std::size_t>(n));
  double* column = work.data() + n;
  for (int k = 0; k < n; ++k) {
    rec.column(j_first + k, column, work.data());
    double sum = 0;
    for (int i = 0; i < n; ++i) sum += column[i] * product[i];
    coupled[k] = sum;
  }
}

void clebsch_gordan_column(double j_charger, double j_battery, double J, double M, double* c,
                           double* work) {
  ClebschGordanRecursion(j_charger, j_battery, M).column(J, c, work);
}

}  // namespace darkcharge
