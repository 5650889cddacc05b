// darkcharge._core: the compiled half of the Python module. It turns keyword arguments into
// the library's Model / TimeGrid / options, runs the engine on a worker thread with the GIL
// released, and returns plain dicts of numpy arrays; python/darkcharge/__init__.py builds the
// user-facing Result objects from them.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <functional>
#include <map>
#include <mutex>
#include <tuple>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <omp.h>
#include <pybind11/eigen.h>
#include <pybind11/functional.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "darkcharge/ensemble/column_selection.hpp"
#include "darkcharge/physics/density_matrix.hpp"
#include "darkcharge/ensemble/ensemble.hpp"
#include "darkcharge/ensemble/plan.hpp"
#include "darkcharge/ensemble/resource_estimate.hpp"
#include "darkcharge/core/errors.hpp"
#include "darkcharge/exact/coupled_exact_solver.hpp"
#include "darkcharge/exact/exact_solver.hpp"
#include "darkcharge/exact/reduced_dicke_solver.hpp"
#include "darkcharge/physics/time_scale.hpp"
#include "darkcharge/ensemble/steady_table.hpp"

namespace py = pybind11;
using namespace darkcharge;

namespace {

py::array_t<double> to_numpy(const std::vector<double>& v) {
  return py::array_t<double>(static_cast<py::ssize_t>(v.size()), v.data());
}

py::list columns_to_python(const std::vector<Column>& columns) {
  py::list out;
  for (const auto& c : columns) {
    py::dict d;
    d["name"] = c.name;
    d["value"] = to_numpy(c.value);
    d["error"] = to_numpy(c.error);
    d["error_method"] = c.error_method;
    d["note"] = c.note;
    out.append(d);
  }
  return out;
}

py::dict series_to_python(const TimeSeries& s) {
  py::dict d;
  d["t"] = to_numpy(s.time);
  d["columns"] = columns_to_python(s.columns);
  return d;
}

py::dict estimate(const Estimate& e) {
  py::dict d;
  d["value"] = e.value;
  d["error"] = e.error;
  return d;
}

py::dict peaks_to_python(const PeakSummary& p) {
  py::dict d;
  d["P_B_max"] = estimate(p.power_max);
  d["P_B_max_time"] = estimate(p.power_max_time);
  d["dS_B_dt_max"] = estimate(p.entanglement_rate_max);
  d["dS_B_dt_max_time"] = estimate(p.entanglement_rate_max_time);
  d["lag_dS_B_dt_after_P_B"] = estimate(p.lag);
  // Why a peak is null (at an end of the run, or not resolved by the data); "" if resolved.
  d["P_B_max_unresolved"] = p.power_note;
  d["dS_B_dt_max_unresolved"] = p.entanglement_note;
  return d;
}

/// Local rates in the order the Python layer passes them: charger decay, pumping,
/// dephasing, then battery decay, pumping, dephasing (empty: no local noise).
LocalNoise local_noise(const std::vector<double>& rates) {
  LocalNoise l;
  if (rates.empty()) return l;
  if (rates.size() != 6) throw InvalidArgument("local: expected 6 rates");
  l.charger = {rates[0], rates[1], rates[2]};
  l.battery = {rates[3], rates[4], rates[5]};
  return l;
}

Model make_model(int nb, int nc, double nbar, const std::string& battery_init, double gamma,
                 double omega, const std::vector<double>& local = {}) {
  Model m;
  m.local = local_noise(local);
  m.n_battery = nb;
  m.n_charger = nc;
  m.nbar = nbar;
  m.battery_init = parse_battery_init(battery_init);
  m.gamma = gamma;
  m.omega = omega;
  return m;
}

/// The limits a Python call passes: max_memory in GiB (<= 0: the machine's physical
/// memory, as the CLI without --max-memory) and max_cpu_hours.
RunRequest python_request(const std::string& command, const Model& model, double max_memory,
                          double max_cpu_hours) {
  RunRequest r;
  r.command = command;
  r.model = model;
  if (max_memory > 0) r.max_memory_gib = max_memory;
  r.max_cpu_hours = max_cpu_hours;
  r.names = OptionStyle::python;
  return r;
}

double memory_limit_gib(double max_memory) {
  return max_memory > 0 ? max_memory : physical_memory_gib();
}

/// Runs `work` on a worker thread while this (Python) thread, without the GIL, wakes every
/// 100 ms to report progress and to look for Ctrl-C. On KeyboardInterrupt it sets `stop`
/// (the engine then stops within kJumpsBetweenStopChecks jumps, even inside a trajectory),
/// joins the worker and re-raises. `tick`, when set, is called with the GIL at every wake
/// (false) and once more after an interrupted worker has stopped (true): the checkpoint's
/// writer.
template <class Result, class Work>
Result run_interruptible(Work work, std::atomic<bool>* stop, const std::atomic<long>& done,
                         const std::atomic<long>& total, const py::object& progress,
                         const std::function<void(bool)>& tick = nullptr) {
  std::optional<Result> result;
  std::exception_ptr error;
  std::mutex mutex;
  std::condition_variable finished_cv;
  bool finished = false;
  std::thread worker([&] {
    try {
      result.emplace(work());
    } catch (...) {
      error = std::current_exception();
    }
    std::lock_guard<std::mutex> lock(mutex);
    finished = true;
    finished_cv.notify_all();
  });
  auto join = [&] {
    py::gil_scoped_release release;
    worker.join();
  };
  try {
    for (;;) {
      {
        py::gil_scoped_release release;
        std::unique_lock<std::mutex> lock(mutex);
        if (finished_cv.wait_for(lock, std::chrono::milliseconds(100), [&] { return finished; }))
          break;
      }
      if (PyErr_CheckSignals() != 0) throw py::error_already_set();
      if (!progress.is_none() && total.load() > 0) progress(done.load(), total.load());
      if (tick) tick(false);
    }
  } catch (...) {
    if (stop) stop->store(true);
    join();
    if (tick) {
      try {
        tick(true);  // keep what finished; the interrupt, not a failed save, is reported
      } catch (...) {
      }
    }
    throw;
  }
  join();
  if (error) std::rethrow_exception(error);
  if (!progress.is_none() && total.load() > 0) progress(total.load(), total.load());
  return std::move(*result);
}

py::list jumps_to_python(const std::vector<EnsembleResult::RecordedJump>& jumps) {
  // (trajectory, t, emitted, M after) tuples; the Python layer splits them per trajectory.
  py::list out;
  for (const auto& j : jumps)
    out.append(py::make_tuple(j.trajectory, j.jump.time, j.jump.channel == Jump::kEmission,
                              j.jump.m_after));
  return out;
}

/// The output times: `times` when given (validated: from 0, ascending), else `points`
/// equally spaced times up to t_max.
TimeGrid output_grid(double t_max, int points, const std::vector<double>& times) {
  if (times.empty()) return TimeGrid{t_max, points};
  TimeGrid grid = TimeGrid::at_times(times);
  validate(grid);
  return grid;
}

/// The columns of a local-noise simulate request (the CLI's default set when none are named);
/// throws InvalidArgument naming the first keyword or column the local-noise trajectories
/// do not honour.
std::vector<std::string> local_noise_request(
    const std::vector<std::string>& requested, const std::vector<double>& state_times,
    bool sectors, const std::vector<double>& count_times, long record_trajectories,
    bool protocol) {
  const char* because = protocol ? "protocol: simulate (local-noise trajectories through the segments)"
                                 : "local rates > 0: simulate (local-noise trajectories)";
  const std::pair<const char*, bool> unsupported[] = {
      {"state_times", !state_times.empty()},
      {"sectors", sectors},
      {"count_times", !count_times.empty()},
      {"record_trajectories", record_trajectories > 0},
  };
  for (const auto& [keyword, given] : unsupported)
    if (given) throw InvalidArgument(std::string(keyword) + ": " + because + " does not support it yet");
  const std::vector<std::string>& known = local_noise_requestable_columns();
  for (const std::string& name : requested)
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      std::string gives;
      for (const std::string& k : known) gives += (gives.empty() ? "" : ", ") + k;
      throw InvalidArgument("observables: " + name + " is not computed by " + because + " (it gives " +
                            gives + ")");
    }
  return requested.empty() ? local_noise_simulate_columns() : requested;
}

/// The states kept at grid indices `state_index` (in the order asked), as Result reads them:
/// the battery levels (the CLI's --state-output rows) and the joint blocks (its
/// --joint-state-output rows, each block a full symmetric matrix).
py::list states_to_python(const std::vector<DensityMatrix>& density,
                          const std::vector<double>& time, const std::vector<int>& state_index,
                          double j_charger) {
  py::list states;
  for (const int g : state_index) {
    py::dict s;
    s["t"] = time[g];
    py::list levels;
    for (const auto& l : battery_level_populations(density[g], j_charger))
      levels.append(py::make_tuple(l.j_battery, l.m_battery, l.population));
    s["battery_levels"] = levels;
    py::list blocks;
    for (const auto& [key, block] : density[g].blocks) {
      const auto [j_b, M] = key;
      const Eigen::MatrixXd full = block.selfadjointView<Eigen::Lower>();
      blocks.append(py::make_tuple(j_b, M, first_battery_level(j_charger, j_b, M), full));
    }
    s["joint_blocks"] = blocks;
    states.append(s);
  }
  return states;
}

py::dict run_simulate(int nb, int nc, double nbar, const std::string& battery_init, double gamma,
                      double omega, double t_max, int points, long trajectories,
                      std::uint64_t seed, int threads, const std::vector<std::string>& requested,
                      const std::vector<double>& state_times, bool sectors,
                      const std::string& sampling, const py::object& progress,
                      const std::vector<double>& local, double max_memory, double max_cpu_hours,
                      const std::vector<std::pair<std::string, double>>& target_errors,
                      double time_limit, const std::vector<double>& count_times,
                      long record_trajectories, const std::map<long, std::string>& completed_units,
                      const py::object& save_units, double checkpoint_every,
                      const std::vector<double>& times, const std::string& protocol_text,
                      const py::object& phase) {
  Model model = make_model(nb, nc, nbar, battery_init, gamma, omega, local);
  // A protocol: the library's parser and grid, as exact(protocol=...) and the CLI's
  // simulate --protocol; more than a plain model runs the local-noise trajectories through
  // its segments (or, with sampling "auto", the exact protocol solver when cheap).
  std::optional<Protocol> protocol;
  TimeGrid grid;
  if (!protocol_text.empty()) {
    protocol = parse_protocol(protocol_text, model, "protocol");
    try {
      grid = times.empty() ? protocol_time_grid(*protocol, points) : protocol_time_grid(*protocol, times);
    } catch (const InvalidArgument& e) {
      throw InvalidArgument(std::string(e.what()) + " (with protocol)");
    }
    if (is_plain_model(*protocol)) model = protocol->segments[0].model;
  } else {
    grid = output_grid(t_max, points, times);
  }
  const bool through = protocol && !is_plain_model(*protocol);
  // With local rates or a protocol: the local-noise trajectories, for the CLI's columns and
  // without the side outputs it refuses too (cli/local_noise_request.cpp), named as Python
  // spells them.
  const std::vector<std::string> observables =
      model.local.any() || through
          ? local_noise_request(requested, state_times, sectors, count_times, record_trajectories,
                                through)
          : requested;
  validate(model);
  validate(grid);
  check_columns("observables", observables, time_series_columns());
  check_at_least("threads", threads, 0);
  const std::vector<int> state_index = state_indices(grid, state_times, "state_times");
  (void)state_indices(grid, count_times, "count_times");
  EnsembleOptions options;
  options.trajectories = trajectories;
  options.seed = seed;
  options.threads = threads;
  options.sampling = parse_sampling(sampling);
  options.state_times = state_times;
  options.count_times = count_times;
  options.record_trajectories = record_trajectories;
  options.time_limit = time_limit;
  options.completed_units = completed_units;
  if (max_memory > 0) options.cascade_max_memory_gib = max_memory;
  std::vector<std::string> notes =
      plan_accumulators(model, grid, observables, !state_times.empty(), sectors, options);
  for (const auto& [name, bound] : target_errors) {
    if (std::find(options.observables.begin(), options.observables.end(), name) ==
        options.observables.end())
      throw InvalidArgument("target_error: '" + name +
                            "' is not a column of this run (add it to observables)");
    options.target_errors.emplace_back(name, bound);
  }
  // The CLI's checks, in its order: the rates first, then the plan, then memory and time.
  RunRequest request = python_request("simulate", model, max_memory, max_cpu_hours);
  request.grid = grid;
  request.observables = observables;
  request.ensemble = options;
  request.checkpoint = !save_units.is_none();
  check_rate_scale(request);
  const EnsemblePlan plan = through ? plan_ensemble(*protocol, grid, options) : plan_ensemble(model, grid, options);
  check_resources(request, &plan);
  std::atomic<bool> stop{false};
  std::atomic<long> done{0}, total{0};
  EnsemblePlan running = plan;
  running.options.stop = &stop;
  // A checkpoint: the runner hands over each finished unit (one call at a time, from a
  // worker); the Python thread saves them every checkpoint_every seconds, after an
  // interrupt, and at the time limit (save_units(dict of unit -> bytes)).
  std::mutex units_mutex;
  std::map<long, std::string> units = completed_units;
  bool unsaved = false;
  auto saved_at = std::chrono::steady_clock::now();
  std::function<void(bool)> tick;
  const auto save = [&] {
    py::dict snapshot;
    {
      std::lock_guard<std::mutex> lock(units_mutex);
      for (const auto& [u, bytes] : units) snapshot[py::int_(u)] = py::bytes(bytes);
      unsaved = false;
    }
    save_units(snapshot);
    saved_at = std::chrono::steady_clock::now();
  };
  if (!save_units.is_none()) {
    running.options.on_unit_done = [&](long u, const std::string& bytes) {
      std::lock_guard<std::mutex> lock(units_mutex);
      units[u] = bytes;
      unsaved = true;
    };
    tick = [&](bool final) {
      bool due;
      {
        std::lock_guard<std::mutex> lock(units_mutex);
        due = unsaved;
      }
      const double since =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - saved_at).count();
      if (due && (final || since >= checkpoint_every)) save();
    };
  }
  // The phases after the trajectories (the costly estimates): each switch is handed to
  // Python on its next wake, after the (done, total) the previous phase ended with, and
  // before the new phase's progress.
  std::mutex phase_mutex;
  std::vector<std::tuple<std::string, long, long>> switches;
  running.options.on_phase = [&](const std::string& name) {
    std::lock_guard<std::mutex> lock(phase_mutex);
    switches.emplace_back(name, done.load(), total.load());
    done = 0;
    total = 0;  // nothing to show until the phase reports
  };
  py::object report = progress;
  if (!progress.is_none())
    report = py::cpp_function([&](long d, long n) {
      std::vector<std::tuple<std::string, long, long>> pending;
      {
        std::lock_guard<std::mutex> lock(phase_mutex);
        pending.swap(switches);
      }
      for (const auto& [name, before, before_total] : pending) {
        if (before_total > 0) progress(before, before_total);
        if (!phase.is_none()) phase(name);
      }
      progress(d, n);
    });
  const auto start = std::chrono::steady_clock::now();
  const EnsembleResult r = run_interruptible<EnsembleResult>(
      [&] {
        return run_ensemble(running, [&](long d, long n) {
          done = d;
          total = n;
        });
      },
      &stop, done, total, report, tick);
  if (!save_units.is_none() && r.stop_reason == "time-limit") save();
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  py::dict out = series_to_python(select_columns(r.series, observables));
  out["peaks"] = peaks_to_python(r.peaks);
  notes.insert(notes.end(), r.notes.begin(), r.notes.end());
  out["notes"] = notes;
  out["sampling"] = to_string(r.sampling);
  out["trajectories_run"] = r.trajectories_run;
  out["stop_reason"] = r.stop_reason;
  out["threads"] = threads > 0 ? threads : omp_get_max_threads();
  out["wall_time_seconds"] = wall;
  if (sectors) out["sectors"] = series_to_python(r.sectors);
  py::list counts;
  for (const auto& c : r.emission_counts)
    counts.append(py::make_tuple(c.time, c.emitted, c.probability.value, c.probability.error));
  out["counts"] = counts;
  out["jumps"] = jumps_to_python(r.jumps);
  out["states"] = states_to_python(r.density, r.series.time, state_index, model.j_charger());
  if (protocol) {
    out["protocol"] = protocol_json(*protocol);
    out["grid_times"] = grid.times;
  }
  return out;
}

/// Runs an exact solver and packages its `columns` (all when empty), peaks and wall time as
/// exact() returns them. `stop` reaches the solvers that look at one (the reduced
/// Dicke-basis solver); the others honour Ctrl-C when they return.
/// `solve` returns the series and the states at the grid times nearest `state_times` (as
/// ExactResult); they become the result's "states".
template <class Solve>
py::dict exact_result(Solve solve, const TimeGrid& grid, const std::vector<std::string>& columns,
                      const Model& model, const std::vector<double>& state_times,
                      std::atomic<bool>* stop = nullptr) {
  std::atomic<long> none{0};
  const auto start = std::chrono::steady_clock::now();
  const ExactResult solved = run_interruptible<ExactResult>(solve, stop, none, none, py::none());
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  py::dict out = series_to_python(select_columns(solved.series, columns));
  out["peaks"] = peaks_to_python(peak_summary(solved.series, grid));
  out["notes"] = std::vector<std::string>{};
  out["wall_time_seconds"] = wall;
  out["states"] = states_to_python(solved.density, solved.series.time,
                                   state_indices(grid, state_times, "state_times"),
                                   model.j_charger());
  return out;
}

/// exact() with local noise: the reduced Dicke-basis solver, every one of its columns
/// (the single-spin currents and battery-sector populations too) unless some are named.
py::dict run_exact_local(const Model& model, const TimeGrid& grid,
                         const std::vector<std::string>& observables, const std::string& method,
                         double max_memory, double max_seconds,
                         const std::vector<double>& state_times) {
  validate(model);
  validate(grid);
  if (method != "coupled")
    throw InvalidArgument("method: the product-basis solver has no local noise; leave method "
                          "at 'coupled' (with local rates it runs the reduced Dicke-basis solver)");
  if (!state_times.empty())
    throw InvalidArgument(
        "state_times: exact() with local rates > 0 (the reduced Dicke-basis solver) keeps no "
        "state: single-spin noise spreads it over every charger sector j_C, which Result's "
        "states (j_C = N_C/2) cannot hold");
  validate_reduced_dicke_columns(model, model.local, observables);
  std::atomic<bool> stop{false};
  ReducedDickeOptions options;
  options.max_memory_gib = memory_limit_gib(max_memory);
  options.max_seconds = max_seconds;
  options.stop = &stop;
  return exact_result(
      [&] { return ExactResult{solve_exact_local(model, model.local, grid, options), {}}; },
      grid, observables, model, {}, &stop);
}

py::dict run_exact_model(const Model& model, const TimeGrid& grid,
                         const std::vector<std::string>& observables, long max_dimension,
                         const std::string& method, double max_memory, double max_cpu_hours,
                         double max_seconds, const std::vector<double>& state_times);

/// exact(protocol=...): the reduced Dicke-basis solver segment by segment, every one of its
/// columns unless some are named (the CLI's `exact --protocol`).
py::dict run_exact_protocol(const Protocol& protocol, const TimeGrid& grid,
                            const std::vector<std::string>& observables, const std::string& method,
                            double max_memory, double max_seconds) {
  if (method != "coupled")
    throw InvalidArgument("method: the product-basis solver does not run protocols; leave method "
                          "at 'coupled' (a protocol runs the reduced Dicke-basis solver)");
  const Model& first = protocol.segments[0].model;
  validate_reduced_dicke_columns(first, first.local, observables);
  std::atomic<bool> stop{false};
  ReducedDickeOptions options;
  options.max_memory_gib = memory_limit_gib(max_memory);
  options.max_seconds = max_seconds;
  options.stop = &stop;
  return exact_result(
      [&] { return ExactResult{solve_exact_protocol(protocol, grid, options), {}}; }, grid,
      observables, first, {}, &stop);
}

py::dict run_exact(int nb, int nc, double nbar, const std::string& battery_init, double gamma,
                   double omega, double t_max, int points,
                   const std::vector<std::string>& observables, long max_dimension,
                   const std::string& method, const std::vector<double>& local,
                   double max_memory, double max_cpu_hours, double max_seconds,
                   const std::vector<double>& times, const std::string& protocol_text,
                   const std::vector<double>& state_times) {
  Model model = make_model(nb, nc, nbar, battery_init, gamma, omega, local);
  TimeGrid grid;
  std::optional<Protocol> protocol;
  if (!protocol_text.empty()) {
    // The library's parser, as the CLI's --protocol: the same refusals, "protocol: ...".
    protocol = parse_protocol(protocol_text, model, "protocol");
    try {
      grid = times.empty() ? protocol_time_grid(*protocol, points) : protocol_time_grid(*protocol, times);
    } catch (const InvalidArgument& e) {
      throw InvalidArgument(std::string(e.what()) + " (with protocol)");
    }
    if (!is_plain_model(*protocol)) {
      if (!state_times.empty())
        throw InvalidArgument("state_times: exact() with a protocol (the reduced Dicke-basis "
                              "solver) keeps no state");
      py::dict out = run_exact_protocol(*protocol, grid, observables, method, max_memory, max_seconds);
      out["protocol"] = protocol_json(*protocol);
      out["grid_times"] = grid.times;
      return out;
    }
    model = protocol->segments[0].model;  // one shared-reservoir segment: a plain model
  } else {
    grid = output_grid(t_max, points, times);
  }
  py::dict out = run_exact_model(model, grid, observables, max_dimension, method, max_memory,
                                 max_cpu_hours, max_seconds, state_times);
  if (protocol) {
    out["protocol"] = protocol_json(*protocol);
    out["grid_times"] = grid.times;
  }
  return out;
}

py::dict run_exact_model(const Model& model, const TimeGrid& grid,
                         const std::vector<std::string>& observables, long max_dimension,
                         const std::string& method, double max_memory, double max_cpu_hours,
                         double max_seconds, const std::vector<double>& state_times) {
  if (method != "coupled" && method != "product")
    throw InvalidArgument("method must be 'coupled' or 'product', got '" + method + "'");
  // The CLI's checks before any work: the rates, product-basis dimension, memory and time.
  RunRequest request = python_request("exact", model, max_memory, max_cpu_hours);
  request.grid = grid;
  request.observables = observables;
  request.exact_method = method;
  request.max_dimension = max_dimension;
  request.state_times = state_times;
  if (model.local.any()) {
    check_rate_scale(request);
    if (method == "coupled") check_resources(request);  // the reduced Dicke solver's estimate
    return run_exact_local(model, grid, observables, method, max_memory, max_seconds,
                           state_times);
  }
  validate(model);
  validate(grid);
  (void)state_indices(grid, state_times, "state_times");
  check_columns("observables", observables, time_series_columns());
  check_exact_columns(observables, method, "observables");
  check_resources(request);
  ExactOptions options;
  options.max_dimension = max_dimension;
  plan_exact(observables, options);
  CoupledExactOptions coupled;
  plan_exact(observables, coupled);
  coupled.max_memory_gib = memory_limit_gib(max_memory);
  coupled.max_seconds = max_seconds;
  options.state_times = coupled.state_times = state_times;
  return exact_result(
      [&] {
        if (method == "product") return solve_exact_detailed(model, grid, options);
        CoupledExactResult solved = solve_exact_coupled_detailed(model, grid, coupled);
        return ExactResult{std::move(solved.series), std::move(solved.density)};
      },
      grid, exact_columns(observables), model, state_times);
}

py::dict run_steady(int nb, int nc, double nbar, const std::string& battery_init, double gamma,
                    double omega, const std::vector<double>& temperatures,
                    const std::vector<double>& nbar_values,
                    const std::vector<std::string>& observables,
                    const std::vector<double>& local, double max_memory, double max_cpu_hours) {
  const Model model = make_model(nb, nc, nbar, battery_init, gamma, omega, local);
  check_columns("observables", observables, steady_columns());
  RunRequest request = python_request("steady", model, max_memory, max_cpu_hours);
  request.temperatures = temperatures;
  request.nbar_values = nbar_values;
  request.observables = observables;
  check_resources(request);
  validate(model);
  std::atomic<long> none{0};
  const SteadyTable table = run_interruptible<SteadyTable>(
      [&] { return steady_table(model, temperatures, nbar_values, observables); }, nullptr, none,
      none, py::none());
  py::dict out;
  out["T"] = to_numpy(table.temperature);
  out["nbar"] = to_numpy(table.nbar);
  out["columns"] = columns_to_python(table.columns);
  return out;
}

}  // namespace

PYBIND11_MODULE(_core, m) {
  m.doc() = "darkcharge engine (compiled part); use the functions of the darkcharge package.";
  m.attr("version") = DARKCHARGE_VERSION;
  py::register_exception<Interrupted>(m, "Interrupted", PyExc_KeyboardInterrupt);
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const InvalidArgument& e) {
      PyErr_SetString(PyExc_ValueError, e.what());
    } catch (const NumericalError& e) {
      PyErr_SetString(PyExc_ArithmeticError, e.what());
    }
  });
  m.def("time_series_columns", &time_series_columns);
  m.def("default_columns", &default_columns);
  m.def("steady_columns", &steady_columns);
  m.def(
      "default_t_max",
      [](int nb, int nc, double nbar, double gamma) {
        Model m;
        m.n_battery = nb;
        m.n_charger = nc;
        m.nbar = nbar;
        m.gamma = gamma;
        return default_t_max(m);
      },
      py::arg("nb"), py::arg("nc"), py::arg("nbar"), py::arg("gamma"),
      "Default last output time: 10 ln(N) / (gamma (nbar + 1) N), one digit, rounded down.");
  m.def(
      "local_noise_rates",
      [](const std::vector<std::optional<double>>& shared,
         const std::vector<std::optional<double>>& charger,
         const std::vector<std::optional<double>>& battery) {
        const auto request = [](const std::vector<std::optional<double>>& r) {
          if (r.size() != 3) throw InvalidArgument("local rates: expected 3 per ensemble");
          return LocalRatesRequest{r[0], r[1], r[2]};
        };
        const LocalNoise l =
            resolve_local_noise(request(shared), request(charger), request(battery));
        return std::vector<double>{l.charger.decay, l.charger.pumping, l.charger.dephasing,
                                   l.battery.decay, l.battery.pumping, l.battery.dephasing};
      },
      py::arg("shared"), py::arg("charger"), py::arg("battery"),
      "The six single-spin rates (charger, then battery: decay, pumping, dephasing) from the "
      "optional shared and per-ensemble ones: a per-ensemble rate overrides the shared one.");
  m.def(
      "check_rate_scale",
      [](const std::string& command, int nb, int nc, double nbar, double gamma, double t_max) {
        Model model;
        model.n_battery = nb;
        model.n_charger = nc;
        model.nbar = nbar;
        model.gamma = gamma;
        RunRequest request = python_request(command, model, 0.0, 24.0);
        request.grid.t_max = t_max;  // 0: not known yet (the default is derived from the rates)
        check_rate_scale(request);
      },
      py::arg("command"), py::arg("nb"), py::arg("nc"), py::arg("nbar"), py::arg("gamma"),
      py::arg("t_max") = 0.0,
      "The CLI's first check: ValueError naming gamma, nbar/temperature or t_max when the "
      "rates overflow double arithmetic.");
  m.def("nbar_from_temperature", &nbar_from_temperature, py::arg("temperature"),
        py::arg("omega") = 1.0);
  m.def("run_simulate", &run_simulate, py::arg("nb"), py::arg("nc"), py::arg("nbar"),
        py::arg("battery_init"), py::arg("gamma"), py::arg("omega"), py::arg("t_max"),
        py::arg("points"), py::arg("trajectories"), py::arg("seed"), py::arg("threads"),
        py::arg("observables"), py::arg("state_times"), py::arg("sectors"), py::arg("sampling"),
        py::arg("progress") = py::none(), py::arg("local") = std::vector<double>{},
        py::arg("max_memory") = 0.0, py::arg("max_cpu_hours") = 24.0,
        py::arg("target_errors") = std::vector<std::pair<std::string, double>>{},
        py::arg("time_limit") = 0.0, py::arg("count_times") = std::vector<double>{},
        py::arg("record_trajectories") = 0L,
        py::arg("completed_units") = std::map<long, std::string>{},
        py::arg("save_units") = py::none(), py::arg("checkpoint_every") = 60.0,
        py::arg("times") = std::vector<double>{}, py::arg("protocol") = std::string(),
        py::arg("phase") = py::none());
  m.def("run_exact", &run_exact, py::arg("nb"), py::arg("nc"), py::arg("nbar"),
        py::arg("battery_init"), py::arg("gamma"), py::arg("omega"), py::arg("t_max"),
        py::arg("points"), py::arg("observables"), py::arg("max_dimension"),
        py::arg("method") = "coupled", py::arg("local") = std::vector<double>{},
        py::arg("max_memory") = 0.0, py::arg("max_cpu_hours") = 24.0,
        py::arg("max_seconds") = 3600.0, py::arg("times") = std::vector<double>{},
        py::arg("protocol") = std::string(),
        py::arg("state_times") = std::vector<double>{});
  m.def("run_steady", &run_steady, py::arg("nb"), py::arg("nc"), py::arg("nbar"),
        py::arg("battery_init"), py::arg("gamma"), py::arg("omega"), py::arg("temperatures"),
        py::arg("nbar_values"), py::arg("observables"),
        py::arg("local") = std::vector<double>{}, py::arg("max_memory") = 0.0,
        py::arg("max_cpu_hours") = 24.0);
  // Limits the Python layer checks arguments against before they reach C++ types.
  m.attr("max_spins") = kMaxSpins;
  m.attr("max_points") = kMaxPoints;
  m.attr("max_trajectories") = kMaxTrajectories;
  m.attr("max_threads") = kMaxThreads;
  m.attr("physical_memory_gib") = physical_memory_gib();
}
