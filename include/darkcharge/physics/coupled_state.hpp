#pragma once
/// @file coupled_state.hpp
/// The state of one trajectory in the coupled basis |j_C j_B; J M> (physics.md, "Facts").
///
/// Collective jumps conserve j_C, j_B and total J, and the initial states have definite M,
/// so a trajectory is a vector c_J over J = |j_C - j_B| .. j_C + j_B at one M:
/// 2 min(j_C, j_B) + 1 numbers, never the (2j_C+1)(2j_B+1) product space. In this basis
///  - the no-jump evolution is diagonal: c_J(t) = c_J exp(-Gamma_J t) (omega M t is a
///    global phase, the same for every J, and is dropped);
///  - J^- and J^+ are diagonal too: they rescale c_J and move M by -1 / +1;
///  - J_B^z links J to J +- 1 only, so every observable here is a tridiagonal quadratic form.
/// Every c_J is >= 0 (Clebsch-Gordan coefficients with the charger up are positive, and so
/// is every jump and decay factor), so the state is stored as weights w_J = c_J^2: jumps
/// and decays are then multiplications without square roots.
#include <map>
#include <utility>
#include <vector>

#include "darkcharge/physics/initial_state.hpp"
#include "darkcharge/physics/model.hpp"

namespace darkcharge {

/// A real symmetric tridiagonal quadratic form <c|X|c> = sum d_k c_k^2 + sum o_k c_k c_{k+1}
/// (o_k already counts both (k, k+1) and (k+1, k)).
struct TridiagonalForm {
  std::vector<double> diagonal;
  std::vector<double> off_diagonal;
};

class CoupledState {
 public:
  /// Starts |j_C, m_C = j_C> (x) |j_B, m_B> expanded in Clebsch-Gordan coefficients.
  void reset(const Model& model, const InitialState& init);

  double total_m() const { return m_; }
  double j_charger() const { return j_charger_; }
  double j_battery() const { return j_battery_; }
  double j_of(int k) const { return j_min_ + k; }
  int size() const { return size_; }
  /// First index k with J_k >= |M|; amplitudes below it vanish.
  int first() const { return first_; }
  /// Indices [active_begin, active_end) hold every non-negligible weight.
  int active_begin() const { return begin_; }
  int active_end() const { return end_; }
  /// Normalised weights w_k = c_k^2 at the time of the last jump (or start).
  const std::vector<double>& weights() const { return weight_; }
  /// Normalised amplitudes c_k = sqrt(w_k) (computed on request).
  std::vector<double> amplitudes() const;
  /// Total jump rate 2 Gamma_k of component k (both channels), Gamma_k = Im of H_eff.
  double jump_rate(int k) const { return jump_rate_[k]; }

  /// Picks component k with probability w_k: the first stage of drawing a waiting time
  /// from the survival probability sum_k w_k exp(-2 Gamma_k t), a mixture of exponentials.
  int pick_component(double u) const;
  /// No-jump evolution over time dt followed by renormalisation.
  void decay(double dt);
  /// Applies J^- or J^+, chosen with probability proportional to its rate in this state.
  void jump(double u);

  /// Amplitude decay exponents relative to the slowest active component, Gamma_k - Gamma_lo
  /// (>= 0): the same for every M, (r_- + r_+)/2 [J(J+1) - J_lo(J_lo+1)].
  double relative_decay(int k) const;
  /// True when the state cannot change until the next jump (one component left).
  bool is_stationary_between_jumps() const { return end_ - begin_ <= 1; }

  /// <J_B^z>, <P_op> with P_op = L^dagger(J_B^z) the power operator, and the dark-state
  /// population, for (unnormalised) amplitudes c at this M, supported on the active window;
  /// one pass (the hot path).
  struct LinearValues {
    double battery_jz, power, dark;
  };
  LinearValues linear_values(const double* c, double norm2) const;
  /// <(J_B^z)^2> = |J_B^z c|^2 / norm2 (J_B^z is tridiagonal in J, so its square is
  /// pentadiagonal; J_B^z c reaches one index beyond the active window on each side).
  double battery_jz_squared(const double* c, double norm2) const;

 private:
  void set_m(double m);
  void update_rates();
  void build_forms() const;
  void prune();

  double emission_ = 0, absorption_ = 0;  // 2 gamma (nbar+1), 2 gamma nbar
  double j_charger_ = 0, j_battery_ = 0, j_min_ = 0, j_max_ = 0;
  bool symmetric_battery_ = true;  // j_B = N_B / 2: only then is |J_max, -J_max> all-down
  int size_ = 0, first_ = 0, begin_ = 0, end_ = 0;
  double m_ = 0;
  std::vector<double> weight_, jump_rate_, lowering2_, raising2_;
  // Observable forms at the current M over every J >= |M| (entries depend on (j_B, M, J)
  // only), built on first use after a jump (most jumps see no output time) and kept per
  // (j_B, M) for later trajectories of this state object, up to kMaxCachedDoubles.
  struct Forms {
    TridiagonalForm jz, power;
    int dark_k = -1;  // index of |J, -J> if it is dark at this M, else -1
  };
  void compute_forms(Forms& f) const;
  static constexpr std::size_t kMaxCachedDoubles = std::size_t(1) << 22;  // 32 MB
  mutable std::map<std::pair<double, double>, Forms> form_cache_;
  mutable std::size_t cached_doubles_ = 0;
  mutable Forms scratch_forms_;           // used when the cache is full
  mutable const Forms* forms_ = nullptr;  // forms at the current M
  double cache_emission_ = -1, cache_absorption_ = -1, cache_j_charger_ = -1,
         cache_j_battery_max_ = -1;  // the model the cached forms belong to
  mutable bool forms_valid_ = false;
  mutable int dark_index_ = -1;  // index of |J, -J> if dark and active, else -1
  // J_B^z elements on the active window widened by one (for <(J_B^z)^2>), built on demand.
  mutable std::vector<double> jz_wide_diagonal_, jz_wide_upper_;
  mutable int wide_begin_ = 0, wide_end_ = 0;
  mutable bool wide_valid_ = false;
};

}  // namespace darkcharge
