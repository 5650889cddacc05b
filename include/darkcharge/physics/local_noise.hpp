#pragma once
/// @file local_noise.hpp
/// Single-spin (local) noise on the charger and the battery (physics.md, "Local
/// (single-spin) noise"), and the coefficients that carry it to the reduced Dicke basis:
/// on ensemble X (N = N_X spins) the Lindblad terms
///   sum_{i in X} (g_down / 2) L[s_i^-] + (g_up / 2) L[s_i^+] + (g_phi / 4) L[s_i^z]
/// (s^z the Pauli matrix) act on a permutation-symmetric state
/// rho = sum_j rhot_j (x) 1/d(N, j) through the sandwich
///   sum_i s_i rho s_i^dag  ->  sum_{D = -1, 0, +1} w_D(N, j) B_D rhot_j B_D^dag  (in block j + D)
/// and the collective anticommutators sum_i s_i^dag s_i = N/2 + J_z, N/2 - J_z, N
/// (Chase & Geremia, PRA 78, 052101 (2008); Shammah et al., PRA 98, 063815 (2018)).
/// These functions are the one place the weights and amplitudes live.

#include <optional>

namespace darkcharge {

/// Rates of the three single-spin channels of one ensemble (per unit time).
struct LocalRates {
  double decay = 0;      ///< g_down: collapse operator sqrt(g_down) s^- (T1 = 1/g_down)
  double pumping = 0;    ///< g_up: collapse operator sqrt(g_up) s^+
  double dephasing = 0;  ///< g_phi: collapse operator sqrt(g_phi / 2) s^z (T2 = 1/g_phi)
  bool any() const { return decay > 0 || pumping > 0 || dephasing > 0; }
};

/// Local noise of the whole device: separate rates for the charger and the battery.
struct LocalNoise {
  LocalRates charger, battery;
  bool any() const { return charger.any() || battery.any(); }
};

/// Throws InvalidArgument naming the rate (e.g. "battery dephasing") and its value unless
/// every rate is finite and >= 0.
void validate(const LocalNoise& noise);

/// Optional rates of the three channels (decay, pumping, dephasing), as a front end takes
/// them: unset when the user did not give one.
struct LocalRatesRequest {
  std::optional<double> decay, pumping, dephasing;
};

/// The front ends' rule for single-spin rates: `shared` (CLI --local-*, Python local_*)
/// applies to both ensembles, a rate given for one ensemble (--charger-*/--battery-*,
/// charger_*/battery_*) overrides it, and a rate given nowhere is 0.
LocalNoise resolve_local_noise(const LocalRatesRequest& shared, const LocalRatesRequest& charger,
                               const LocalRatesRequest& battery);

/// The three single-spin channels, by their jump operator s^-, s^+, s^z.
enum class LocalChannel { decay, pumping, dephasing };
constexpr LocalChannel kLocalChannels[] = {LocalChannel::decay, LocalChannel::pumping,
                                           LocalChannel::dephasing};

/// g_s of `channel` in `rates`.
double channel_rate(const LocalRates& rates, LocalChannel channel);
/// p_s: the sandwich is p_s g_s sum_i s_i rho s_i^dag (1, 1, 1/2 for s^-, s^+, s^z).
double channel_prefactor(LocalChannel channel);
/// How the jump moves m (and total M): -1, +1, 0 for s^-, s^+, s^z.
int channel_m_step(LocalChannel channel);

/// w_D(N, j) for D = shift in {-1, 0, +1}: the weight of the block j -> j + D in the
/// total-weight convention (no d(j')/d(j) factor); 0 where j + D is not a sector of N spins.
double local_weight(int n_spins, double j, int shift);

/// <j + D, m + delta| B_D |j m> for s = `channel` (delta = channel_m_step), D = shift; 0 when
/// either state does not exist.
double local_amplitude(LocalChannel channel, int shift, double j, double m);

/// sum_D w_D(N, j) |B_D(j, m)|^2: the diagonal of sum_D w_D B_D^dag B_D at |j m>.
double local_completeness_sum(LocalChannel channel, int n_spins, double j, double m);
/// What that sum must equal, sum_i <s_i^dag s_i>: N/2 + m, N/2 - m, N (trace preservation).
double local_completeness_target(LocalChannel channel, int n_spins, double m);

}  // namespace darkcharge
