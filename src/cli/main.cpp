// darkcharge: the command-line front end. Parses options, runs the library, writes files.
// All printing and exiting happens here; the library never does either.
#include <chrono>
#include <cstdio>
#include <iostream>
#include <optional>

#include <fmt/format.h>
#include <omp.h>

#include "cli_options.hpp"
#include "darkcharge/errors.hpp"
#include "darkcharge/exact_solver.hpp"
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

int run(Options& o) {
  finalize(o);
  // Open output files first: a bad path fails before minutes of computation.
  std::optional<AtomicFile> csv_file, summary_file;
  if (!o.output.empty()) csv_file.emplace(o.output);
  if (!o.summary.empty()) summary_file.emplace(o.summary);

  const int threads = o.ensemble.threads > 0 ? o.ensemble.threads : omp_get_max_threads();
  const auto start = std::chrono::steady_clock::now();
  TimeSeries series;
  if (o.command == "simulate") {
    ProgressBar bar("simulate", !o.quiet);
    series = simulate(o.model, o.grid, o.ensemble,
                      [&bar](long done, long total) { bar.update(done, total); });
  } else {
    series = solve_exact(o.model, o.grid);
  }
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  if (csv_file) {
    write_csv(csv_file->stream(), series, metadata(o, threads));
    csv_file->commit();
  } else {
    write_csv(std::cout, series, metadata(o, threads));
  }
  if (summary_file) {
    summary_file->stream() << summary(o, series, threads, wall).dump(2) << '\n';
    summary_file->commit();
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
