#pragma once
/// @file model.hpp
/// The open quantum battery of Quach & Munro (2020), Eq. 2, in the units of physics.md:
/// hbar = 1; t, 1/gamma and 1/omega share one (the user's) time unit; energy in omega.
#include <string>

#include "darkcharge/physics/local_noise.hpp"

namespace darkcharge {

/// How the battery starts (physics.md, "Initial state"). The charger always starts fully up.
enum class BatteryInit {
  ground,   ///< every battery spin down: |j_B = N_B/2, m_B = -N_B/2>
  thermal,  ///< every battery spin in equilibrium with the reservoir, all j_B sectors
};

/// Which spins the reservoir's collective channels act on (physics.md, "Protocols"):
/// `both` is the paper's shared reservoir, K = J^-+ with J = J_C + J_B; `battery` (the
/// charger disconnected) J_B^-+ alone; `charger` J_C^-+ alone; `none` no collective channel.
enum class ReservoirCoupling { both, battery, charger, none };

/// Parameters of the master equation and of the initial state.
struct Model {
  int n_battery = 2;    ///< N_B, number of battery spins
  int n_charger = 10;   ///< N_C, number of charger spins
  double omega = 1.0;   ///< spin splitting; a global phase on the definite-M states used here
  double gamma = 1.0;   ///< reservoir coupling: J^- jumps at 2 gamma (nbar+1), J^+ at 2 gamma nbar
  double nbar = 0.0;    ///< mean thermal occupation of the reservoir at omega
  BatteryInit battery_init = BatteryInit::thermal;
  /// Single-spin decay, pumping and dephasing on each ensemble (physics.md, "Local
  /// (single-spin) noise"); all 0 by default: the paper's purely collective model.
  LocalNoise local;
  /// The spins the collective channels act on; anything but `both` runs only with the
  /// reduced Dicke-basis solver (the coupled-basis engines refuse it, check_collective_only).
  ReservoirCoupling reservoir = ReservoirCoupling::both;

  double j_charger() const { return 0.5 * n_charger; }
  double j_battery() const { return 0.5 * n_battery; }
  /// Total J of the coupled basis runs over lowest_total_j(), ..., j_C + j_B.
  double lowest_total_j() const { return (n_battery + n_charger) % 2 ? 0.5 : 0.0; }
  int total_j_count() const { return (n_battery + n_charger) / 2 + 1; }
  /// Rate prefactor of the emission channel J^-: 2 gamma (nbar + 1).
  double emission_rate() const { return 2.0 * gamma * (nbar + 1.0); }
  /// Rate prefactor of the absorption channel J^+: 2 gamma nbar.
  double absorption_rate() const { return 2.0 * gamma * nbar; }
  /// Probability that one battery spin is up in equilibrium, nbar / (2 nbar + 1).
  double thermal_up_probability() const { return nbar / (2.0 * nbar + 1.0); }
};

/// Largest N_B and N_C accepted. Keeps every size derived from them (2J + 1, N_B + N_C,
/// index products) far inside int and double range; no run is feasible near it anyway
/// (the thermal battery alone has ~(N_B/2)^2 levels).
constexpr int kMaxSpins = 10'000'000;

/// Largest rate scale accepted: the sum of every process's largest rate (process.hpp), for
/// the reservoir 2 gamma (2 nbar + 1) (J_max + 1)^2, J_max = (N_B + N_C)/2.
/// Rates enter squared and multiplied by times; above this the arithmetic of a trajectory
/// or of the exact solver overflows to inf/nan. (Time is in units of 1/gamma: a huge gamma
/// only rescales time.)
constexpr double kMaxRateScale = 1e100;

/// The sum over processes of largest_rate() (process.hpp): the largest total jump rate, up
/// to a factor ~2; 2 gamma (2 nbar + 1) (J_max + 1)^2 without local noise.
double rate_scale(const Model& model);

/// Throws InvalidArgument naming the offending field unless the model is physical and
/// within kMaxSpins and kMaxRateScale.
void validate(const Model& model);

struct TimeGrid;
/// Largest accepted t_max x rate_scale(model). The solvers form products of rates and times
/// and exponentials of them, which overflow near 1e308 (t_max = 1e308 gave E_B = 0.5 and
/// S_B = -inf). Times this long are far past every relaxation time (~1 / rates): the steady
/// state (steady_state.hpp) gives the values there.
constexpr double kMaxRateTime = 1e300;
/// Throws InvalidArgument naming t_max unless t_max x rate_scale(model) <= kMaxRateTime.
void validate(const Model& model, const TimeGrid& grid);

/// Throws InvalidArgument naming `engine` when the model has local (single-spin) noise or a
/// reservoir coupled to anything but J_C + J_B: for the engines built on conserved total
/// spins (j_C, j_B) and the total J of the coupled basis, which would otherwise silently
/// drop it.
void check_collective_only(const Model& model, const char* engine);

/// nbar = 1 / (exp(omega / T) - 1), T in units of hbar omega / k_B; T = 0 gives 0.
double nbar_from_temperature(double temperature, double omega = 1.0);

/// Parses "ground" or "thermal"; throws InvalidArgument otherwise.
BatteryInit parse_battery_init(const std::string& name);
const char* to_string(BatteryInit init);

/// Parses "both", "battery", "charger" or "none"; throws InvalidArgument otherwise.
ReservoirCoupling parse_reservoir(const std::string& name);
const char* to_string(ReservoirCoupling coupling);

}  // namespace darkcharge
