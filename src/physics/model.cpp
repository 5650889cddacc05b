#include "darkcharge/physics/model.hpp"
#include "darkcharge/core/time_grid.hpp"
#include "darkcharge/physics/process.hpp"

#include <cmath>

#include <fmt/format.h>

#include "darkcharge/core/errors.hpp"

namespace darkcharge {

void validate(const Model& model) {
  check_at_least("n_battery (N_B)", model.n_battery, 1);
  check_at_least("n_charger (N_C)", model.n_charger, 1);
  check_positive("omega", model.omega);
  check_positive("gamma", model.gamma);
  check_non_negative("nbar", model.nbar);
  validate(model.local);
  (void)to_string(model.reservoir);  // throws for a value outside the enum
  check_at_most("n_battery (N_B)", model.n_battery, kMaxSpins);
  check_at_most("n_charger (N_C)", model.n_charger, kMaxSpins);
  const double scale = rate_scale(model);
  if (!(scale <= kMaxRateScale))
    throw InvalidArgument(fmt::format(
        "rate scale (the sum of the processes' largest rates, 2 gamma (2 nbar + 1) (J_max + 1)^2 "
        "for the reservoir) = {:.3g} exceeds {:.0e} (gamma = {}, "
        "nbar = {}, N_B = {}, N_C = {}): rates this large overflow double arithmetic",
        scale, kMaxRateScale, model.gamma, model.nbar, model.n_battery, model.n_charger));
}

void check_collective_only(const Model& model, const char* engine) {
  if (model.local.any())
    throw InvalidArgument(fmt::format(
        "{} conserves j_C and j_B and has no local (single-spin) noise; with local rates use "
        "the reduced Dicke-basis solver (solve_exact_local, `darkcharge exact`)",
        engine));
  if (model.reservoir != ReservoirCoupling::both)
    throw InvalidArgument(fmt::format(
        "{} has the shared reservoir (J = J_C + J_B) only; reservoir '{}' (a protocol segment) "
        "runs with the reduced Dicke-basis solver (`darkcharge exact --protocol`)",
        engine, to_string(model.reservoir)));
}

double rate_scale(const Model& model) {
  double scale = 0;
  for (const Process& p : processes(model)) scale += largest_rate(p, model);
  return scale;
}

void validate(const Model& model, const TimeGrid& grid) {
  const double product = grid.t_max * rate_scale(model);
  if (!(product <= kMaxRateTime))
    throw InvalidArgument(fmt::format(
        "t_max = {:g}: t_max x rate scale = {:.3g} exceeds {:.0e}, where rate x time overflows "
        "double arithmetic; the system has relaxed long before (use the steady state)",
        grid.t_max, product, kMaxRateTime));
}

double nbar_from_temperature(double temperature, double omega) {
  check_non_negative("temperature", temperature);
  check_positive("omega", omega);
  if (temperature == 0.0) return 0.0;
  // expm1 keeps precision at high temperature, where omega/T is small.
  return 1.0 / std::expm1(omega / temperature);
}

BatteryInit parse_battery_init(const std::string& name) {
  if (name == "ground") return BatteryInit::ground;
  if (name == "thermal") return BatteryInit::thermal;
  throw InvalidArgument(
      fmt::format("battery-init must be 'ground' or 'thermal', got '{}'", name));
}

const char* to_string(BatteryInit init) {
  return init == BatteryInit::ground ? "ground" : "thermal";
}

ReservoirCoupling parse_reservoir(const std::string& name) {
  if (name == "both") return ReservoirCoupling::both;
  if (name == "battery") return ReservoirCoupling::battery;
  if (name == "charger") return ReservoirCoupling::charger;
  if (name == "none") return ReservoirCoupling::none;
  throw InvalidArgument(fmt::format(
      "reservoir must be 'both', 'battery', 'charger' or 'none', got '{}'", name));
}

const char* to_string(ReservoirCoupling coupling) {
  switch (coupling) {
    case ReservoirCoupling::both: return "both";
    case ReservoirCoupling::battery: return "battery";
    case ReservoirCoupling::charger: return "charger";
    case ReservoirCoupling::none: return "none";
  }
  throw InvalidArgument(fmt::format("reservoir: invalid value {}", static_cast<int>(coupling)));
}

}  // namespace darkcharge
