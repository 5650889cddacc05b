#pragma once
/// @file clebsch_gordan_recursion.hpp
/// One Clebsch-Gordan block U^M[m_B, J] = <j_C, M - m_B; j_B, m_B | J M> computed on its own,
/// in O(n^2) for n = 2 min(j_C, j_B) + 1, without the O(N n^2) memory of a full
/// ClebschGordanTable: what the coupled-basis exact solver needs at thousands of spins.
///
/// For fixed J and M the coefficients C(m_B) solve the three-term recursion of
/// J^2 = J_C^2 + J_B^2 + 2 J_C^z J_B^z + J_C^+ J_B^- + J_C^- J_B^+ in the product basis,
///   [J(J+1) - j_C(j_C+1) - j_B(j_B+1) - 2 m_C m_B] C(m_B) = alpha(m_B) C(m_B + 1)
///                                                        + alpha(m_B - 1) C(m_B - 1),
/// alpha(m_B) = sqrt((j_C + m_C)(j_C - m_C + 1)) sqrt((j_B - m_B)(j_B + m_B + 1)), m_C = M - m_B.
/// It is run as Schulten and Gordon (J. Math. Phys. 16, 1961 (1975)) advise: from each end
/// inwards only while |C| grows (the direction in which the classically forbidden tails are
/// stable), through the oscillating middle in one direction, matched at a maximum of |C|.
/// Condon-Shortley phases make C at the lowest m_B positive (there either m_C = j_C, where
/// Racah's sum has one positive term, or m_B = -j_B, which the symmetry
/// <j1 m1 j2 m2|J M> = (-1)^(j1+j2-J) <j1 -m1 j2 -m2|J -M> applied twice makes positive).
#include <vector>

#include <Eigen/Dense>

namespace darkcharge {

/// The J-independent parts of the recursion at one (j_C, j_B, M), built in O(n): columns for
/// any J then cost O(n) each. C(i) couples to C(i +- 1) through alpha[i] (link i -> i + 1;
/// alpha[n - 1] = 0) with diagonal J(J+1) - base[i].
class ClebschGordanRecursion {
 public:
  ClebschGordanRecursion(double j_charger, double j_battery, double M);
  /// Number of battery levels (rows) and of coupled J (columns) at this M.
  int size() const { return n_; }
  /// Column for total J into c[0..n-1] (work: scratch of n doubles).
  void column(double J, double* c, double* work) const;

 private:
  int n_;
  std::vector<double> base_, alpha_, inv_alpha_;
};

/// Fills u with U^M: rows m_B = first_battery_level(j_C, j_B, M) + i, columns
/// J = first_total_j(j_C, j_B, M) + k (angular_momentum.hpp), the same layout and phases
/// as ClebschGordanTable::at(M).
void clebsch_gordan_block(double j_charger, double j_battery, double M, Eigen::MatrixXd& u);

/// product = U^M coupled (coupled coefficients over J -> amplitudes over m_B) and its transpose
/// coupled = (U^M)^T product, one column at a time: the same O(n^2) work as
/// clebsch_gordan_block() without storing the n x n block. `work` is scratch (resized).
void coupled_to_product(double j_charger, double j_battery, double M, const double* coupled,
                        double* product, std::vector<double>& work);
void product_to_coupled(double j_charger, double j_battery, double M, const double* product,
                        double* coupled, std::vector<double>& work);

/// One column of that block (fixed J), written to c[0..n-1]; `work` is scratch of size n.
void clebsch_gordan_column(double j_charger, double j_battery, double J, double M, double* c,
                           double* work);

}  // namespace darkcharge
