#include "run_report.hpp"

#include <cmath>

#include <fmt/format.h>

#include "darkcharge/physics/model.hpp"

namespace darkcharge::cli {
namespace {

/// "0.8058 +- 0.0014", or "0.80580808 (exact)" when the error is 0 by construction.
std::string with_error(double value, double error, const std::string& method) {
  if (std::isnan(value)) return "nan";
  if (method == "exact") return fmt::format("{:.6g} (exact)", value);
  if (std::isnan(error)) return fmt::format("{:.4g} (no error estimate)", value);
  return fmt::format("{:.4g} +- {:.2g}", value, error);
}

struct Headline {
  const char* column;
  const char* meaning;
};

// The columns a first look needs, in the order a reader of the paper asks for them.
const Headline kHeadlines[] = {
    {"E_B", "battery energy per spin [hbar omega]"},
    {"W_B", "battery ergotropy per spin [hbar omega]"},
    {"dark", "dark-state population"},
    {"E_C", "charger energy per spin [hbar omega]"},
};

}  // namespace

std::vector<std::string> run_report(const Options& o, const EnsembleResult& result,
                                    const TimeSeries& series) {
  std::vector<std::string> lines;
  const Model& m = o.model;
  std::string method;
  if (o.command == "exact")
    method = "exact density-matrix solver";
  else if (result.sampling == Sampling::cascade)
    method = "exact zero-temperature cascade (no sampling error)";
  else if (result.sampling == Sampling::exact)
    method = m.local.any() || runs_protocol(o)
                 ? "exact reduced Dicke-basis solver (no sampling error)"
                 : "exact coupled-basis solver (no sampling error)";
  else
    method = fmt::format("{} quantum trajectories, seed {}", result.trajectories_run,
                         o.ensemble.seed);
  // A thermal battery at nbar = 0 is the ground state; saying so spares the reader a puzzle.
  std::string battery = std::string(to_string(m.battery_init)) + " battery";
  if (m.battery_init == BatteryInit::thermal && m.nbar == 0) battery += " (at nbar = 0: ground)";
  lines.push_back(fmt::format("N_B = {}, N_C = {}, nbar = {:.4g}, {}; t in [0, {:.4g}] "
                              "(unit 1/gamma, gamma = {:.4g}), {} times; {}",
                              m.n_battery, m.n_charger, m.nbar, battery,
                              o.grid.t_max, m.gamma, o.grid.points, method));
  if (!series.time.empty()) {
    const std::size_t last = series.time.size() - 1;
    bool first = true;
    for (const auto& h : kHeadlines) {
      if (!series.has(h.column)) continue;
      const Column& c = series.column(h.column);
      lines.push_back(fmt::format("  {:<10} {:<7} = {:<24} {}",
                                  first ? fmt::format("t = {:.4g}:", series.time[last]) : "",
                                  h.column, with_error(c.value[last], c.error[last], c.error_method),
                                  h.meaning));
      first = false;
    }
  }
  if (series.has("P_B")) {
    const PeakSummary& p = result.peaks;
    const std::string& method_pb = series.column("P_B").error_method;
    if (std::isnan(p.power_max.value)) {
      std::string why = p.power_note;
      const std::string prefix = "not resolved: ";
      if (why.rfind(prefix, 0) == 0) why = why.substr(prefix.size());
      lines.push_back(fmt::format("  {:<10} P_B^max unresolved: {}", "", why));
    } else {
      lines.push_back(fmt::format(
          "  {:<10} {:<7} = {:<24} peak battery power per spin [hbar omega gamma], at t = {}", "",
          "P_B^max", with_error(p.power_max.value, p.power_max.error, method_pb),
          with_error(p.power_max_time.value, p.power_max_time.error, method_pb)));
    }
  }
  std::string files = o.output;
  for (const std::string* f : {&o.summary, &o.state_output, &o.joint_state_output,
                               &o.sectors_output, &o.counts_output, &o.jumps_output})
    if (!f->empty()) files += ", " + *f;
  std::string names;
  for (const auto& c : series.columns) names += " " + c.name;
  lines.push_back(fmt::format("  wrote {}; columns t{}, each followed by <name>_err", files, names));
  return lines;
}

}  // namespace darkcharge::cli
