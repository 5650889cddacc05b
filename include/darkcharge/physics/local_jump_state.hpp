#pragma once
/// @file local_jump_state.hpp
/// The quantum-jump unravelling of Eq. 2 plus single-spin noise (physics.md, "Local
/// (single-spin) noise") on one pure trajectory state. Every jump operator and the no-jump
/// generator G keep (j_C, j_B) and total M definite, so the state is (j_C, j_B, M) plus real
/// amplitudes over the product Dicke basis |m_C = M - m_B, m_B>, m_B = first_battery_level +
/// i ascending (the layout of DensityMatrix and of the reduced Dicke solver). Amplitudes stay
/// real: G, the jump operators and the initial states are real in this basis.
#include <vector>

#include "darkcharge/physics/local_noise.hpp"
#include "darkcharge/physics/model.hpp"
#include "darkcharge/physics/process.hpp"

namespace darkcharge {

struct LocalJumpState {
  double jc = 0, jb = 0, M = 0;
  std::vector<double> amp;  ///< over m_B = first_mb() + i
  double first_mb() const;
  int size() const { return static_cast<int>(amp.size()); }
};

/// One jump channel of the unravelling: a process of the model (process.hpp), and for a
/// local one the move D of j_X, i.e. the collapse operator sqrt(p_s g_s^X w_D(N_X, j_X)) B_D^{s,X}.
struct JumpChannel {
  Process process;
  int shift = 0;  ///< local: D, the move of j_X
  bool local() const { return !process.collective(); }
};

/// The channels of the model's processes (collective first, then local with D = -1, 0, +1),
/// at most 20.
std::vector<JumpChannel> jump_channels(const Model& model);

/// out = K psi (not normalized, possibly another block); returns ||K psi||^2.
double apply_jump(const Model& model, const JumpChannel& channel, const LocalJumpState& psi,
                  LocalJumpState& out);

/// Linear observables of a normalized state, as expectation values.
struct LocalSnapshot {
  double jz_battery = 0, jz_charger = 0, jz_battery_squared = 0;
  double power = 0;       ///< <L^dag(J_B^z)> of every process (d<J_B^z>/dt)
  double dark = 0;        ///< |<J = -M, M|psi>|^2 when that state is dark, else 0
  double emission = 0;    ///< <K^+K^->, K^- = J^-, J_B^- or J_C^- (model.reservoir; 0 for none)
  double absorption = 0;  ///< <K^-K^+>
};
LocalSnapshot observe(const Model& model, const LocalJumpState& psi);

}  // namespace darkcharge
