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
#include "darkcharge/column_selection.hpp"
#include "darkcharge/ensemble.hpp"
#include "darkcharge/errors.hpp"
#include "darkcharge/exact_solver.hpp"
#include "darkcharge/steady_state.hpp"
#include "darkcharge/steady_table.hpp"
#include "file_header.hpp"
#include "output_files.hpp"
#include "progress_bar.hpp"

namespace darkcharge::cli {
namespace {

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

void write_battery_state(std::ostream& out, const Options& o, const EnsembleResult& r,
                         const std::vector<std::string>& header) {
  for (const auto& line : header) out << "# " << line << '\n';
  out << "# battery reduced state (trajectory average); population of level (j_B, m_B) summed "
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
  out << "# joint charger-battery state (trajectory average), product basis, block diagonal "
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
  std::optional<AtomicFile> csv_file, summary_file;
  if (!o.output.empty()) csv_file.emplace(o.output);
  if (!o.summary.empty()) summary_file.emplace(o.summary);
  const auto start = std::chrono::steady_clock::now();
  const SteadyTable table = steady_table(o.model, o.temperatures, o.nbar_values, o.observables);
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::ostringstream out;
  for (const auto& line : file_header(o, 1, error_methods_line(table.columns)))
    out << "# " << line << '\n';
  out << "T,nbar";
  for (const auto& c : table.columns) out << ',' << c.name << ',' << c.name << "_err";
  out << '\n';
  for (std::size_t row = 0; row < table.nbar.size(); ++row) {
    out << fmt::format("{:.10g},{:.10g}", table.temperature[row], table.nbar[row]);
    for (const auto& c : table.columns) out << fmt::format(",{:.10g},0", c.value[row]);
    out << '\n';
  }
  if (csv_file) {
    csv_file->stream() << out.str();
    csv_file->commit();
  } else {
    std::cout << out.str();
  }
  if (summary_file) {
    nlohmann::ordered_json j = json_header(o, 1, table.columns);
    j["wall_time_seconds"] = wall;
    j["T"] = table.temperature;
    j["nbar"] = table.nbar;
    nlohmann::ordered_json rows = nlohmann::ordered_json::object();
    for (const auto& c : table.columns) rows[c.name] = c.value;
    j["values"] = rows;
    summary_file->stream() << j.dump(2) << '\n';
    summary_file->commit();
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
  state_indices(o.grid, o.state_times, "--state-times");  // validate before running
  std::optional<AtomicFile> csv_file, summary_file, state_file, joint_file, sectors_file;
  if (!o.output.empty()) csv_file.emplace(o.output);
  if (!o.summary.empty()) summary_file.emplace(o.summary);
  if (!o.state_output.empty()) state_file.emplace(o.state_output);
  if (!o.joint_state_output.empty()) joint_file.emplace(o.joint_state_output);
  if (!o.sectors_output.empty()) sectors_file.emplace(o.sectors_output);
  std::vector<std::string> notes;
  if (o.command == "simulate")
    notes = plan_accumulators(o.model, o.observables, !o.state_times.empty(),
                              !o.sectors_output.empty(), o.ensemble);
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
    plan_exact(o.observables, exact);
    exact.max_dimension = o.max_dimension;
    result.series = solve_exact(o.model, o.grid, exact);
    result.peaks = peak_summary(result.series, o.grid);
  }
  const TimeSeries series = select_columns(result.series, o.observables);
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  const auto meta = file_header(o, threads, error_methods_line(series.columns), notes);
  const auto state_meta = file_header(
      o, threads, "errors: none (trajectory-averaged state, no error estimate)", notes);
  if (csv_file) {
    write_csv(csv_file->stream(), series, meta);
    csv_file->commit();
  } else {
    write_csv(std::cout, series, meta);
  }
  if (summary_file) {
    nlohmann::ordered_json j = summary(o, series, threads, wall);
    j["peaks"] = peaks_json(result.peaks);
    summary_file->stream() << j.dump(2) << '\n';
    summary_file->commit();
  }
  if (state_file) {
    write_battery_state(state_file->stream(), o, result, state_meta);
    state_file->commit();
  }
  if (joint_file) {
    write_joint_state(joint_file->stream(), o, result, state_meta);
    joint_file->commit();
  }
  if (sectors_file) {
    write_csv(sectors_file->stream(), result.sectors,
              file_header(o, threads, error_methods_line(result.sectors.columns), notes));
    sectors_file->commit();
  }
  return 0;
}

}  // namespace
}  // namespace darkcharge::cli

int main(int argc, char** argv) {
  using namespace darkcharge;
  cli::record_invocation(argc, argv);
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
