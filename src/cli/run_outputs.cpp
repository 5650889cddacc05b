// The outputs of a simulate or exact run: the side files' writers (battery and joint
// state, emission counts, jump records), the checks of the output options, and the header
// lines and summary of the main CSV.
#include "run_outputs.hpp"

#include <algorithm>
#include <cmath>
#include <ostream>

#include <fmt/format.h>

#include "darkcharge/ensemble/column_selection.hpp"
#include "darkcharge/core/errors.hpp"
#include "file_header.hpp"

namespace darkcharge::cli {
namespace {

nlohmann::json estimate(const Estimate& e) { return {{"value", e.value}, {"error", e.error}}; }

/// How the averaged state was obtained, for the side files' headers.
std::string average_kind(const Options& o, const EnsembleResult& r) {
  if (o.command == "exact") return fmt::format("exact, --method {}", o.exact_method);
  return r.sampling == Sampling::cascade ? "exact, zero-temperature cascade"
                                         : "trajectory average";
}

void write_battery_state(std::ostream& out, const Options& o, const EnsembleResult& r,
                         const std::vector<std::string>& header) {
  for (const auto& line : header) out << "# " << line << '\n';
  out << "# battery reduced state (" << average_kind(o, r)
      << "); population of level (j_B, m_B) summed over the sector's Dicke copies; rho_B "
         "is diagonal in m_B\n";
  out << "t,j_B,m_B,population\n";
  for (int g : state_indices(o.grid, o.state_times, "--state-times"))
    for (const auto& l : battery_level_populations(r.density[g], o.model.j_charger()))
      out << fmt::format("{:.10g},{},{},{:.12g}\n", r.series.time[g], l.j_battery, l.m_battery,
                         l.population);
}

void write_joint_state(std::ostream& out, const Options& o, const EnsembleResult& r,
                       const std::vector<std::string>& header) {
  for (const auto& line : header) out << "# " << line << '\n';
  out << "# joint charger-battery state (" << average_kind(o, r)
      << "), product basis, block diagonal in (j_B, M): value = <M - m_B, m_B| rho "
         "|M - m_B', m_B'>\n";
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

std::vector<std::string> state_header(const Options& o, const RunOutputs& r) {
  return file_header(o, r.threads,
                     o.command == "exact"
                         ? "errors: none (exact density matrix)"
                     : r.result.sampling == Sampling::cascade
                         ? "errors: none (exact averaged state, zero-temperature cascade)"
                         : "errors: none (trajectory-averaged state, no error estimate)",
                     r.notes);
}

}  // namespace

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

nlohmann::ordered_json summary(const Options& o, const TimeSeries& series, int threads,
                               double wall_seconds) {
  nlohmann::ordered_json j = json_header(o, threads, series.columns);
  j["wall_time_seconds"] = wall_seconds;
  j["final_time"] = series.time.back();
  j["final"] = final_values(series);
  return j;
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
  if (o.command == "exact" && o.model.local.any() && !o.state_times.empty())
    throw InvalidArgument(
        "--state-times: exact with local rates > 0 (the reduced Dicke-basis solver) writes no "
        "state: single-spin noise spreads it over every charger sector j_C, which the state "
        "files (j_C = N_C/2) cannot hold");
  if (o.command == "exact" && runs_protocol(o) && !o.state_times.empty())
    throw InvalidArgument(
        "--state-times: exact --protocol (the reduced Dicke-basis solver) writes no state: "
        "the state files hold the collective model's states only");
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

}  // namespace darkcharge::cli
