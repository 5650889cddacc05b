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

#include "checkpoint.hpp"
#include "cli_options.hpp"
#include "darkcharge/column_selection.hpp"
#include "darkcharge/coupled_exact_solver.hpp"
#include "darkcharge/ensemble.hpp"
#include "darkcharge/errors.hpp"
#include "darkcharge/exact_solver.hpp"
#include "darkcharge/steady_state.hpp"
#include "darkcharge/steady_table.hpp"
#include "file_header.hpp"
#include "mpi_run.hpp"
#include "output_files.hpp"
#include "progress_bar.hpp"
#include "resource_estimate.hpp"
#include "signals.hpp"

namespace darkcharge::cli {
namespace {

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

/// One note per column that holds nan, so that no nan reaches a file unexplained.
std::vector<std::string> nan_notes(const TimeSeries& series) {
  std::vector<std::string> notes;
  for (const auto& c : series.columns) {
    const auto bad = std::count_if(c.value.begin(), c.value.end(),
                                   [](double v) { return std::isnan(v); });
    if (bad == 0) continue;
    const std::string why = nan_reason(c.name);
    notes.push_back(fmt::format("{} is nan in {} of {} rows: {}", c.name, bad, c.value.size(), why));
  }
  return notes;
}

/// How the averaged state of `r` was obtained, for the side files' headers.
const char* average_kind(const EnsembleResult& r) {
  return r.sampling == Sampling::cascade ? "exact, zero-temperature cascade"
                                         : "trajectory average";
}

void write_battery_state(std::ostream& out, const Options& o, const EnsembleResult& r,
                         const std::vector<std::string>& header) {
  for (const auto& line : header) out << "# " << line << '\n';
  out << "# battery reduced state (" << average_kind(r) << "); population of level (j_B, m_B) summed "
         "over the sector's Dicke copies; rho_B is diagonal in m_B\n";
  out << "t,j_B,m_B,population\n";
  for (int g : state_indices(o.grid, o.state_times, "--state-times"))
    for (const auto& l : battery_level_populations(r.density[g], o.model.j_charger()))
      out << fmt::format("{:.10g},{},{},{:.12g}\n", r.series.time[g], l.j_battery, l.m_battery,
                         l.population);
}

void write_joint_state(std::ostream& out, const Options& o, const EnsembleResult& r,
                       const std::vector<std::string>& header) {
  for (const auto& line : header) out << "# " << line << '\n';
  out << "# joint charger-battery state (" << average_kind(r) << "), product basis, block diagonal "
         "in (j_B, M): value = <M - m_B, m_B| rho |M - m_B', m_B'>\n";
  out << "t,j_B,M,m_B,m_B_prime,value\n";
  for (int g : state_indices(o.grid, o.state_times, "--state-times"))
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

void write_emission_counts(std::ostream& out, const EnsembleResult& r,
                           const std::vector<std::string>& header) {
  for (const auto& line : header) out << "# " << line << '\n';
  out << "# distribution P(n, t) of the number n of quanta emitted by time t (J^- jumps), "
      << (r.sampling == Sampling::cascade ? "exact (zero-temperature cascade, errors 0)"
                                          : "with standard errors")
      << "; rows with P > 0\n";
  out << "t,n,P,P_err\n";
  for (const auto& c : r.emission_counts)
    out << fmt::format("{:.10g},{},{:.10g},{:.3g}\n", c.time, c.emitted, c.probability.value,
                       c.probability.error);
}

void write_jumps(std::ostream& out, const EnsembleResult& r,
                 const std::vector<std::string>& header) {
  for (const auto& line : header) out << "# " << line << '\n';
  out << "# jump records: trajectory index, jump time, channel (em = J^-, a quantum emitted "
         "into the reservoir; abs = J^+, absorbed), total M after the jump\n";
  out << "trajectory,t,channel,M\n";
  for (const auto& j : r.jumps)
    out << fmt::format("{},{:.17g},{},{}\n", j.trajectory, j.jump.time,
                       j.jump.channel == Jump::kEmission ? "em" : "abs", j.jump.m_after);
}

nlohmann::ordered_json summary(const Options& o, const TimeSeries& series, int threads,
                               double wall_seconds) {
  nlohmann::ordered_json j = json_header(o, threads, series.columns);
  j["wall_time_seconds"] = wall_seconds;
  j["final_time"] = series.time.back();
  j["final"] = final_values(series);
  return j;
}

/// One row per temperature: T, nbar, then each steady-state value and its (zero) error.
int run_steady(Options& o) {
  // W_B, W_B_sym, S_B need Clebsch-Gordan tables; beyond the limit they are left out with a
  // note instead of failing (the energies and dark stay cheap at any size).
  std::ostringstream csv;
  nlohmann::ordered_json j;
  OutputSet outputs;  // paths checked now, written together at commit()
  outputs.add("--output", o.output.empty() ? "-" : o.output,
              [&csv](std::ostream& file) { file << csv.str(); });
  if (!o.summary.empty())
    outputs.add("--summary", o.summary, [&j](std::ostream& file) { file << j.dump(2) << '\n'; });
  std::vector<std::string> requested = o.observables, notes;
  if (!steady_nonlinear_computed(o) && wants(o.observables, {"W_B", "W_B_sym", "S_B"})) {
    notes.push_back(fmt::format("W_B, W_B_sym, S_B left out: their Clebsch-Gordan tables "
                                "({:.3g} doubles) exceed the limit at this size",
                                clebsch_gordan_table_doubles(steady_worst_model(o))));
    if (requested.empty()) requested = steady_columns();
    requested.erase(std::remove_if(requested.begin(), requested.end(),
                                   [](const std::string& c) {
                                     return c == "W_B" || c == "W_B_sym" || c == "S_B";
                                   }),
                    requested.end());
    if (requested.empty()) throw InvalidArgument(notes.back());
    if (!o.quiet) fmt::print(stderr, "darkcharge: note: {}\n", notes.back());
  }
  const auto start = std::chrono::steady_clock::now();
  const SteadyTable table = steady_table(o.model, o.temperatures, o.nbar_values, requested);
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  TimeSeries computed;  // nan_notes() reads columns; steady rows are temperatures
  computed.columns = table.columns;
  for (const auto& note : nan_notes(computed)) {
    notes.push_back(note);
    if (!o.quiet) fmt::print(stderr, "darkcharge: note: {}\n", note);
  }
  for (const auto& line : file_header(o, 1, error_methods_line(table.columns), notes))
    csv << "# " << line << '\n';
  csv << "T,nbar";
  for (const auto& c : table.columns) csv << ',' << c.name << ',' << c.name << "_err";
  csv << '\n';
  for (std::size_t row = 0; row < table.nbar.size(); ++row) {
    csv << fmt::format("{:.10g},{:.10g}", table.temperature[row], table.nbar[row]);
    for (const auto& c : table.columns) csv << fmt::format(",{:.10g},0", c.value[row]);
    csv << '\n';
  }
  j = json_header(o, 1, table.columns);
  j["wall_time_seconds"] = wall;
  j["T"] = table.temperature;
  j["nbar"] = table.nbar;
  nlohmann::ordered_json rows = nlohmann::ordered_json::object();
  for (const auto& c : table.columns) rows[c.name] = c.value;
  j["values"] = rows;
  outputs.commit();
  return 0;
}

/// The outputs of a simulate or exact run, checked now and written by commit() from what
/// the lambdas capture (filled in after the run).
struct RunOutputs {
  EnsembleResult result;
  TimeSeries series;
  std::vector<std::string> meta;
  nlohmann::ordered_json summary;
  std::vector<std::string> notes;
  int threads = 0;
  OutputSet files;
};

std::vector<std::string> state_header(const Options& o, const RunOutputs& r) {
  return file_header(o, r.threads,
                     r.result.sampling == Sampling::cascade
                         ? "errors: none (exact averaged state, zero-temperature cascade)"
                         : "errors: none (trajectory-averaged state, no error estimate)",
                     r.notes);
}

void plan_outputs(const Options& o, RunOutputs& r) {
  r.files.add("--output", o.output.empty() ? "-" : o.output,
              [&r](std::ostream& out) { write_csv(out, r.series, r.meta); });
  if (!o.summary.empty())
    r.files.add("--summary", o.summary,
                [&r](std::ostream& out) { out << r.summary.dump(2) << '\n'; });
  if (!o.state_output.empty())
    r.files.add("--state-output", o.state_output,
                [&o, &r](std::ostream& out) {
                  write_battery_state(out, o, r.result, state_header(o, r));
                });
  if (!o.joint_state_output.empty())
    r.files.add("--joint-state-output", o.joint_state_output,
                [&o, &r](std::ostream& out) {
                  write_joint_state(out, o, r.result, state_header(o, r));
                });
  if (!o.sectors_output.empty())
    r.files.add("--sectors-output", o.sectors_output, [&o, &r](std::ostream& out) {
      write_csv(out, r.result.sectors,
                file_header(o, r.threads, error_methods_line(r.result.sectors.columns), r.notes));
    });
  if (!o.counts_output.empty())
    r.files.add("--counts-output", o.counts_output, [&o, &r](std::ostream& out) {
      write_emission_counts(out, r.result,
                            file_header(o, r.threads,
                                        r.result.sampling == Sampling::cascade
                                            ? "errors: P=exact"
                                            : "errors: P=standard-error",
                                        r.notes));
    });
  if (!o.jumps_output.empty())
    r.files.add("--jumps-output", o.jumps_output, [&o, &r](std::ostream& out) {
      write_jumps(out, r.result,
                  file_header(o, r.threads, "errors: none (recorded jumps, no estimate)", r.notes));
    });
  // Written during the run (CheckpointWriter), not at commit; checked and kept apart from
  // the other outputs here.
  if (!o.checkpoint.empty()) r.files.reserve("--checkpoint", o.checkpoint);
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

/// The checkpoint of a `simulate --checkpoint FILE` run: the finished units, saved (each
/// save atomic: AtomicFile) every --checkpoint-every seconds, at the time limit, and from
/// report_interruption() after SIGINT/SIGTERM/SIGHUP. One per process; under MPI rank 0
/// alone holds every unit and writes.
struct CheckpointWriter {
  std::string path;  // empty: no checkpoint
  Checkpoint data;
  std::chrono::steady_clock::time_point saved = std::chrono::steady_clock::now();
  void save() {
    if (mpi_rank() == 0) write_checkpoint(path, data);
    saved = std::chrono::steady_clock::now();
  }
};
CheckpointWriter g_checkpoint;

/// Records each finished unit (called by the runner one at a time) and saves now and then.
void start_checkpoint(Options& o) {
  if (o.checkpoint.empty()) return;
  g_checkpoint.path = o.checkpoint;
  g_checkpoint.data = {o.arguments, o.ensemble.completed_units};
  const double every = o.checkpoint_every;
  o.ensemble.on_unit_done = [every](long unit, const std::string& bytes) {
    g_checkpoint.data.units[unit] = bytes;
    const auto since = std::chrono::steady_clock::now() - g_checkpoint.saved;
    if (std::chrono::duration<double>(since).count() >= every) g_checkpoint.save();
  };
}

EnsembleResult run_simulation(const Options& o) {
  ProgressBar bar("simulate", !o.quiet && mpi_rank() == 0);
  EnsembleOptions options = o.ensemble;
  options.stop = &stop_requested();
  EnsembleResult result;
  {
    const GracefulStop graceful;  // the first signal now only asks the runner to stop
    const ProgressCallback progress = [&bar](long done, long total) { bar.update(done, total); };
    result = mpi_size() > 1 ? run_distributed(o.model, o.grid, options, progress)
                            : run_ensemble(o.model, o.grid, options, progress);
  }
  if (received_signal() != 0)  // arrived after the runner's last look at the flag
    throw Interrupted("run interrupted");
  return result;
}

/// simulate: the columns to compute and the run controls (target errors, time limit,
/// emission counts); returns notes for the user.
std::vector<std::string> plan_simulation(Options& o) {
  const bool need_density = !o.state_output.empty() || !o.joint_state_output.empty();
  std::vector<std::string> notes = plan_accumulators(o.model, o.grid, o.observables, need_density,
                                                     !o.sectors_output.empty(), o.ensemble);
  parse_target_errors(o);
  o.ensemble.time_limit = o.time_limit;
  if (!o.counts_output.empty()) o.ensemble.count_times = o.state_times;
  if (need_density) o.ensemble.state_times = o.state_times;
  return notes;
}

/// The side outputs and the options they need, refused before any work.
void check_output_options(const Options& o) {
  if (!o.state_times.empty() && o.state_output.empty() && o.joint_state_output.empty() &&
      o.counts_output.empty())
    throw InvalidArgument(
        "--state-times needs --state-output, --joint-state-output or --counts-output");
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
  state_indices(o.grid, o.state_times, "--state-times");
}

/// The header lines of the main CSV: file_header() plus, for simulate, how many
/// trajectories ran and why the run stopped (completed, target-error, time-limit).
std::vector<std::string> csv_header(const Options& o, const RunOutputs& r) {
  std::vector<std::string> lines =
      file_header(o, r.threads, error_methods_line(r.series.columns), r.notes);
  if (o.command == "simulate") {
    const auto at = std::find_if(lines.begin(), lines.end(), [](const std::string& line) {
      return line.rfind("trajectories=", 0) == 0;
    });
    lines.insert(at == lines.end() ? at : at + 1,
                 fmt::format("trajectories-run={} stop={} sampling={}", r.result.trajectories_run,
                             r.result.stop_reason, to_string(r.result.sampling)));
  }
  // Caveats the estimators attach to a column (physical bound, rare-event floor, ...).
  for (const Column& c : r.series.columns)
    if (!c.note.empty()) lines.push_back(c.name + ": " + c.note);
  return lines;
}

int run(Options& o);

/// `darkcharge resume FILE`: the original command line with the finished units loaded.
/// The options of the run a checkpoint's command line describes.
Options parse_checkpoint_run(const std::string& file, const std::vector<std::string>& arguments) {
  Options r;
  auto app = make_app(r);
  std::vector<const char*> argv = {"darkcharge"};
  for (const auto& a : arguments) argv.push_back(a.c_str());
  try {
    app->parse(static_cast<int>(argv.size()), argv.data());
  } catch (const CLI::ParseError& e) {
    throw InvalidArgument(fmt::format("resume: the command line in '{}' does not parse: {}",
                                      file, e.what()));
  }
  if (r.command != "simulate" || r.checkpoint.empty())
    throw InvalidArgument(fmt::format("resume: '{}' holds no simulate --checkpoint run", file));
  r.arguments = arguments;
  return r;
}

int run_resume(const Options& o) {
  // The file's size is checked against what its run can write before the units are read.
  Checkpoint checkpoint = read_checkpoint(o.resume_file, [&o](const std::vector<std::string>& a) {
    Options probe = parse_checkpoint_run(o.resume_file, a);
    finalize(probe);
    (void)plan_simulation(probe);
    return checkpoint_max_bytes(probe);
  });
  Options r = parse_checkpoint_run(o.resume_file, checkpoint.arguments);
  r.checkpoint = o.resume_file;  // keep saving where we resumed from
  if (!o.output.empty()) r.output = o.output;
  if (!o.summary.empty()) r.summary = o.summary;
  if (o.ensemble.threads > 0) r.ensemble.threads = o.ensemble.threads;
  r.quiet = r.quiet || o.quiet;
  if (o.resume_time_limit) r.time_limit = *o.resume_time_limit;
  r.ensemble.completed_units = std::move(checkpoint.units);
  try {
    return run(r);
  } catch (const InvalidArgument& e) {
    // The library names the unit and what does not fit; the user needs the file too.
    const std::string what = e.what();
    if (what.rfind("completed_units:", 0) == 0)
      throw InvalidArgument(fmt::format("resume: checkpoint '{}' is damaged or of another run ({})",
                                        o.resume_file, what));
    throw;
  }
}

int run(Options& o) {
  if (o.command == "resume") return run_resume(o);
  finalize(o);
  std::vector<std::string> notes;
  if (o.command == "simulate") notes = plan_simulation(o);
  // Before any allocation or long work; names the option to change.
  const ResourceEstimate cost = check_resources(o);
  if (!o.quiet && cost.cpu_seconds > 60)
    fmt::print(stderr, "darkcharge: estimate: {:.2g} CPU core-hours ({}), memory up to {:.3g} GiB\n",
               cost.cpu_seconds / 3600, cost.work, cost.bytes / (1024.0 * 1024.0 * 1024.0));
  validate(o.model);
  if (o.command == "steady") return run_steady(o);
  // Check output files first: a bad path fails before minutes of computation. Every MPI
  // rank checks (the same answer everywhere, so all ranks stop together); rank 0 writes.
  check_output_options(o);
  RunOutputs out;
  plan_outputs(o, out);
  const bool writer = mpi_rank() == 0;
  if (writer)
    for (const auto& note : notes) fmt::print(stderr, "darkcharge: note: {}\n", note);

  const int threads = o.ensemble.threads > 0 ? o.ensemble.threads : omp_get_max_threads();
  out.threads = threads;
  const auto start = std::chrono::steady_clock::now();
  if (o.command == "simulate") {
    start_checkpoint(o);
    out.result = run_simulation(o);
    for (const auto& note : out.result.notes) {
      if (writer && !o.quiet) fmt::print(stderr, "darkcharge: note: {}\n", note);
      notes.push_back(note);
    }
    if (!o.checkpoint.empty() && out.result.stop_reason == "time-limit") {
      g_checkpoint.save();
      notes.push_back(fmt::format("time limit reached after {} trajectories; continue with: "
                                  "darkcharge resume {}",
                                  out.result.trajectories_run, o.checkpoint));
    }
  } else if (o.exact_method == "product") {
    ExactOptions exact;
    plan_exact(o.observables, exact);
    exact.max_dimension = o.max_dimension;
    out.result.series = solve_exact(o.model, o.grid, exact);
    out.result.peaks = peak_summary(out.result.series, o.grid);
  } else {
    CoupledExactOptions exact;
    plan_exact(o.observables, exact);
    exact.max_memory_gib = o.max_memory_gib.value_or(physical_memory_gib());
    exact.max_seconds = o.max_seconds;
    ProgressBar bar("exact", !o.quiet);
    out.result.series = solve_exact_coupled(
        o.model, o.grid, exact, [&bar](long done, long total) { bar.update(done, total); });
    out.result.peaks = peak_summary(out.result.series, o.grid);
  }
  if (!writer) return 0;  // rank 0 writes everything
  out.series = select_columns(out.result.series, o.command == "exact"
                                                     ? exact_columns(o.observables)
                                                     : o.observables);
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  for (const auto& note : nan_notes(out.series)) {
    if (!o.quiet) fmt::print(stderr, "darkcharge: note: {}\n", note);
    notes.push_back(note);
  }
  out.notes = notes;
  out.meta = csv_header(o, out);
  out.summary = summary(o, out.series, threads, wall);
  if (o.command == "simulate") {
    out.summary["trajectories_run"] = out.result.trajectories_run;
    out.summary["stop_reason"] = out.result.stop_reason;
    out.summary["sampling"] = to_string(out.result.sampling);
    if (mpi_size() > 1)
      out.summary["mpi"] = {{"ranks", mpi_size()},
                            {"reduction_seconds", last_reduction_seconds()}};
  }
  out.summary["peaks"] = peaks_json(out.result.peaks);
  out.files.commit();
  // A finished run needs no checkpoint (one stopped by its time limit keeps it to resume).
  if (!o.checkpoint.empty() && out.result.stop_reason != "time-limit") {
    std::remove(o.checkpoint.c_str());
    g_checkpoint.path.clear();
  }
  return 0;
}

/// After an interrupted run, writes the checkpoint (if --checkpoint was given) with every
/// unit finished before the stop. Returns the command that resumes the run, or "" when there
/// is no checkpoint to resume from.
std::string save_checkpoint_after_interrupt() {
  if (g_checkpoint.path.empty() || mpi_rank() != 0) return "";
  g_checkpoint.save();
  return fmt::format("darkcharge resume {} ({} work units saved)", g_checkpoint.path,
                     g_checkpoint.data.units.size());
}

/// The message and exit status (128 + signal: 130 SIGINT, 143 SIGTERM, 129 SIGHUP) after a
/// signal stopped the run. Temporary files are already gone (destructors ran).
int report_interruption() {
  const int signal = received_signal();
  std::string resume;
  try {
    resume = save_checkpoint_after_interrupt();
  } catch (const std::exception& e) {
    fmt::print(stderr, "darkcharge: error: could not save the checkpoint: {}\n", e.what());
  }
  if (mpi_rank() == 0)
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
  cli::MpiSession mpi(&argc, &argv);
  const bool prints = cli::mpi_rank() == 0;  // one message for all ranks
  cli::record_invocation(argc, argv);
  cli::install_signal_handlers();
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
      fmt::print(stderr, "darkcharge: error: {}\nRun 'darkcharge {}--help' for usage.\n",
                 e.what(), options.command.empty() ? "" : options.command + " ");
    return 2;
  }
  try {
    return cli::run(options);
  } catch (const Interrupted&) {
    return cli::report_interruption();
  } catch (const InvalidArgument& e) {
    if (prints) fmt::print(stderr, "darkcharge: error: {}\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    if (prints) fmt::print(stderr, "darkcharge: error: {}\n", e.what());
    return 1;
  }
}
