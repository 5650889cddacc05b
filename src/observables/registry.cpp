// The registry: every column darkcharge outputs, in output order, with its help text, error
// method and cost, and the unit that computes it. Adding an observable = one file in this
// folder + its factory declaration and one line in kRegistry (and kUnits if it is a new unit).
#include "darkcharge/observables/registry.hpp"

#include <algorithm>
#include <cstdlib>
#include <map>

#include <fmt/format.h>

#include "darkcharge/core/errors.hpp"

namespace darkcharge {

using Factory = std::unique_ptr<Observable> (*)(const ObservableContext&);
std::unique_ptr<Observable> make_battery_energy(const ObservableContext&);
std::unique_ptr<Observable> make_charger_energy(const ObservableContext&);
std::unique_ptr<Observable> make_battery_power(const ObservableContext&);
std::unique_ptr<Observable> make_open_work(const ObservableContext&);
std::unique_ptr<Observable> make_dark_population(const ObservableContext&);
std::unique_ptr<Observable> make_battery_ergotropy(const ObservableContext&);
std::unique_ptr<Observable> make_entanglement(const ObservableContext&);
std::unique_ptr<Observable> make_energy_spread(const ObservableContext&);
std::unique_ptr<Observable> make_emission_current(const ObservableContext&);
std::unique_ptr<Observable> make_absorption_current(const ObservableContext&);
std::unique_ptr<Observable> make_emitted_quanta(const ObservableContext&);
std::unique_ptr<Observable> make_absorbed_quanta(const ObservableContext&);
std::unique_ptr<Observable> make_emission_fano_factor(const ObservableContext&);
std::unique_ptr<Observable> make_sector_populations(const ObservableContext&);
std::unique_ptr<Observable> make_emission_counts(const ObservableContext&);
std::unique_ptr<Observable> make_jump_record(const ObservableContext&);

namespace {

const char* const kCheap = "O(2 min(j_C,j_B)+1) per output time";
const char* const kProduct =
    "Clebsch-Gordan tables; (2 min(j_C,j_B)+1)^2 per trajectory and output time";

const std::vector<ObservableInfo> kRegistry = {
    {"E_B", "E_B", "battery energy per spin, <J_B^z>/N_B + 1/2 (Eq. 6)", "standard-error", kCheap, true},
    {"E_C", "E_C", "charger energy per spin, <J_C^z>/N_C + 1/2 (Eq. 6)", "standard-error", kCheap, true},
    {"P_B", "P_B", "battery power per spin: the expectation of the power operator L^dag(J_B^z)/N_B, not a finite difference (Eq. 11)", "standard-error", kCheap, true},
    {"W_open", "W_open", "open-system work E_B - nbar/(2 nbar + 1) (Eq. 8)", "standard-error", kCheap, true},
    {"dark", "dark", "population of dark states (kernel of J^-, minus the all-down state)", "standard-error", kCheap, true},
    {"W_B", "W_B", "ergotropy per spin over all unitaries of the 2^N_B battery space (Eq. 9-10)", "jackknife", kProduct, true},
    {"W_B_sym", "W_B", "the same over the symmetric subspace (the paper's convention); nan where the battery is not confined to it (a thermal battery, single-spin noise on the battery)", "jackknife", kProduct, true, true, "defined only while the battery stays in its symmetric sector (battery-init ground)"},
    {"S_B", "S_B", "logarithmic negativity (log2 of the trace norm of rho^{T_B}) of the charger-battery state (Eq. 12)", "jackknife", "as W_B, plus one eigen-decomposition per block and output time", true, true, "not estimated where its note says why (too few trajectories for the blocks they visit, or beyond the validated width), else undefined where the averaged state gives no finite log-negativity"},
    {"dS_B_dt", "S_B", "its time derivative (second-order differences of S_B on the grid; Fig. 5)", "jackknife", "as S_B", true, true, "not estimated where its note says why (too few trajectories for the blocks they visit, or beyond the validated width), else undefined where the averaged state gives no finite log-negativity"},
    {"sigma_B", "sigma_B", "battery energy standard deviation per spin sqrt(<(J_B^z)^2> - <J_B^z>^2)/N_B (charging precision)", "jackknife", kCheap, true, false},
    {"I_em", "I_em", "emission current 2 gamma (nbar+1) <J^+J^->: expected J^- jumps per unit time", "standard-error", kCheap, true, false},
    {"I_abs", "I_abs", "absorption current 2 gamma nbar <J^-J^+>: expected J^+ jumps per unit time", "standard-error", kCheap, true, false},
    {"N_em", "N_em", "mean number of quanta emitted into the reservoir since t = 0 (collective J^- jumps; single-spin decays are not counted)", "standard-error", "O(1)", true, false, "numerically undefined there", true},
    {"N_abs", "N_abs", "mean number of quanta absorbed from the reservoir since t = 0 (collective J^+ jumps; single-spin pumping is not counted)", "standard-error", "O(1)", true, false, "numerically undefined there", true},
    {"F_em", "F_em", "Fano factor Var(n_em)/<n_em> of the emitted-quanta count (nan before the first emission)", "jackknife", "O(1)", true, false, "undefined before the first emission (no quanta emitted yet)", true},
};

const std::map<std::string, Factory> kUnits = {
    {"E_B", make_battery_energy},
    {"E_C", make_charger_energy},
    {"P_B", make_battery_power},
    {"W_open", make_open_work},
    {"dark", make_dark_population},
    {"W_B", make_battery_ergotropy},
    {"S_B", make_entanglement},
    {"sigma_B", make_energy_spread},
    {"I_em", make_emission_current},
    {"I_abs", make_absorption_current},
    {"N_em", make_emitted_quanta},
    {"N_abs", make_absorbed_quanta},
    {"F_em", make_emission_fano_factor},
    // Side outputs (not columns of the main table).
    {"sectors", make_sector_populations},
    {"emission_counts", make_emission_counts},
    {"jump_record", make_jump_record},
};

}  // namespace

const std::vector<ObservableInfo>& observable_registry() { return kRegistry; }

std::vector<std::string> observable_names(bool exact_only) {
  std::vector<std::string> names;
  for (const auto& info : kRegistry)
    if (info.exact || !exact_only) names.push_back(info.name);
  return names;
}

const ObservableInfo& observable_info(const std::string& name) {
  for (const auto& info : kRegistry)
    if (info.name == name) return info;
  std::string valid;
  for (const auto& info : kRegistry) valid += (valid.empty() ? "" : ", ") + info.name;
  throw InvalidArgument(
      fmt::format("observables: unknown column '{}' (valid: {})", name, valid));
}

std::string nan_reason(const std::string& name) {
  for (const auto& info : kRegistry)
    if (info.name == name) return info.nan_reason;
  return ObservableInfo{}.nan_reason;
}

void validate_observables(const std::vector<std::string>& names) {
  for (const auto& name : names) observable_info(name);
}

std::unique_ptr<Observable> make_observable(const std::string& unit,
                                            const ObservableContext& context) {
  const auto it = kUnits.find(unit);
  if (it == kUnits.end())
    throw InvalidArgument(fmt::format("make_observable: unknown unit '{}'", unit));
  return it->second(context);
}

bool requests_any(const std::vector<std::string>& requested,
                  const std::vector<std::string>& names) {
  if (requested.empty()) return true;
  for (const auto& name : names)
    if (std::find(requested.begin(), requested.end(), name) != requested.end()) return true;
  return false;
}

std::vector<std::string> units_to_run(const EnsembleOptions& options) {
  std::vector<std::string> units;
  for (const auto& info : observable_registry()) {
    const bool wanted =
        options.observables.empty()
            ? info.in_default && !((info.unit == "W_B" && !options.ergotropy) ||
                                   (info.unit == "S_B" && !options.entanglement))
            : requests_any(options.observables, {info.name}) || info.name == "P_B";
    if (wanted && std::find(units.begin(), units.end(), info.unit) == units.end())
      units.push_back(info.unit);
  }
  if (options.sector_populations) units.push_back("sectors");
  if (!options.count_times.empty()) units.push_back("emission_counts");
  if (options.record_trajectories > 0) units.push_back("jump_record");
  return units;
}

bool unit_makes_any(const std::string& unit, const std::vector<std::string>& names) {
  for (const auto& info : observable_registry())
    if (info.unit == unit && std::find(names.begin(), names.end(), info.name) != names.end())
      return true;
  return false;
}

TimeSeries select_columns(const TimeSeries& series, const std::vector<std::string>& wanted) {
  if (wanted.empty()) return series;
  TimeSeries out{series.time, {}};
  for (const auto& c : series.columns)
    if (std::find(wanted.begin(), wanted.end(), c.name) != wanted.end()) out.columns.push_back(c);
  return out;
}

std::string observables_markdown_table() {
  std::string out =
      "| column | meaning | error | cost | exact | default |\n"
      "| --- | --- | --- | --- | --- | --- |\n";
  for (const auto& info : kRegistry)
    out += fmt::format("| `{}` | {} | {} | {} | {} | {} |\n", info.name, info.help,
                       info.error_method, info.cost,
                       info.exact_product_only ? "`--method product`" : info.exact ? "yes" : "no",
                       info.in_default ? "yes" : "no");
  return out;
}

}  // namespace darkcharge
