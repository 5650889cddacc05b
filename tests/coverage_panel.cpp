#include "coverage_panel.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "darkcharge/estimate/curve_features.hpp"
#include "darkcharge/exact/exact_solver.hpp"
#include "reference_data.hpp"
#include "test_models.hpp"

namespace darkcharge::coverage {
namespace {

/// The CSV's rows at the grid's times, as simulate() columns.
TimeSeries from_file(const std::string& file, const TimeGrid& grid) {
  const testing::ReferenceCurve curve = testing::load_reference(file);
  TimeSeries s;
  for (int g = 0; g < grid.points; ++g) s.time.push_back(grid.time(g));
  for (const char* name : {"E_B", "E_C", "P_B", "W_open", "dark", "W_B", "W_B_sym", "S_B",
                           "sigma_B", "I_em", "N_em", "F_em"}) {
    if (!curve.column.count(name)) continue;  // only the newer references have the last four
    Column c{name, {}, std::vector<double>(grid.points, 0.0), "exact", ""};
    for (int g = 0; g < grid.points; ++g) {
      std::size_t row = 0;
      while (row < curve.time.size() && std::fabs(curve.time[row] - grid.time(g)) > 1e-9) ++row;
      if (row == curve.time.size())
        throw std::runtime_error(file + " has no row at t = " + std::to_string(grid.time(g)));
      c.value.push_back(curve.column.at(name)[row]);
    }
    s.columns.push_back(c);
  }
  s.columns.push_back({"dS_B_dt", time_derivative(s.column("S_B").value, grid),
                       std::vector<double>(grid.points, 0.0), "exact", ""});
  return s;
}

}  // namespace

std::vector<PanelCase> panel() {
  const BatteryInit ground = BatteryInit::ground, thermal = BatteryInit::thermal;
  const std::vector<std::string> kJumpRecordColumns = {"sigma_B", "I_em", "I_abs",
                                                       "N_em",    "N_abs", "F_em"};
  return {
      {"N_B=2 N_C=10 nbar=0", testing::make_model(2, 10, 0, ground), {3.0, 13}, 2000, "", 1e-9},
      {"N_B=8 N_C=40 nbar=0", testing::make_model(8, 40, 0, ground), {0.4, 17}, 2000, "", 1e-9},
      // dS_B/dt is a derivative of a noisy curve: its peak is resolved only with ~1e4
      // trajectories on this grid (with 2000 it is reported unresolved).
      {"N_B=8 N_C=40 nbar=0, peaks", testing::make_model(8, 40, 0, ground), {0.4, 17}, 20000, "", 1e-9},
      {"N_B=20 N_C=100 nbar=0", testing::make_model(20, 100, 0, ground), {0.2, 21}, 1000,
       "nb20_nc100_nbar0.csv", 1e-7, {"sigma_B", "I_em", "N_em", "F_em"}},
      // At nbar > 0 the product solver's counting statistics give the jump record exactly.
      {"N_B=10 N_C=20 nbar=0.3 ground", testing::make_model(10, 20, 0.3, ground), {1.0, 11}, 1000, "", 1e-9,
       kJumpRecordColumns},
      {"N_B=4 N_C=8 T=2 thermal (omega=1.5 gamma=0.5)",
       testing::make_model(4, 8, nbar_from_temperature(2.0, 1.5), thermal, 1.5, 0.5), {2.0, 21}, 2000, "", 1e-9,
       kJumpRecordColumns},
      // Boundary cases, exact values on a physical bound: exact W_B_sym(0.3) = 0 here, exact W_B = 0
      // at nbar = 1000 (a nearly maximally mixed, passive battery).
      {"N_B=2 N_C=6 nbar=0 (W_B_sym boundary)", testing::make_model(2, 6, 0, ground), {1.0, 11}, 2000, "",
       1e-9},
      {"N_B=2 N_C=10 nbar=1000 thermal (W_B boundary)", testing::make_model(2, 10, 1000, thermal),
       {0.002, 5}, 500, "", 1e-9},
  };
}

EnsembleOptions run_options(const PanelCase& c, long trajectories) {
  EnsembleOptions options;
  options.sampling = Sampling::trajectories;  // the engine under test
  options.trajectories = trajectories;
  if (!c.extra_columns.empty()) {
    options.observables = {"E_B", "E_C", "P_B", "W_open", "dark", "W_B", "W_B_sym", "S_B",
                           "dS_B_dt"};
    for (const auto& name : c.extra_columns) options.observables.push_back(name);
  }
  return options;
}

Reference reference(const PanelCase& c) {
  Reference r;
  ExactOptions exact;
  exact.counting = std::any_of(c.extra_columns.begin(), c.extra_columns.end(), [](const auto& n) {
    return n == "N_em" || n == "N_abs" || n == "F_em";
  });
  r.series = c.reference_file.empty() ? solve_exact(c.model, c.grid, exact)
                                      : from_file(c.reference_file, c.grid);
  r.peaks = peak_summary(r.series, c.grid);
  return r;
}

void Tally::add(double estimate, double error, double exact, double accuracy) {
  if (std::isnan(exact)) return;  // undefined in both (W_B_sym of a thermal battery, ...)
  if (std::isnan(estimate) || std::isnan(error)) {
    ++flagged;
    return;
  }
  ++checked;
  sum_error += error, sum_value += estimate, sum_value2 += estimate * estimate;
  const double diff = estimate - exact;
  covered += std::fabs(diff) <= 2 * error + accuracy;
  if (error > 0) {
    sum_z += std::max(-10.0, std::min(10.0, diff / error));  // a few 1e-15/1e-30 cells
    ++z_count;
  }
}

void score(const EnsembleResult& run, const Reference& exact, double accuracy, CaseTally& tally) {
  for (const Column& e : exact.series.columns) {
    if (!run.series.has(e.name)) continue;
    const Column& s = run.series.column(e.name);
    std::vector<Tally>& t = tally[e.name];
    t.resize(e.value.size());
    for (std::size_t g = 0; g < e.value.size(); ++g)
      t[g].add(s.value[g], s.error[g], e.value[g], accuracy);
  }
  const std::pair<const char*, Estimate PeakSummary::*> features[] = {
      {"peak:P_B_max", &PeakSummary::power_max},
      {"peak:P_B_max_time", &PeakSummary::power_max_time},
      {"peak:dS_B_dt_max", &PeakSummary::entanglement_rate_max},
      {"peak:dS_B_dt_max_time", &PeakSummary::entanglement_rate_max_time},
      {"peak:lag", &PeakSummary::lag}};
  for (const auto& [name, field] : features) {
    std::vector<Tally>& t = tally[name];
    t.resize(1);
    t[0].add((run.peaks.*field).value, (run.peaks.*field).error, (exact.peaks.*field).value,
             accuracy);
  }
}

}  // namespace darkcharge::coverage
