// darkcharge: the command-line front end. Parses options, runs the library, writes files.
// All printing and exiting happens here; the library never does either.
#include <algorithm>
#include <chrono>
#include <csignal>
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
#include "resource_estimate.hpp"
#include "signals.hpp"

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
          {"note", "P_B_max: global maximum of P_B(t); dS_B_dt_max: largest interior local "
                   "maximum of dS_B/dt (paper Fig. 5c), null if the rate is largest at t = 0 "
                   "and has no later peak (small systems); lag = its time minus that of "
                   "P_B_max; times refined by a parabola through the grid maximum; errors: "
                   "delete-one-block jackknife (0 for exact runs), which can understate the "
                   "error of a peak time when the peak is flat"}};
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

/// One note per column that holds nan, so that no nan reaches a file unexplained.
std::vector<std::string> nan_notes(const TimeSeries& series) {
  std::vector<std::string> notes;
  for (const auto& c : series.columns) {
    const auto bad = std::count_if(c.value.begin(), c.value.end(),
                                   [](double v) { return std::isnan(v); });
    if (bad == 0) continue;
    const std::string why =
        c.name == "W_B_sym" ? "defined only while the battery stays in its symmetric sector "
                              "(battery-init ground)"
        : c.name == "dS_B_dt" || c.name == "S_B"
            ? "undefined where the averaged state gives no finite log-negativity"
            : "numerically undefined there";
    notes.push_back(fmt::format("{} is nan in {} of {} rows: {}", c.name, bad, c.value.size(), why));
  }
  return notes;
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

/// (T, nbar) of each steady row: --temperatures, --nbar-values, or T = 0.
std::vector<std::pair<double, double>> steady_rows(const Options& o) {
  std::vector<std::pair<double, double>> rows;
  for (double t : o.temperatures) rows.emplace_back(t, nbar_from_temperature(t, o.model.omega));
  for (double n : o.nbar_values)
    rows.emplace_back(n == 0 ? 0.0 : o.model.omega / std::log1p(1.0 / n), n);
  if (rows.empty()) rows.emplace_back(0.0, 0.0);
  return rows;
}

/// Why W_B, W_B_sym and S_B are nan when they are not computed.
std::string steady_left_out_note(const Options& o) {
  if (!wants(o, {"W_B", "W_B_sym", "S_B"})) return "W_B, W_B_sym, S_B not requested (nan)";
  return fmt::format("W_B, W_B_sym, S_B left out (nan): their Clebsch-Gordan tables ({:.3g} "
                     "doubles) exceed the limit at this size",
                     clebsch_gordan_table_doubles(steady_worst_model(o)));
}

/// One row per temperature: T, nbar, then each steady-state value and its (zero) error.
int run_steady(Options& o) {
  std::ostringstream out;
  OutputSet outputs;
  outputs.add("--output", o.output.empty() ? "-" : o.output,
              [&out](std::ostream& file) { file << out.str(); });
  const bool nonlinear = steady_nonlinear_computed(o);
  std::vector<std::string> notes;
  if (!nonlinear) {
    notes.push_back(steady_left_out_note(o));
    if (o.observables.empty()) fmt::print(stderr, "darkcharge: note: {}\n", notes.back());
  }
  std::ostringstream body;
  TimeSeries computed;  // the nonlinear columns, row by row, for nan notes
  for (const char* c : {"W_B", "W_B_sym", "S_B"}) computed.columns.push_back({c, {}, {}, "exact", ""});
  for (const auto& [t, nbar] : steady_rows(o)) {
    Model model = o.model;
    model.nbar = nbar;
    SteadyStateOptions options;
    options.nonlinear = nonlinear;
    const SteadyState s = steady_state(model, options);
    body << fmt::format("{:.10g},{:.10g}", t, nbar);
    for (double v : {s.e_battery, s.e_charger, s.w_open, s.dark, s.ergotropy,
                     s.ergotropy_symmetric, s.log_negativity,
                     steady_energy_temperature_derivative(model, t)})
      body << fmt::format(",{:.10g},0", v);
    body << '\n';
    computed.columns[0].value.push_back(s.ergotropy);
    computed.columns[1].value.push_back(s.ergotropy_symmetric);
    computed.columns[2].value.push_back(s.log_negativity);
  }
  if (nonlinear)
    for (const auto& note : nan_notes(computed)) {
      notes.push_back(note);
      fmt::print(stderr, "darkcharge: note: {}\n", note);
    }
  out << fmt::format("# darkcharge {} steady (exact closed form, errors 0)\n", DARKCHARGE_VERSION)
      << fmt::format("# nb={} nc={} battery-init={} omega={:.10g}\n", o.model.n_battery,
                     o.model.n_charger, to_string(o.model.battery_init), o.model.omega);
  for (const auto& note : notes) out << "# note: " << note << '\n';
  out << "T,nbar";
  for (const char* c : {"E_B", "E_C", "W_open", "dark", "W_B", "W_B_sym", "S_B", "dE_B_dT"})
    out << ',' << c << ',' << c << "_err";
  out << '\n' << body.str();
  outputs.commit();
  return 0;
}

/// The outputs of a simulate or exact run, checked now and written by commit() from what
/// the lambdas capture (filled in after the run).
struct RunOutputs {
  EnsembleResult result;
  TimeSeries series;
  std::vector<std::string> meta;
  nlohmann::json summary;
  int threads = 0;
  OutputSet files;
};

void plan_outputs(const Options& o, RunOutputs& r) {
  r.files.add("--output", o.output.empty() ? "-" : o.output,
              [&r](std::ostream& out) { write_csv(out, r.series, r.meta); });
  if (!o.summary.empty())
    r.files.add("--summary", o.summary,
                [&r](std::ostream& out) { out << r.summary.dump(2) << '\n'; });
  if (!o.state_output.empty())
    r.files.add("--state-output", o.state_output,
                [&o, &r](std::ostream& out) { write_battery_state(out, o, r.result); });
  if (!o.joint_state_output.empty())
    r.files.add("--joint-state-output", o.joint_state_output,
                [&o, &r](std::ostream& out) { write_joint_state(out, o, r.result); });
  if (!o.sectors_output.empty())
    r.files.add("--sectors-output", o.sectors_output, [&o, &r](std::ostream& out) {
      write_csv(out, r.result.sectors, metadata(o, r.threads));
    });
}

EnsembleResult run_simulation(const Options& o) {
  ProgressBar bar("simulate", !o.quiet);
  EnsembleOptions options = o.ensemble;
  options.stop = &stop_requested();
  EnsembleResult result;
  {
    const GracefulStop graceful;  // the first signal now only asks the runner to stop
    result = run_ensemble(o.model, o.grid, options,
                          [&bar](long done, long total) { bar.update(done, total); });
  }
  if (received_signal() != 0)  // arrived after the runner's last look at the flag
    throw Interrupted("run interrupted");
  return result;
}

int run(Options& o) {
  finalize(o);
  std::vector<std::string> notes;
  if (o.command == "simulate") plan_accumulators(o, notes);
  check_resources(o);  // before any allocation or long work; names the option to change
  const ResourceEstimate cost = estimate_resources(o);
  if (!o.quiet && cost.cpu_seconds > 60)
    fmt::print(stderr, "darkcharge: estimate: {:.2g} CPU core-hours ({}), memory up to {:.3g} GiB\n",
               cost.cpu_seconds / 3600, cost.work, cost.bytes / (1024.0 * 1024.0 * 1024.0));
  validate(o.model);
  if (o.command == "steady") return run_steady(o);
  // Check output files first: a bad path fails before minutes of computation.
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
  RunOutputs out;
  plan_outputs(o, out);
  for (const auto& note : notes) fmt::print(stderr, "darkcharge: note: {}\n", note);

  const int threads = o.ensemble.threads > 0 ? o.ensemble.threads : omp_get_max_threads();
  out.threads = threads;
  const auto start = std::chrono::steady_clock::now();
  if (o.command == "simulate") {
    out.result = run_simulation(o);
  } else {
    ExactOptions exact;
    exact.nonlinear = wants(o, {"W_B", "W_B_sym", "S_B", "dS_B_dt"});
    exact.max_dimension = o.max_dimension;
    out.result.series = solve_exact(o.model, o.grid, exact);
    out.result.peaks = peak_summary(out.result.series, o.grid);
  }
  out.series = select_columns(out.result.series, o.observables);
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  for (const auto& note : nan_notes(out.series)) {
    if (!o.quiet) fmt::print(stderr, "darkcharge: note: {}\n", note);
    notes.push_back(note);
  }
  out.meta = metadata(o, threads);
  for (const auto& note : notes) out.meta.push_back("note: " + note);
  out.summary = summary(o, out.series, threads, wall);
  out.summary["peaks"] = peaks_json(out.result.peaks);
  out.files.commit();
  return 0;
}

/// Hook for issue 12 item 4: after an interrupted run, the checkpoint (if --checkpoint was
/// given) is written here. Returns the command that resumes the run, or "" when there is
/// no checkpoint to resume from.
std::string save_checkpoint_after_interrupt(const Options& /*o*/) { return ""; }

/// The message and exit status (128 + signal: 130 SIGINT, 143 SIGTERM, 129 SIGHUP) after a
/// signal stopped the run. Temporary files are already gone (destructors ran).
int report_interruption(const Options& o) {
  const int signal = received_signal();
  const std::string resume = save_checkpoint_after_interrupt(o);
  fmt::print(stderr, "darkcharge: interrupted by {}; stopped before all trajectories ran, "
                     "no output written{}\n",
             signal_name(signal),
             resume.empty() ? "" : fmt::format("; resume with: {}", resume));
  return interrupted_exit_code(signal != 0 ? signal : SIGINT);
}

}  // namespace
}  // namespace darkcharge::cli

int main(int argc, char** argv) {
  using namespace darkcharge;
  cli::install_signal_handlers();
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
    fmt::print(stderr, "darkcharge: error: {}\nRun 'darkcharge {}--help' for usage.\n",
               e.what(), options.command.empty() ? "" : options.command + " ");
    return 2;
  }
  try {
    return cli::run(options);
  } catch (const Interrupted&) {
    return cli::report_interruption(options);
  } catch (const InvalidArgument& e) {
    fmt::print(stderr, "darkcharge: error: {}\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    fmt::print(stderr, "darkcharge: error: {}\n", e.what());
    return 1;
  }
}
