#pragma once
/// @file coupled_local_jump.hpp
/// A local (single-spin) jump applied directly in the coupled basis |j_C j_B; J M>, in O(L)
/// instead of the O(L^2) of a Clebsch-Gordan change to the product basis and back.
///
/// Each local jump operator of ensemble X is sqrt(p_s g w_D(j_X)) B_D^s (physics.md, "Local
/// (single-spin) noise"), and B_D^s = kappa_D^s(j_X) T_q with T the unit rank-1 tensor
/// <j' m'|T_q|j m> = <j m; 1 q|j' m'> (q = -1, +1, 0 for s^-, s^+, s^z): the table's
/// amplitudes are those Clebsch-Gordan coefficients up to a factor of j alone. A rank-1
/// tensor of one ensemble links J to J' in {J - 1, J, J + 1} only, with (Wigner-Eckart and
/// Edmonds, Angular Momentum in Quantum Mechanics, eqs. 7.1.7-7.1.8)
///   <(j_C j_B') J' M'| T_q(B) |(j_C j_B) J M> = <J M; 1 q|J' M'> (-1)^(j_C + j_B + J' + 1)
///                                sqrt((2J + 1)(2 j_B' + 1)) {j_B' J' j_C; J j_B 1},
///   <(j_C' j_B) J' M'| T_q(C) |(j_C j_B) J M> = <J M; 1 q|J' M'> (-1)^(j_C' + j_B + J + 1)
///                                sqrt((2J + 1)(2 j_C' + 1)) {j_C' J' j_B; J j_C 1},
/// and the 6j symbols with one argument 1 in closed form (Edmonds, Table 5).
#include <vector>

#include "darkcharge/physics/local_jump_state.hpp"
#include "darkcharge/physics/model.hpp"

namespace darkcharge {

/// A trajectory state in the coupled basis: coefficients over J = first_total_j(j_C, j_B, M) + k.
struct CoupledJumpState {
  double jc = 0, jb = 0, M = 0;
  std::vector<double> c;
  int size() const { return static_cast<int>(c.size()); }
};

/// <j m; 1 q | j' m + q> (Condon-Shortley), 0 where it does not exist.
double spin_one_clebsch_gordan(double j, double m, int q, double j_prime);

/// The 6j symbol {a b c; 1 c+x b+y}, x, y in {-1, 0, +1}; 0 where a triad fails.
double six_j_with_one(double a, double b, double c, int x, int y);

/// kappa: B_D^s(j, m) = kappa <j m; 1 q | j + D, m + q> for every m.
double unit_tensor_factor(LocalChannel channel, int shift, double j);

/// out = K psi for a local channel (not normalized, block (j_C', j_B', M')); returns
/// ||K psi||^2. `out` keeps its capacity between calls (no allocation once warm).
double apply_coupled_local_jump(const Model& model, const JumpChannel& channel,
                                const CoupledJumpState& psi, CoupledJumpState& out);

}  // namespace darkcharge
