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

#include "checkpoint.hpp"
#include "cli_options.hpp"
#include "mpi_run.hpp"
#include "darkcharge/ensemble.hpp"
#include "darkcharge/errors.hpp"
#include "darkcharge/exact_solver.hpp"
#include "darkcharge/observable_registry.hpp"
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

bool wants(const Options& o, const std::vector<std::string>& names) {
  return requests_any(o.observables, names);
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

void write_emission_counts(std::ostream& out, const EnsembleResult& r) {
  out << "# distribution P(n, t) of the number n of quanta emitted by time t (J^- jumps), "
         "with standard errors; rows with P > 0\n";
  out << "t,n,P,P_err\n";
  for (const auto& c : r.emission_counts)
    out << fmt::format("{:.10g},{},{:.10g},{:.3g}\n", c.time, c.emitted, c.probability.value,
                       c.probability.error);
}

void write_jumps(std::ostream& out, const EnsembleResult& r) {
  out << "# jump records: trajectory index, jump time, channel (em = J^-, a quantum emitted "
         "into the reservoir; abs = J^+, absorbed), total M after the jump\n";
  out << "trajectory,t,channel,M\n";
  for (const auto& j : r.jumps)
    out << fmt::format("{},{:.17g},{},{}\n", j.trajectory, j.jump.time,
                       j.jump.channel == Jump::kEmission ? "em" : "abs", j.jump.m_after);
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

/// --target-error items "COLUMN=X" into the library's (name, bound) pairs.
void parse_target_errors(Options& o) {
  for (const auto& item : o.target_error) {
    const auto eq = item.find('=');
    std::size_t used = 0;
    double bound = 0;
    try {
      if (eq != std::string::npos) bound = std::stod(item.substr(eq + 1), &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (eq == std::string::npos || used == 0 || used != item.size() - eq - 1 ||
        !std::isfinite(bound) || bound <= 0)
      throw InvalidArgument(fmt::format(
          "--target-error: expected COLUMN=X with X a finite number > 0, got '{}'", item));
    const std::string name = item.substr(0, eq);
    if (std::find(o.ensemble.observables.begin(), o.ensemble.observables.end(), name) ==
        o.ensemble.observables.end())
      throw InvalidArgument(fmt::format(
          "--target-error: '{}' is not a column of this run (add it to --observables)", name));
    o.ensemble.target_errors.emplace_back(name, bound);
  }
}

int run(Options& o);

/// `darkcharge resume FILE`: the original command line with the finished units loaded.
int run_resume(const Options& o) {
  Checkpoint checkpoint = read_checkpoint(o.resume_file);
  Options r;
  auto app = make_app(r);
  std::vector<const char*> argv = {"darkcharge"};
  for (const auto& a : checkpoint.arguments) argv.push_back(a.c_str());
  try {
    app->parse(static_cast<int>(argv.size()), argv.data());
  } catch (const CLI::ParseError& e) {
    throw InvalidArgument(fmt::format("resume: the command line in '{}' does not parse: {}",
                                      o.resume_file, e.what()));
  }
  if (r.command != "simulate" || r.checkpoint.empty())
    throw InvalidArgument(fmt::format("resume: '{}' holds no simulate --checkpoint run", o.resume_file));
  r.arguments = checkpoint.arguments;
  r.checkpoint = o.resume_file;  // keep saving where we resumed from
  if (!o.output.empty()) r.output = o.output;
  if (!o.summary.empty()) r.summary = o.summary;
  if (o.ensemble.threads > 0) r.ensemble.threads = o.ensemble.threads;
  r.quiet = r.quiet || o.quiet;
  if (o.resume_time_limit) r.time_limit = *o.resume_time_limit;
  r.ensemble.completed_units = std::move(checkpoint.units);
  return run(r);
}

int run(Options& o) {
  if (o.command == "resume") return run_resume(o);
  finalize(o);
  if (o.command == "steady") return run_steady(o);
  // Open output files first: a bad path fails before minutes of computation.
  if (!o.state_times.empty() && o.state_output.empty() && o.joint_state_output.empty() &&
      o.counts_output.empty())
    throw InvalidArgument("--state-times needs --state-output, --joint-state-output or --counts-output");
  if (!o.counts_output.empty() && o.state_times.empty())
    throw InvalidArgument("--counts-output needs --state-times");
  if (o.jumps_output.empty() != (o.ensemble.record_trajectories == 0))
    throw InvalidArgument("--jumps-output and --record-trajectories go together");
  if ((!o.state_output.empty() || !o.joint_state_output.empty()) && o.state_times.empty())
    throw InvalidArgument("--state-output/--joint-state-output need --state-times");
  const long joint_dim = (o.model.n_charger + 1L) * (o.model.n_battery + 1L);
  if (!o.joint_state_output.empty() && joint_dim > 20000)
    throw InvalidArgument(fmt::format(
        "--joint-state-output: joint state too large to write ((N_C+1)(N_B+1) = {} > 20000)",
        joint_dim));
  state_indices(o);  // validate before running
  // Under MPI only rank 0 writes files; every rank plans the same run.
  const bool writer = mpi_rank() == 0;
  auto open = [writer](std::optional<AtomicFile>& file, const std::string& path) {
    if (writer && !path.empty()) file.emplace(path);
  };
  std::optional<AtomicFile> csv_file, summary_file, state_file, joint_file, sectors_file;
  open(csv_file, o.output);
  open(summary_file, o.summary);
  open(state_file, o.state_output);
  open(joint_file, o.joint_state_output);
  open(sectors_file, o.sectors_output);
  std::optional<AtomicFile> counts_file, jumps_file;
  open(counts_file, o.counts_output);
  open(jumps_file, o.jumps_output);
  std::vector<std::string> notes, columns = o.observables;
  if (o.command == "exact" && columns.empty())  // the default set, as for simulate
    for (const auto& info : observable_registry())
      if (info.exact && info.in_default) columns.push_back(info.name);
  if (o.command == "simulate") {
    const bool need_density = !o.state_output.empty() || !o.joint_state_output.empty();
    const ObservablePlan plan = plan_observables(o.model, o.observables, need_density, o.ensemble);
    notes = plan.notes;
    columns = plan.columns;
    parse_target_errors(o);
    o.ensemble.time_limit = o.time_limit;
    o.ensemble.sector_populations = !o.sectors_output.empty();
    if (!o.counts_output.empty()) o.ensemble.count_times = o.state_times;

  }
  for (const auto& note : notes) fmt::print(stderr, "darkcharge: note: {}\n", note);

  const int threads = o.ensemble.threads > 0 ? o.ensemble.threads : omp_get_max_threads();
  const auto start = std::chrono::steady_clock::now();
  EnsembleResult result;
  if (o.command == "simulate") {
    Checkpoint checkpoint{o.arguments, o.ensemble.completed_units};
    auto saved = std::chrono::steady_clock::now();
    auto save = [&] {  // rank 0 alone holds every unit and writes
      if (writer) write_checkpoint(o.checkpoint, checkpoint);
      saved = std::chrono::steady_clock::now();
    };
    if (!o.checkpoint.empty()) save();  // a bad path fails now, not after the first unit
    if (!o.checkpoint.empty())
      o.ensemble.on_unit_done = [&](long unit, const std::string& bytes) {
        checkpoint.units[unit] = bytes;
        if (std::chrono::duration<double>(std::chrono::steady_clock::now() - saved).count() >=
            o.checkpoint_every)
          save();
      };
    ProgressBar bar("simulate", !o.quiet && writer);
    try {
      const ProgressCallback progress = [&bar](long done, long total) { bar.update(done, total); };
      result = mpi_size() > 1 ? run_distributed(o.model, o.grid, o.ensemble, progress)
                              : run_ensemble(o.model, o.grid, o.ensemble, progress);
    } catch (const Interrupted&) {
      if (!o.checkpoint.empty() && writer) {
        save();
        fmt::print(stderr, "darkcharge: {} work units saved; continue with: darkcharge resume {}\n",
                   checkpoint.units.size(), o.checkpoint);
      }
      throw;
    }
    if (!o.checkpoint.empty() && result.stop_reason == "time-limit") {
      save();
      notes.push_back(fmt::format("time limit reached after {} trajectories; continue with: "
                                  "darkcharge resume {}",
                                  result.trajectories_run, o.checkpoint));
    }
  } else {
    ExactOptions exact;
    exact.nonlinear = wants(o, {"W_B", "W_B_sym", "S_B", "dS_B_dt"});
    exact.max_dimension = o.max_dimension;
    result.series = solve_exact(o.model, o.grid, exact);
    result.peaks = peak_summary(result.series, o.grid);
  }
  if (!writer) return 0;  // rank 0 writes everything
  const TimeSeries series = select_columns(result.series, columns);
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  std::vector<std::string> meta = metadata(o, threads);
  if (o.command == "simulate")
    meta.push_back(fmt::format("trajectories-run={} stop={}", result.trajectories_run,
                               result.stop_reason));
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
    if (o.command == "simulate") {
      j["trajectories_run"] = result.trajectories_run;
      j["stop_reason"] = result.stop_reason;
      if (mpi_size() > 1)
        j["mpi"] = {{"ranks", mpi_size()}, {"reduction_seconds", last_reduction_seconds()}};
    }
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
  if (counts_file) {
    write_emission_counts(counts_file->stream(), result);
    counts_file->commit();
  }
  if (jumps_file) {
    write_jumps(jumps_file->stream(), result);
    jumps_file->commit();
  }
  if (sectors_file) {
    write_csv(sectors_file->stream(), result.sectors, metadata(o, threads));
    sectors_file->commit();
  }
  // A finished run needs no checkpoint (one stopped by its time limit keeps it to resume).
  if (!o.checkpoint.empty() && result.stop_reason != "time-limit") std::remove(o.checkpoint.c_str());
  return 0;
}

}  // namespace
}  // namespace darkcharge::cli

int main(int argc, char** argv) {
  using namespace darkcharge;
  cli::MpiSession mpi(&argc, &argv);
  const bool prints = cli::mpi_rank() == 0;  // one message for all ranks
  cli::Options options;
  options.arguments.assign(argv + 1, argv + argc);
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
    if (prints)
      fmt::print(stderr, "darkcharge: error: {}\nRun 'darkcharge {} --help' for usage.\n",
                 e.what(), options.command.empty() ? "" : options.command);
    return 2;
  }
  try {
    return cli::run(options);
  } catch (const InvalidArgument& e) {
    if (prints) fmt::print(stderr, "darkcharge: error: {}\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    if (prints) fmt::print(stderr, "darkcharge: error: {}\n", e.what());
    return 1;
  }
}
