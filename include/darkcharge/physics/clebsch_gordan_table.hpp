#pragma once
/// @file clebsch_gordan_table.hpp
/// Clebsch-Gordan matrices U^M[m_B, J] = <j_C, M - m_B; j_B, m_B | J M> for every M of one
/// sector, in Condon-Shortley phases: the change of basis from the coupled basis (where
/// trajectories live) to the product basis (where partial traces and transposes are taken).
///
/// Each U^M is the eigenvector matrix of J_B^z restricted to M, a tridiagonal matrix in J
/// (its eigenvalues are the m_B). Eigenvectors come with arbitrary signs; the signs are fixed
/// from the all-down state upwards by requiring <m_C - 1, m_B| J^- |m_C, m_B> > 0 (or the
/// battery analogue), which is robust where the stretched coefficients underflow.
#include <vector>

#include <Eigen/Dense>

namespace darkcharge {

class ClebschGordanTable {
 public:
  ClebschGordanTable(double j_charger, double j_battery);

  double j_charger() const { return j1_; }
  double j_battery() const { return j2_; }
  /// U^M, rows m_B = first_battery_level(j_C, j_B, M) + i, columns
  /// J = first_total_j(j_C, j_B, M) + k (angular_momentum.hpp).
  const Eigen::MatrixXd& at(double M) const;

 private:
  int index(double M) const;
  double j1_, j2_;
  std::vector<Eigen::MatrixXd> u_;  // by M from -(j1 + j2)
};

}  // namespace darkcharge
