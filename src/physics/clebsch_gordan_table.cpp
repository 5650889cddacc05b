#include "darkcharge/physics/clebsch_gordan_table.hpp"

#include <cmath>

#include "darkcharge/physics/angular_momentum.hpp"

namespace darkcharge {

ClebschGordanTable::ClebschGordanTable(double j_charger, double j_battery)
    : j1_(j_charger), j2_(j_battery) {
  const double m_max = j1_ + j2_;
  for (double M = -m_max; M <= m_max; M += 1) {
    const double j_first = first_total_j(j1_, j2_, M);
    const int n = static_cast<int>(std::lround(m_max - j_first)) + 1;
    Eigen::VectorXd diagonal(n), sub(std::max(n - 1, 0));
    for (int k = 0; k < n; ++k) diagonal(k) = battery_jz_diagonal(j1_, j2_, j_first + k, M);
    for (int k = 0; k + 1 < n; ++k)
      sub(k) = battery_jz_offdiagonal(j1_, j2_, j_first + k + 1, M);
    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig;
    eig.computeFromTridiagonal(diagonal, sub, Eigen::ComputeEigenvectors);
    Eigen::MatrixXd u = eig.eigenvectors().transpose();  // row i: m_B, ascending
    if (M > -m_max) {
      const Eigen::MatrixXd& below = u_.back();
      const double j_below = first_total_j(j1_, j2_, M - 1);
      const double mb_below = first_battery_level(j1_, j2_, M - 1);
      for (int i = 0; i < n; ++i) {
        const double m_b = first_battery_level(j1_, j2_, M) + i, m_c = M - m_b;
        // Partner one step down: lower the charger if it can go lower, else the battery.
        const int row = static_cast<int>(std::lround((m_c > -j1_ ? m_b : m_b - 1) - mb_below));
        double overlap = 0;  // <partner| J^- |m_C m_B>, J^- diagonal in the coupled basis
        for (int k = 0; k < n; ++k) {
          const double J = j_first + k;
          const int k_below = static_cast<int>(std::lround(J - j_below));
          if (k_below < 0) continue;  // J = -M: J^- |J, -J> = 0
          overlap += below(row, k_below) * std::sqrt(lowering_squared(J, M)) * u(i, k);
        }
        if (overlap < 0) u.row(i) *= -1.0;
      }
    } else {
      u(0, 0) = 1.0;  // the all-down state
    }
    u_.push_back(std::move(u));
  }
}

int ClebschGordanTable::index(double M) const {
  return static_cast<int>(std::lround(M + j1_ + j2_));
}

const Eigen::MatrixXd& ClebschGordanTable::at(double M) const { return u_.at(index(M)); }

}  // namespace darkcharge
