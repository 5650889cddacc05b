// The runs of simulate, exact and resume: planning (columns, target errors, checkpoint),
// the resource check before any work, the run itself, and writing the outputs; and the
// checkpoint saved and the exit status reported after a signal.
#include "commands.hpp"

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cmath>
#include <cstdio>
#include <optional>

#include <fmt/format.h>
#include <omp.h>

#include "checkpoint.hpp"
#include "file_header.hpp"
#include "darkcharge/ensemble/column_selection.hpp"
#include "darkcharge/exact/coupled_exact_solver.hpp"
#include "darkcharge/ensemble/ensemble.hpp"
#include "darkcharge/core/errors.hpp"
#include "darkcharge/exact/exact_solver.hpp"
#include "darkcharge/exact/reduced_dicke_solver.hpp"
#include "mpi_run.hpp"
#include "progress_bar.hpp"
#include "resource_estimate.hpp"
#include "run_outputs.hpp"
#include "run_report.hpp"
#include "signals.hpp"

namespace darkcharge::cli {
namespace {

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

EnsembleResult run_simulation(const Options& o, EnsemblePlan plan) {
  ProgressBar bar("simulate", !o.quiet && mpi_rank() == 0);
  plan.options.on_unit_done = o.ensemble.on_unit_done;  // set by start_checkpoint()
  plan.options.stop = &stop_requested();
  plan.options.on_phase = [&bar](const std::string& phase) { bar.phase(phase); };
  EnsembleResult result;
  {
    const GracefulStop graceful;  // the first signal now only asks the runner to stop
    const ProgressCallback progress = [&bar](long done, long total) { bar.update(done, total); };
    result = mpi_size() > 1 ? run_distributed(plan, progress) : run_ensemble(plan, progress);
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

int resume_checkpoint(const Options& o);

/// resume: the checkpoint's command line reads its --protocol file again; its refusals name
/// the checkpoint too.
int run_resume(const Options& o) {
  try {
    return resume_checkpoint(o);
  } catch (const InvalidArgument& e) {
    const std::string what = e.what();
    if (what.rfind("--protocol", 0) == 0)
      throw InvalidArgument(fmt::format("resume: checkpoint '{}' reads its --protocol file again: {}",
                                        o.resume_file, what));
    throw;
  }
}

int resume_checkpoint(const Options& o) {
  // The file's size is checked against what its run can write before the units are read.
  Checkpoint checkpoint = read_checkpoint(o.resume_file, [&o](const std::vector<std::string>& a) {
    Options probe = parse_checkpoint_run(o.resume_file, a);
    finalize(probe);
    (void)plan_simulation(probe);
    return checkpoint_max_bytes(probe);
  });
  Options r = parse_checkpoint_run(o.resume_file, checkpoint.arguments);
  // The results come from the original simulate command as much as from this resume.
  record_resumed_run(checkpoint.arguments);
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
      throw InvalidArgument(fmt::format(
          "resume: checkpoint '{}' is damaged or of another run ({}){}", o.resume_file, what,
          // The command line reads its --protocol file again: a changed file is refused here.
          r.protocol_file.empty() || (what.find("protocol segment") == std::string::npos &&
                                      what.find("run through") == std::string::npos)
              ? ""
              : fmt::format("; resume reads the --protocol file '{}' again: it has changed since "
                            "the checkpoint was written, restore it to resume", r.protocol_file)));
    throw;
  }
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

}  // namespace

int run(Options& o) {
  if (o.command == "resume") return run_resume(o);
  finalize(o);
  std::vector<std::string> notes;
  std::optional<EnsemblePlan> plan;  // simulate: validated once, its method chosen once
  if (o.command == "simulate") {
    notes = plan_simulation(o);
    check_rate_scale(o);      // before the library's checks: errors name the CLI option
    check_output_options(o);
    plan = runs_protocol(o) ? plan_ensemble(*o.protocol, o.grid, o.ensemble)
                            : plan_ensemble(o.model, o.grid, o.ensemble);
  }
  // Before any allocation or long work; names the option to change.
  const ResourceEstimate cost = check_resources(o, plan ? &*plan : nullptr);
  if (!o.quiet && cost.cpu_seconds > 60)
    fmt::print(stderr, "darkcharge: estimate: {}{:.2g} CPU core-hours ({}), memory up to {:.3g} GiB\n",
               o.ensemble.target_errors.empty() ? "" : "at most (the run stops once the target errors hold) ",
               cost.cpu_seconds / 3600, cost.work, cost.bytes / (1024.0 * 1024.0 * 1024.0));
  if (!plan) validate(o.model);  // simulate's plan has validated it
  if (o.command == "steady") return run_steady(o);
  // Check output files first: a bad path fails before minutes of computation. Every MPI
  // rank checks (the same answer everywhere, so all ranks stop together); rank 0 writes.
  if (o.command != "simulate") check_output_options(o);
  RunOutputs out;
  plan_outputs(o, out);
  const bool writer = mpi_rank() == 0;
  if (writer)
    for (const auto& note : notes) fmt::print(stderr, "darkcharge: note: {}\n", note);

  const int threads = o.ensemble.threads > 0 ? o.ensemble.threads : omp_get_max_threads();
  out.threads = threads;
  // Under MPI each rank may run its own number of threads (a launcher binding ranks to cores
  // gives each one): the header records all of them, not rank 0's alone.
  const std::vector<int> threads_per_rank =
      o.command == "simulate" ? mpi_gather_threads(threads) : std::vector<int>{threads};
  record_parallelism(threads_per_rank);
  const auto start = std::chrono::steady_clock::now();
  if (o.command == "simulate") {
    start_checkpoint(o);
    out.result = run_simulation(o, *plan);
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
  } else if (runs_protocol(o)) {
    // Segment by segment through the reduced Dicke-basis solver (physics/protocol.hpp).
    ReducedDickeOptions exact;
    exact.max_memory_gib = o.max_memory_gib.value_or(physical_memory_gib());
    exact.max_seconds = o.max_seconds;
    exact.stop = &stop_requested();
    ProgressBar bar("exact", !o.quiet);
    const GracefulStop graceful;
    out.result.series = solve_exact_protocol(*o.protocol, o.grid, exact,
                                             [&bar](long done, long total) { bar.update(done, total); });
    out.result.peaks = peak_summary(out.result.series, o.grid);
  } else if (o.model.local.any()) {
    // Local noise spreads the state over every (j_C, j_B) sector: the reduced Dicke-basis
    // solver (the coupled-basis chains assume j_C, j_B conserved).
    ReducedDickeOptions exact;
    exact.max_memory_gib = o.max_memory_gib.value_or(physical_memory_gib());
    exact.max_seconds = o.max_seconds;
    exact.stop = &stop_requested();
    ProgressBar bar("exact", !o.quiet);
    const GracefulStop graceful;
    out.result.series = solve_exact_local(o.model, o.model.local, o.grid, exact,
                                          [&bar](long done, long total) { bar.update(done, total); });
    out.result.peaks = peak_summary(out.result.series, o.grid);
  } else if (o.exact_method == "product") {
    ExactOptions exact;
    plan_exact(o.observables, exact);
    exact.max_dimension = o.max_dimension;
    exact.state_times = o.state_times;
    ExactResult solved = solve_exact_detailed(o.model, o.grid, exact);
    out.result.series = std::move(solved.series);
    out.result.density = std::move(solved.density);
    out.result.peaks = peak_summary(out.result.series, o.grid);
  } else {
    CoupledExactOptions exact;
    plan_exact(o.observables, exact);
    exact.max_memory_gib = o.max_memory_gib.value_or(physical_memory_gib());
    exact.max_seconds = o.max_seconds;
    exact.state_times = o.state_times;
    ProgressBar bar("exact", !o.quiet);
    CoupledExactResult solved = solve_exact_coupled_detailed(
        o.model, o.grid, exact, [&bar](long done, long total) { bar.update(done, total); });
    out.result.series = std::move(solved.series);
    out.result.density = std::move(solved.density);
    out.result.peaks = peak_summary(out.result.series, o.grid);
  }
  if (!writer) return 0;  // rank 0 writes everything
  // With local noise every column of the reduced solver is written (its sector populations
  // and single-spin currents are not in the collective registry) unless some are asked for.
  const bool all_local = o.command == "exact" && (o.model.local.any() || runs_protocol(o));
  out.series = select_columns(out.result.series, o.command == "exact" && !all_local
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
                            {"threads_per_rank", threads_per_rank},
                            {"reduction_seconds", last_reduction_seconds()}};
  }
  out.summary["peaks"] = peaks_json(out.result.peaks);
  out.files.commit();
  // A file holds the numbers; the terminal gets what they say (not when the CSV went to
  // standard output, where it would mix with the data on a terminal).
  if (!o.quiet && !o.output.empty() && o.output != "-") {
    const auto report = run_report(o, out.result, out.series);
    for (std::size_t i = 0; i < report.size(); ++i)
      fmt::print(stderr, "{}{}\n", i == 0 ? "darkcharge: " : "", report[i]);
  }
  // A finished run needs no checkpoint (one stopped by its time limit keeps it to resume).
  if (!o.checkpoint.empty() && out.result.stop_reason != "time-limit") {
    std::remove(o.checkpoint.c_str());
    g_checkpoint.path.clear();
  }
  return 0;
}

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

}  // namespace darkcharge::cli
