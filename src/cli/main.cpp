// darkcharge: the command-line front end. Parses options, runs the library, writes files.
// All printing and exiting happens here; the library never does either.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <optional>
#include <sstream>

#include <fmt/format.h>
#include <omp.h>

#include "cli_options.hpp"
#include "darkcharge/ensemble.hpp"
#include "darkcharge/errors.hpp"
#include "darkcharge/exact_solver.hpp"
#include "darkcharge/steady_state.hpp"
#include "output_files.hpp"
#include "progress_bar.hpp"

namespace darkcharge::cli {
namespace {

std::vector<std::string> metadata(const Options& o, int threads) {
  std::vector<std::string> lines = {
      fmt::format("darkcharge {} {}", DARKCHARGE_VERSION, o.command),
      fmt::format("nb={} nc={} nbar={:.10g} temperature={} battery-init={} gamma={:.10g} "
                  "omega={:.10g}",
                  o.model.n_battery, o.model.n_charger, o.model.nbar,
                  o.temperature ? fmt::format("{:.10g}", *o.temperature) : "unset",
                  to_string(o.model.battery_init), o.model.gamma, o.model.omega),
      fmt::format("t-max={:.10g} points={}", o.grid.t_max, o.grid.points)};
  if (o.command == "simulate")
    lines.push_back(fmt::format("trajectories={} seed={} threads={} errors=standard-error",
                                o.ensemble.trajectories, o.ensemble.seed, threads));
  else
    lines.push_back("solver=exact-density-matrix errors=0");
  return lines;
}

nlohmann::json estimate(const Estimate& e) { return {{"value", e.value}, {"error", e.error}}; }

nlohmann::json peaks_json(const PeakSummary& p) {
  return {{"P_B_max", estimate(p.power_max)},
          {"P_B_max_time", estimate(p.power_max_time)},
          {"dS_B_dt_max", estimate(p.entanglement_rate_max)},
          {"dS_B_dt_max_time", estimate(p.entanglement_rate_max_time)},
          {"lag_dS_B_dt_after_P_B", estimate(p.lag)},
          {"P_B_max_unresolved", p.power_note},
          {"dS_B_dt_max_unresolved", p.entanglement_note},
          {"note", "P_B_max: global maximum of P_B(t); dS_B_dt_max: largest interior local "
                   "maximum of dS_B/dt (paper Fig. 5c); lag = its time minus that of P_B_max. "
                   "Values and times are those of the reported curves (parabola through the "
                   "grid maximum), inside the run; errors: delete-one-block jackknife spread "
                   "(0 for exact runs). null with the reason in *_unresolved when the maximum "
                   "is at an end of the run or the data do not say which local maximum is "
                   "the largest"}};
}

bool wants(const Options& o, std::initializer_list<const char*> names) {
  if (o.observables.empty()) return true;
  for (const char* name : names)
    if (std::find(o.observables.begin(), o.observables.end(), name) != o.observables.end())
      return true;
  return false;
}

/// Which accumulators the requested columns and files need. By default every column is on;
/// S_B is then left out above kDefaultEntanglementWidth (its jackknife does a dense
/// eigen-decomposition per block of rho^{T_B} per replicate), with a note on stderr.
constexpr int kDefaultEntanglementWidth = 61;

void plan_accumulators(Options& o, std::vector<std::string>& notes) {
  const bool states = !o.state_output.empty() || !o.joint_state_output.empty();
  o.ensemble.ergotropy = wants(o, {"W_B", "W_B_sym"});
  o.ensemble.entanglement = states || wants(o, {"S_B", "dS_B_dt"});
  o.ensemble.sector_populations = !o.sectors_output.empty();
  const int width = std::min(o.model.n_charger, o.model.n_battery) + 1;  // 2 min(j_C,j_B)+1
  if (o.observables.empty() && !states && width > kDefaultEntanglementWidth) {
    o.ensemble.entanglement = false;
    notes.push_back(fmt::format(
        "S_B and dS_B_dt left out by default for 2 min(j_C, j_B) + 1 = {} > {}; request them "
        "with --observables",
        width, kDefaultEntanglementWidth));
  }
}

/// Keeps the requested columns (all if none requested), in the canonical order.
TimeSeries select_columns(const TimeSeries& series, const std::vector<std::string>& wanted) {
  if (wanted.empty()) return series;
  TimeSeries out{series.time, {}};
  for (const auto& c : series.columns)
    if (std::find(wanted.begin(), wanted.end(), c.name) != wanted.end()) out.columns.push_back(c);
  return out;
}

std::vector<int> state_indices(const Options& o) {
  std::vector<int> out;
  for (double t : o.state_times) {
    if (t > o.grid.t_max)
      throw InvalidArgument(fmt::format("--state-times: {} is beyond --t-max {}", t, o.grid.t_max));
    out.push_back(static_cast<int>(std::lround(t / o.grid.step())));
  }
  return out;
}

void write_battery_state(std::ostream& out, const Options& o, const EnsembleResult& r) {
  out << "# battery reduced state (trajectory average); population of level (j_B, m_B) summed "
         "over the sector's Dicke copies; rho_B is diagonal in m_B\n";
  out << "t,j_B,m_B,population\n";
  for (int g : state_indices(o))
    for (const auto& l : battery_level_populations(r.density[g], o.model.j_charger()))
      out << fmt::format("{:.10g},{},{},{:.12g}\n", r.series.time[g], l.j_battery, l.m_battery,
                         l.population);
}

void write_joint_state(std::ostream& out, const Options& o, const EnsembleResult& r) {
  out << "# joint charger-battery state (trajectory average), product basis, block diagonal "
         "in (j_B, M): value = <M - m_B, m_B| rho |M - m_B', m_B'>\n";
  out << "t,j_B,M,m_B,m_B_prime,value\n";
  for (int g : state_indices(o))
    for (const auto& [key, block] : r.density[g].blocks) {
      const auto [j_b, M] = key;
      const Eigen::MatrixXd p = block.selfadjointView<Eigen::Lower>();
      const double m0 = first_battery_level(o.model.j_charger(), j_b, M);
      for (int i = 0; i < p.rows(); ++i)
        for (int k = 0; k < p.cols(); ++k)
          out << fmt::format("{:.10g},{},{},{},{},{:.12g}\n", r.series.time[g], j_b, M, m0 + i,
                             m0 + k, p(i, k));
    }
}

nlohmann::json summary(const Options& o, const TimeSeries& series, int threads,
                       double wall_seconds) {
  nlohmann::json j;
  j["version"] = DARKCHARGE_VERSION;
  j["command"] = o.command;
  j["parameters"] = {{"nb", o.model.n_battery},
                     {"nc", o.model.n_charger},
                     {"nbar", o.model.nbar},
                     {"temperature", o.temperature ? nlohmann::json(*o.temperature) : nullptr},
                     {"battery_init", to_string(o.model.battery_init)},
                     {"gamma", o.model.gamma},
                     {"omega", o.model.omega},
                     {"t_max", o.grid.t_max},
                     {"points", o.grid.points}};
  if (o.command == "simulate") {
    j["seed"] = o.ensemble.seed;
    j["trajectories"] = o.ensemble.trajectories;
    j["threads"] = threads;
  }
  j["wall_time_seconds"] = wall_seconds;
  j["final_time"] = series.time.back();
  j["final"] = final_values(series);
  return j;
}

/// One row per temperature: T, nbar, then each steady-state value and its (zero) error.
int run_steady(Options& o) {
  std::optional<AtomicFile> csv_file;
  if (!o.output.empty()) csv_file.emplace(o.output);
  std::vector<std::pair<double, double>> rows;  // (T, nbar)
  for (double t : o.temperatures) rows.emplace_back(t, nbar_from_temperature(t, o.model.omega));
  for (double n : o.nbar_values)
    rows.emplace_back(n == 0 ? 0.0 : o.model.omega / std::log1p(1.0 / n), n);
  if (rows.empty()) rows.emplace_back(0.0, 0.0);
  std::ostringstream out;
  out << fmt::format("# darkcharge {} steady (exact closed form, errors 0)\n", DARKCHARGE_VERSION)
      << fmt::format("# nb={} nc={} battery-init={} omega={:.10g}\n", o.model.n_battery,
                     o.model.n_charger, to_string(o.model.battery_init), o.model.omega)
      << "T,nbar";
  for (const char* c : {"E_B", "E_C", "W_open", "dark", "W_B", "W_B_sym", "S_B", "dE_B_dT"})
    out << ',' << c << ',' << c << "_err";
  out << '\n';
  for (const auto& [t, nbar] : rows) {
    Model model = o.model;
    model.nbar = nbar;
    SteadyStateOptions options;
    options.nonlinear = wants(o, {"W_B", "W_B_sym", "S_B"});
    const SteadyState s = steady_state(model, options);
    out << fmt::format("{:.10g},{:.10g}", t, nbar);
    for (double v : {s.e_battery, s.e_charger, s.w_open, s.dark, s.ergotropy,
                     s.ergotropy_symmetric, s.log_negativity,
                     steady_energy_temperature_derivative(model, t)})
      out << fmt::format(",{:.10g},0", v);
    out << '\n';
  }
  if (csv_file) {
    csv_file->stream() << out.str();
    csv_file->commit();
  } else {
    std::cout << out.str();
  }
  return 0;
}

int run(Options& o) {
  finalize(o);
  if (o.command == "steady") return run_steady(o);
  // Open output files first: a bad path fails before minutes of computation.
  if (!o.state_times.empty() && o.state_output.empty() && o.joint_state_output.empty())
    throw InvalidArgument("--state-times needs --state-output or --joint-state-output");
  if ((!o.state_output.empty() || !o.joint_state_output.empty()) && o.state_times.empty())
    throw InvalidArgument("--state-output/--joint-state-output need --state-times");
  const long joint_dim = (o.model.n_charger + 1L) * (o.model.n_battery + 1L);
  if (!o.joint_state_output.empty() && joint_dim > 20000)
    throw InvalidArgument(fmt::format(
        "--joint-state-output: joint state too large to write ((N_C+1)(N_B+1) = {} > 20000)",
        joint_dim));
  state_indices(o);  // validate before running
  std::optional<AtomicFile> csv_file, summary_file, state_file, joint_file, sectors_file;
  if (!o.output.empty()) csv_file.emplace(o.output);
  if (!o.summary.empty()) summary_file.emplace(o.summary);
  if (!o.state_output.empty()) state_file.emplace(o.state_output);
  if (!o.joint_state_output.empty()) joint_file.emplace(o.joint_state_output);
  if (!o.sectors_output.empty()) sectors_file.emplace(o.sectors_output);
  std::vector<std::string> notes;
  if (o.command == "simulate") plan_accumulators(o, notes);
  for (const auto& note : notes) fmt::print(stderr, "darkcharge: note: {}\n", note);

  const int threads = o.ensemble.threads > 0 ? o.ensemble.threads : omp_get_max_threads();
  const auto start = std::chrono::steady_clock::now();
  EnsembleResult result;
  if (o.command == "simulate") {
    ProgressBar bar("simulate", !o.quiet);
    result = run_ensemble(o.model, o.grid, o.ensemble,
                          [&bar](long done, long total) { bar.update(done, total); });
  } else {
    ExactOptions exact;
    exact.nonlinear = wants(o, {"W_B", "W_B_sym", "S_B", "dS_B_dt"});
    exact.max_dimension = o.max_dimension;
    result.series = solve_exact(o.model, o.grid, exact);
    result.peaks = peak_summary(result.series, o.grid);
  }
  const TimeSeries series = select_columns(result.series, o.observables);
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  std::vector<std::string> meta = metadata(o, threads);
  for (const auto& note : notes) meta.push_back("note: " + note);
  // Caveats the estimators attach to a column (physical bound, rare-event floor, ...).
  for (const Column& c : series.columns)
    if (!c.note.empty()) meta.push_back(c.name + ": " + c.note);
  if (csv_file) {
    write_csv(csv_file->stream(), series, meta);
    csv_file->commit();
  } else {
    write_csv(std::cout, series, meta);
  }
  if (summary_file) {
    nlohmann::json j = summary(o, series, threads, wall);
    j["peaks"] = peaks_json(result.peaks);
    summary_file->stream() << j.dump(2) << '\n';
    summary_file->commit();
  }
  if (state_file) {
    write_battery_state(state_file->stream(), o, result);
    state_file->commit();
  }
  if (joint_file) {
    write_joint_state(joint_file->stream(), o, result);
    joint_file->commit();
  }
  if (sectors_file) {
    write_csv(sectors_file->stream(), result.sectors, metadata(o, threads));
    sectors_file->commit();
  }
  return 0;
}

}  // namespace
}  // namespace darkcharge::cli

int main(int argc, char** argv) {
  using namespace darkcharge;
  cli::Options options;
  auto app = cli::make_app(options);
  try {
    app->parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app->exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app->exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app->exit(e);
  } catch (const CLI::ParseError& e) {
    fmt::print(stderr, "darkcharge: error: {}\nRun 'darkcharge {} --help' for usage.\n",
               e.what(), options.command.empty() ? "" : options.command);
    return 2;
  }
  try {
    return cli::run(options);
  } catch (const InvalidArgument& e) {
    fmt::print(stderr, "darkcharge: error: {}\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    fmt::print(stderr, "darkcharge: error: {}\n", e.what());
    return 1;
  }
}
