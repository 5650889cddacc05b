// The estimates' shared terms (the battery sectors, the output's cost), the dispatch to each
// engine's estimate (resource_terms.hpp) and the checks both front ends call.
#include "darkcharge/ensemble/resource_estimate.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>
#include <unistd.h>

#include "darkcharge/core/errors.hpp"
#include "darkcharge/ensemble/column_selection.hpp"
#include "ensemble/cascade_sampler.hpp"
#include "ensemble/resource_terms.hpp"

namespace darkcharge {
namespace resource_terms {
namespace {

// The process before any work: the program, its libraries and the C++ runtime (peak RSS of
// the smallest runs, 7.5-11 MB; 10.0 MB for `exact --nb 2 --nc 10`, whose thermal battery
// fills the 2 MB table of log_factorial).
constexpr double kProcessBytes = 10.0 * 1024 * 1024;
// What every run does with its output times, beyond its engine's own arrays: the engine's
// full time series (every column, value and error: held twice while the selected columns,
// the peaks and the output are made) and, per value written, the selected copy and the
// text (CSV or numpy). Calibrated on the cascade at 1e6 output times (N_B = 2, N_C = 10, one
// thread): 525 MB peak with E_B alone, 720 MB with every default column, of which the
// cascade's own arrays are 88 MB; formatting ~0.1 us per value written.
constexpr double kSeriesBytesPerValue = 16;
constexpr double kOutputBytesPerValue = 24;
constexpr double kSecondsPerOutputValue = 1e-7;

/// Output values of a time series run: the time and each column's value and error.
double output_values(const RunRequest& o) {
  const double columns = o.observables.empty()
                             ? static_cast<double>(default_columns().size())
                             : static_cast<double>(o.observables.size());
  return o.grid.points * (1 + 2 * columns);
}
}  // namespace

bool asks_for(const RunRequest& o, std::initializer_list<const char*> names) {
  for (const char* name : names)
    if (std::find(o.observables.begin(), o.observables.end(), name) != o.observables.end())
      return true;
  return false;
}

std::vector<Sector> populated_sectors(const Model& m) {
  const bool thermal = m.battery_init == BatteryInit::thermal && m.thermal_up_probability() > 0;
  const double jc = m.j_charger();
  std::vector<Sector> out;
  for (double jb = m.j_battery(); jb >= 0; jb -= 1) {
    const double w = 2 * std::min(jc, jb) + 1, d = std::fabs(jc - jb);
    // n(M) = w for |M| <= |j_C - j_B|, then w - 1, ..., 1 on both sides.
    const double edge = (w - 1) * w / 2;  // sum of k for k < w
    out.push_back({jb, 2 * (jc + jb) + 1, w, (2 * d + 1) * w * w + (w - 1) * w * (2 * w - 1) / 3,
                   (2 * d + 1) * w * w * w + 2 * edge * edge});
    if (!thermal) break;
  }
  return out;
}

double thermal_levels(const std::vector<Sector>& sectors) {
  double levels = 0;
  for (const auto& s : sectors) levels += 2 * s.j_battery + 1;
  return levels;
}

/// Bytes and CPU seconds of the output times beyond the engine's arrays (kSeriesBytesPerValue).
void add_output_cost(const RunRequest& o, ResourceEstimate& r) {
  const double series = o.grid.points * (1 + 2.0 * time_series_columns().size());
  r.bytes += series * kSeriesBytesPerValue + output_values(o) * kOutputBytesPerValue;
  r.cpu_seconds += output_values(o) * kSecondsPerOutputValue;
}

}  // namespace resource_terms

namespace {

using namespace resource_terms;

/// simulate's W_B, W_B_sym, S_B, dS_B_dt and state outputs need Clebsch-Gordan caches; the runner
/// refuses them too, but only after building the thermal mixture (minutes at large N_B).
void check_simulate_tables(const RunRequest& o) {
  if (!o.ensemble.ergotropy && !o.ensemble.entanglement) return;
  const double table = simulate_table_doubles(o.model);
  if (table > o.ensemble.max_table_doubles)
    throw InvalidArgument(fmt::format(
        "{}: W_B, W_B_sym, S_B, dS_B_dt and the state outputs need Clebsch-Gordan "
        "caches of {:.3g} doubles per thread at N_B = {}, N_C = {} (limit {:.3g}); request only "
        "E_B, E_C, P_B, W_open, dark for this size",
        option_name("observables", o.names), table, o.model.n_battery, o.model.n_charger, o.ensemble.max_table_doubles));
}

std::string bytes_text(double bytes) {
  return bytes >= kGiB ? fmt::format("{:.3g} GiB", bytes / kGiB)
                       : fmt::format("{:.3g} MiB", bytes / (1024.0 * 1024.0));
}
}  // namespace

std::string option_name(const std::string& snake, OptionStyle style) {
  if (style == OptionStyle::python) return snake;
  std::string out = "--" + snake;
  std::replace(out.begin(), out.end(), '_', '-');
  return out;
}

double physical_memory_gib() {
  const long pages = ::sysconf(_SC_PHYS_PAGES), page = ::sysconf(_SC_PAGE_SIZE);
  if (pages <= 0 || page <= 0) return 16;
  return static_cast<double>(pages) * static_cast<double>(page) / kGiB;
}

/// estimate_resources() without the process's own memory.
static ResourceEstimate estimate_run(const RunRequest& o, const EnsemblePlan* plan) {
  if (o.command == "simulate") {
    const SamplingChoice choice =
        plan ? plan->sampling : choose_sampling(o.model, o.grid, o.ensemble);
    if (choice.sampling == Sampling::trajectories && plan && plan->protocol)
      return protocol_trajectory_estimate(o, *plan->protocol);
    if (choice.sampling == Sampling::trajectories) {
      ResourceEstimate r = simulate_estimate(o);
      r.trajectories = true;
      return r;
    }
    ResourceEstimate r;
    r.bytes = choice.memory_gib * kGiB;
    r.cpu_seconds = choice.seconds;
    const bool reduced = o.model.local.any() || (plan && plan->protocol);
    r.work = choice.sampling == Sampling::cascade ? "the exact zero-temperature cascade"
             : !reduced                           ? "the exact coupled-basis solver"
             : plan && plan->protocol             ? "the exact reduced Dicke-basis protocol solver"
                                                  : "the exact reduced Dicke-basis solver";
    add_output_cost(o, r);
    return r;
  }
  if (o.command == "exact")
    return o.exact_method == "product" ? exact_estimate(o) : exact_coupled_estimate(o);
  return steady_estimate(o);
}

ResourceEstimate estimate_resources(const RunRequest& o, const EnsemblePlan* plan) {
  ResourceEstimate r = estimate_run(o, plan);
  r.bytes += kProcessBytes;
  return r;
}

void check_rate_scale(const RunRequest& o) {
  const Model& model = o.command == "steady" ? steady_worst_model(o) : o.model;
  const double scale = rate_scale(model);
  if (!(scale <= kMaxRateScale))
    throw InvalidArgument(fmt::format(
        "{} {} with nbar {} ({}) at N_B = {}, N_C = {}: rate scale (the sum of the processes' "
        "largest rates, 2 gamma (2 nbar + 1) (J_max + 1)^2 for the reservoir) = {:.3g} exceeds "
        "{:.0e}; rates this large overflow "
        "double arithmetic (time is in units of 1/gamma: rescale it)",
        option_name("gamma", o.names), model.gamma, model.nbar,
        o.names == OptionStyle::python ? "from nbar/temperature"
        : o.command == "steady"        ? "--nbar-values/--temperatures"
                                       : "--nbar/--temperature",
        model.n_battery, model.n_charger, scale, kMaxRateScale));
  if (o.command != "steady" && !(o.grid.t_max * scale <= kMaxRateTime))
    throw InvalidArgument(fmt::format(
        "{} {:g}: t_max x rate scale = {:.3g} exceeds {:.0e}, where rate x time overflows "
        "double arithmetic; the system has relaxed long before: use `darkcharge steady` for "
        "the values there", option_name("t_max", o.names), o.grid.t_max, o.grid.t_max * scale, kMaxRateTime));
}

ResourceEstimate check_resources(const RunRequest& o, const EnsemblePlan* plan) {
  check_rate_scale(o);
  if (o.command == "exact" && o.exact_method == "product") check_exact_dimension(o);
  if (o.command == "steady") check_steady_tables(o);
  const ResourceEstimate r = estimate_resources(o, plan);
  if (o.command == "simulate" && r.trajectories) check_simulate_tables(o);
  const double max_memory = o.max_memory_gib.value_or(physical_memory_gib());
  // At nbar = 0 the automatic choice leaves the cascade beyond its time budget (e.g. at
  // 10^7 output times); trajectories may then be far beyond the limits: say what the
  // cascade would cost.
  std::string cascade;
  if (o.command == "simulate" && r.trajectories && o.model.nbar == 0.0 && !o.model.local.any() &&
      o.ensemble.sampling == Sampling::automatic) {
    const CoupledExactCost cost = CascadeSampler::cost(o.model, o.grid, o.ensemble);
    cascade = fmt::format(" (the exact cascade, {}, was estimated at {:.3g} s on one "
                          "core, beyond the automatic budget)",
                          o.names == OptionStyle::python ? "sampling=\"cascade\"" : "--sampling cascade",
                          cost.seconds);
  }
  const std::string sizes =
      o.command == "steady"
          ? option_name(o.names == OptionStyle::cli ? "temperatures" : "temperature", o.names)
          : option_name("points", o.names) + ", " + option_name("trajectories", o.names);
  if (!(r.bytes <= max_memory * kGiB))
    throw InvalidArgument(fmt::format(
        "{0}: this run needs an estimated {1} (upper bound), more than the limit of "
        "{2:.3g} GiB{5}; use fewer {3} or {4}, or raise {0}",
        option_name("max_memory", o.names), bytes_text(r.bytes), max_memory, sizes,
        option_name("observables", o.names), cascade));
  const double hours = r.cpu_seconds / 3600;
  // With target errors the trajectory count is a cap the run stops short of once the
  // targets hold (checked after ~256 trajectories and then every 25% more): the estimate
  // at the cap is an upper bound, not a reason to refuse.
  const bool stops_early = o.command == "simulate" && r.trajectories && !o.ensemble.target_errors.empty();
  if (!stops_early && !(hours <= o.max_cpu_hours))
    throw InvalidArgument(fmt::format(
        "{0}: this run needs an estimated {1:.3g} CPU core-hours ({2}; rough, to a "
        "factor of a few), more than the limit of {3:.3g}{4}; reduce the run or raise {0}",
        option_name("max_cpu_hours", o.names), hours, r.work, o.max_cpu_hours, cascade));
  return r;
}

}  // namespace darkcharge
