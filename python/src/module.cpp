// darkcharge._core: the compiled half of the Python module. It turns keyword arguments into
// the library's Model / TimeGrid / options, runs the engine on a worker thread with the GIL
// released, and returns plain dicts of numpy arrays; python/darkcharge/__init__.py builds the
// user-facing Result objects from them.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <mutex>
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

/// Runs `work` on a worker thread while this (Python) thread, without the GIL, wakes every
/// 100 ms to report progress and to look for Ctrl-C. On KeyboardInterrupt it sets `stop`
/// (the engine then starts no further trajectory), joins the worker and re-raises.
template <class Result, class Work>
Result run_interruptible(Work work, std::atomic<bool>* stop, const std::atomic<long>& done,
                         const std::atomic<long>& total, const py::object& progress) {
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
    }
  } catch (...) {
    if (stop) stop->store(true);
    join();
    throw;
  }
  join();
  if (error) std::rethrow_exception(error);
  if (!progress.is_none() && total.load() > 0) progress(total.load(), total.load());
  return std::move(*result);
}

py::dict run_simulate(int nb, int nc, double nbar, const std::string& battery_init, double gamma,
                      double omega, double t_max, int points, long trajectories,
                      std::uint64_t seed, int threads, const std::vector<std::string>& observables,
                      const std::vector<double>& state_times, bool sectors,
                      const std::string& sampling, const py::object& progress,
                      const std::vector<double>& local) {
  const Model model = make_model(nb, nc, nbar, battery_init, gamma, omega, local);
  if (model.local.any())
    throw InvalidArgument(
        "local rates > 0: simulate from Python has no local-noise trajectories yet (the CLI's "
        "simulate has them); compute the same model exactly with exact() and the same keywords");
  const TimeGrid grid{t_max, points};
  validate(model);
  validate(grid);
  check_columns("observables", observables, time_series_columns());
  check_at_least("threads", threads, 0);
  const std::vector<int> state_index = state_indices(grid, state_times, "state_times");
  EnsembleOptions options;
  options.trajectories = trajectories;
  options.seed = seed;
  options.threads = threads;
  options.sampling = parse_sampling(sampling);
  options.state_times = state_times;
  std::vector<std::string> notes =
      plan_accumulators(model, grid, observables, !state_times.empty(), sectors, options);
  std::atomic<bool> stop{false};
  std::atomic<long> done{0}, total{0};
  options.stop = &stop;
  const auto start = std::chrono::steady_clock::now();
  const EnsembleResult r = run_interruptible<EnsembleResult>(
      [&] {
        return run_ensemble(model, grid, options, [&](long d, long n) {
          done = d;
          total = n;
        });
      },
      &stop, done, total, progress);
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
  py::list states;
  for (std::size_t k = 0; k < state_index.size(); ++k) {
    const int g = state_index[k];
    py::dict s;
    s["t"] = r.series.time[g];
    py::list levels;
    for (const auto& l : battery_level_populations(r.density[g], model.j_charger()))
      levels.append(py::make_tuple(l.j_battery, l.m_battery, l.population));
    s["battery_levels"] = levels;
    py::list blocks;
    for (const auto& [key, block] : r.density[g].blocks) {
      const auto [j_b, M] = key;
      const Eigen::MatrixXd full = block.selfadjointView<Eigen::Lower>();
      blocks.append(py::make_tuple(j_b, M, first_battery_level(model.j_charger(), j_b, M), full));
    }
    s["joint_blocks"] = blocks;
    states.append(s);
  }
  out["states"] = states;
  return out;
}

/// Runs an exact solver (no stop flag: Ctrl-C is honoured when it returns) and packages its
/// `columns` (all when empty), peaks and wall time as exact() returns them.
template <class Solve>
py::dict exact_result(Solve solve, const TimeGrid& grid, const std::vector<std::string>& columns) {
  std::atomic<long> none{0};
  const auto start = std::chrono::steady_clock::now();
  const TimeSeries series = run_interruptible<TimeSeries>(solve, nullptr, none, none, py::none());
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  py::dict out = series_to_python(select_columns(series, columns));
  out["peaks"] = peaks_to_python(peak_summary(series, grid));
  out["notes"] = std::vector<std::string>{};
  out["wall_time_seconds"] = wall;
  return out;
}

/// exact() with local noise: the reduced Dicke-basis solver, every one of its columns
/// (the single-spin currents and battery-sector populations too) unless some are named.
py::dict run_exact_local(const Model& model, const TimeGrid& grid,
                         const std::vector<std::string>& observables, const std::string& method) {
  validate(model);
  validate(grid);
  if (method != "coupled")
    throw InvalidArgument("method: the product-basis solver has no local noise; leave method "
                          "at 'coupled' (with local rates it runs the reduced Dicke-basis solver)");
  validate_reduced_dicke_columns(model, model.local, observables);
  return exact_result([&] { return solve_exact_local(model, model.local, grid); }, grid,
                      observables);
}

py::dict run_exact(int nb, int nc, double nbar, const std::string& battery_init, double gamma,
                   double omega, double t_max, int points,
                   const std::vector<std::string>& observables, long max_dimension,
                   const std::string& method, const std::vector<double>& local) {
  const Model model = make_model(nb, nc, nbar, battery_init, gamma, omega, local);
  if (model.local.any()) return run_exact_local(model, TimeGrid{t_max, points}, observables, method);
  const TimeGrid grid{t_max, points};
  validate(model);
  validate(grid);
  check_columns("observables", observables, time_series_columns());
  if (method != "coupled" && method != "product")
    throw InvalidArgument("method must be 'coupled' or 'product', got '" + method + "'");
  check_exact_columns(observables, method, "observables");
  ExactOptions options;
  options.max_dimension = max_dimension;
  plan_exact(observables, options);
  CoupledExactOptions coupled;
  plan_exact(observables, coupled);
  return exact_result(
      [&] {
        return method == "product" ? solve_exact(model, grid, options)
                                   : solve_exact_coupled(model, grid, coupled);
      },
      grid, exact_columns(observables));
}

py::dict run_steady(int nb, int nc, double nbar, const std::string& battery_init, double gamma,
                    double omega, const std::vector<double>& temperatures,
                    const std::vector<double>& nbar_values,
                    const std::vector<std::string>& observables,
                    const std::vector<double>& local) {
  const Model model = make_model(nb, nc, nbar, battery_init, gamma, omega, local);
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
  m.def("nbar_from_temperature", &nbar_from_temperature, py::arg("temperature"),
        py::arg("omega") = 1.0);
  m.def("run_simulate", &run_simulate, py::arg("nb"), py::arg("nc"), py::arg("nbar"),
        py::arg("battery_init"), py::arg("gamma"), py::arg("omega"), py::arg("t_max"),
        py::arg("points"), py::arg("trajectories"), py::arg("seed"), py::arg("threads"),
        py::arg("observables"), py::arg("state_times"), py::arg("sectors"), py::arg("sampling"),
        py::arg("progress") = py::none(), py::arg("local") = std::vector<double>{});
  m.def("run_exact", &run_exact, py::arg("nb"), py::arg("nc"), py::arg("nbar"),
        py::arg("battery_init"), py::arg("gamma"), py::arg("omega"), py::arg("t_max"),
        py::arg("points"), py::arg("observables"), py::arg("max_dimension"),
        py::arg("method") = "coupled", py::arg("local") = std::vector<double>{});
  m.def("run_steady", &run_steady, py::arg("nb"), py::arg("nc"), py::arg("nbar"),
        py::arg("battery_init"), py::arg("gamma"), py::arg("omega"), py::arg("temperatures"),
        py::arg("nbar_values"), py::arg("observables"),
        py::arg("local") = std::vector<double>{});
}
