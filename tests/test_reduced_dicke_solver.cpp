// The reduced Dicke-basis solver with local noise (exact/reduced_dicke_solver.hpp) against
// (1) the full 2^N Lindblad solver of dense_lindblad.hpp, written independently, in every
// column they share; (2) the reference curves of tests/data/reference (an independent reduced
// solver, see its README); (3) the collective-only exact solvers when every local rate is 0.
#include <cmath>
#include <cstdio>
#include <ostream>
#include <string>

#include <gtest/gtest.h>
#include <omp.h>

#include "darkcharge/exact/coupled_exact_solver.hpp"
#include "darkcharge/estimate/curve_features.hpp"
#include "darkcharge/core/errors.hpp"
#include "darkcharge/exact/reduced_dicke_solver.hpp"
#include "darkcharge/exact/exact_solver.hpp"
#include "dense_lindblad.hpp"
#include "reference_data.hpp"

namespace darkcharge {
namespace {

using testing::DenseCase;
using testing::DenseLindblad;

/// |a - b| <= tolerance max(1, |b|): currents like I_em are O(N^2), energies O(1).
double deviation(double a, double b) { return std::fabs(a - b) / std::max(1.0, std::fabs(b)); }

struct LocalCase {
  std::string name;
  DenseCase dense;
};

/// gtest prints a parameter through PrintTo when there is one (ctest's test list shows it);
/// without it, the raw bytes of the struct.
void PrintTo(const LocalCase& c, std::ostream* os) { *os << c.name; }

Model model_of(const DenseCase& c) {
  Model m;
  m.n_battery = c.n_battery;
  m.n_charger = c.n_charger;
  m.gamma = c.gamma;
  m.nbar = c.nbar;
  m.battery_init = c.thermal_battery ? BatteryInit::thermal : BatteryInit::ground;
  return m;
}

LocalNoise noise_of(const DenseCase& c) {
  LocalNoise n;
  n.charger = {c.charger.decay, c.charger.pumping, c.charger.dephasing};
  n.battery = {c.battery.decay, c.battery.pumping, c.battery.dephasing};
  return n;
}

class ReducedVsDense : public ::testing::TestWithParam<LocalCase> {};

TEST_P(ReducedVsDense, EveryColumnAgreesToOneInTenToTheEight) {
  const DenseCase& c = GetParam().dense;
  const TimeGrid grid{0.6, 7};
  const TimeSeries reduced = solve_exact_local(model_of(c), noise_of(c), grid);
  const DenseLindblad dense(c);
  auto rho = dense.initial();
  std::vector<std::map<std::string, double>> expected;
  for (int g = 0; g < grid.points; ++g) {
    if (g > 0) rho = dense.propagate(rho, grid.step());
    expected.push_back(dense.observe(rho));
  }
  std::vector<double> s_b;
  for (const auto& e : expected) s_b.push_back(e.at("S_B"));
  const std::vector<double> ds_b = time_derivative(s_b, grid);
  double worst = 0;
  std::string worst_name;
  int compared = 0;
  for (const Column& column : reduced.columns) {
    const bool known = expected[0].count(column.name) > 0 || column.name == "dS_B_dt";
    if (!known) continue;
    ++compared;
    for (int g = 0; g < grid.points; ++g) {
      const double want = column.name == "dS_B_dt" ? ds_b[g] : expected[g].at(column.name);
      const double d = deviation(column.value[g], want);
      if (d > worst) worst = d, worst_name = column.name;
      EXPECT_LE(d, 1e-8) << column.name << " at t = " << reduced.time[g] << ": " << column.value[g]
                         << " vs dense " << want;
    }
  }
  // Every column except W_B_sym (only defined in j_B = N_B/2) has a dense counterpart.
  EXPECT_EQ(compared + 1, static_cast<int>(reduced.columns.size()));
  std::printf("%s: %d columns, max deviation %.3g (%s)\n", GetParam().name.c_str(), compared, worst,
              worst_name.c_str());
}

DenseCase make(int nb, int nc, double nbar, bool thermal, testing::DenseRates charger,
               testing::DenseRates battery) {
  DenseCase c;
  c.n_battery = nb;
  c.n_charger = nc;
  c.nbar = nbar;
  c.thermal_battery = thermal;
  c.charger = charger;
  c.battery = battery;
  return c;
}

INSTANTIATE_TEST_SUITE_P(
    LocalNoise, ReducedVsDense,
    ::testing::Values(
        LocalCase{"nbar0_decay_dephasing", make(2, 3, 0.0, false, {0.2, 0, 0.4}, {0.3, 0, 0.4})},
        LocalCase{"nbar_pumping", make(2, 4, 0.5, false, {0.1, 0.1, 0}, {0.2, 0.1, 0})},
        LocalCase{"battery_only", make(3, 3, 0.3, false, {0, 0, 0}, {0.2, 0.05, 0.3})},
        LocalCase{"unequal_rates", make(2, 5, 0.2, false, {0.05, 0.02, 0.1}, {0.3, 0, 0.5})},
        LocalCase{"thermal_battery", make(3, 4, 0.4, true, {0.1, 0.05, 0.2}, {0.15, 0.1, 0.3})},
        LocalCase{"thermal_charger_only", make(2, 3, 1.0, true, {0.3, 0.1, 0.2}, {0, 0, 0})},
        LocalCase{"dephasing_only_even", make(4, 3, 0.0, false, {0, 0, 0.3}, {0, 0, 0.6})}),
    [](const auto& info) { return info.param.name; });

/// Compares every column of `file` with the reduced solver on the file's own grid.
void compare_with_reference(const std::string& file, const Model& model, const LocalNoise& noise) {
  const auto ref = testing::load_reference("reference/" + file);
  const int points = static_cast<int>(ref.time.size());
  const TimeGrid grid{ref.time.back(), points};
  for (int g = 0; g < points; ++g) ASSERT_NEAR(grid.time(g), ref.time[g], 1e-12);
  const TimeSeries s = solve_exact_local(model, noise, grid);
  for (const auto& [name, values] : ref.column) {
    double worst = 0;
    for (int g = 0; g < points; ++g) {
      double mine;
      if (name == "trace") {
        mine = 0;
        for (const Column& c : s.columns)
          if (c.name.rfind("jB=", 0) == 0) mine += c.value[g];
      } else {
        mine = s.column(name).value[g];
      }
      const double d = deviation(mine, values[g]);
      worst = std::max(worst, d);
      EXPECT_LE(d, 1e-8) << file << " " << name << " at t = " << ref.time[g] << ": " << mine
                         << " vs reference " << values[g];
    }
    std::printf("%s %s: max deviation %.3g\n", file.c_str(), name.c_str(), worst);
  }
}

TEST(ReducedDickeSolver, MatchesReferenceNb3Nc12Nbar0) {
  // Parameters from the file's first line.
  Model model;
  model.n_battery = 3;
  model.n_charger = 12;
  model.nbar = 0.0;
  model.battery_init = BatteryInit::ground;
  LocalNoise noise;
  noise.charger = {0.1, 0.0, 0.0};
  noise.battery = {0.3, 0.0, 0.5};
  compare_with_reference("local_nb3_nc12_nbar0.0.csv", model, noise);
}

TEST(ReducedDickeSolver, MatchesReferenceNb4Nc8Nbar03) {
  Model model;
  model.n_battery = 4;
  model.n_charger = 8;
  model.nbar = 0.3;
  model.battery_init = BatteryInit::ground;
  LocalNoise noise;
  noise.charger = {0.05, 0.02, 0.2};
  noise.battery = {0.05, 0.02, 0.2};
  compare_with_reference("local_nb4_nc8_nbar0.3.csv", model, noise);
}

/// All local rates 0: the collective-only solvers' columns, every one.
void compare_with_collective(const Model& model, const TimeGrid& grid, const TimeSeries& other,
                             const char* label) {
  const TimeSeries mine = solve_exact_local(model, LocalNoise{}, grid);
  double worst = 0;
  for (const Column& c : other.columns) {
    if (!mine.has(c.name)) {
      ADD_FAILURE() << "column " << c.name << " missing";
      continue;
    }
    const Column& m = mine.column(c.name);
    for (int g = 0; g < grid.points; ++g) {
      if (std::isnan(c.value[g])) {
        EXPECT_TRUE(std::isnan(m.value[g])) << c.name << " at " << grid.time(g);
        continue;
      }
      const double d = deviation(m.value[g], c.value[g]);
      worst = std::max(worst, d);
      EXPECT_LE(d, 1e-8) << label << " " << c.name << " at t = " << grid.time(g) << ": "
                         << m.value[g] << " vs " << c.value[g];
    }
  }
  std::printf("%s: max deviation %.3g\n", label, worst);
}

TEST(ReducedDickeSolver, WithoutLocalNoiseReproducesTheCollectiveSolvers) {
  const TimeGrid grid{1.0, 11};
  Model ground;
  ground.n_battery = 3;
  ground.n_charger = 8;
  ground.nbar = 0.0;
  ground.battery_init = BatteryInit::ground;
  compare_with_collective(ground, grid, solve_exact_coupled(ground, grid), "ground nbar=0 vs coupled");
  Model thermal;
  thermal.n_battery = 4;
  thermal.n_charger = 5;
  thermal.nbar = 0.4;
  thermal.battery_init = BatteryInit::thermal;
  compare_with_collective(thermal, grid, solve_exact_coupled(thermal, grid), "thermal nbar=0.4 vs coupled");
  Model small = thermal;
  small.n_battery = 2;
  small.n_charger = 4;
  ExactOptions product;
  compare_with_collective(small, grid, solve_exact(small, grid, product), "thermal nbar=0.4 vs product basis");
}

TEST(ReducedDickeSolver, PowerIsTheDerivativeOfTheBatteryEnergy) {
  // P_B comes from the generator (adjoint applied to J_B^z, local terms included); compare it
  // with central differences of E_B on a fine grid (truncation error ~ h^2 E_B''' ~ 1e-9).
  Model model;
  model.n_battery = 3;
  model.n_charger = 5;
  model.nbar = 0.3;
  model.battery_init = BatteryInit::thermal;
  LocalNoise noise;
  noise.charger = {0.2, 0.1, 0.3};
  noise.battery = {0.4, 0.2, 0.5};
  const double h = 1e-4;
  const TimeGrid grid{0.4, 4001};
  const TimeSeries s = solve_exact_local(model, noise, grid);
  const auto& e = s.column("E_B").value;
  const auto& p = s.column("P_B").value;
  double worst = 0;
  for (int g = 1; g + 1 < grid.points; g += 200) {
    const double fd = (e[g + 1] - e[g - 1]) / (2 * h);
    worst = std::max(worst, std::fabs(fd - p[g]));
    EXPECT_NEAR(fd, p[g], 1e-6) << "t = " << grid.time(g);
  }
  std::printf("P_B vs finite differences of E_B: max deviation %.3g\n", worst);
}

TEST(ReducedDickeSolver, RefusesTooExpensiveRunsBeforeWorking) {
  Model model;
  model.n_battery = 20;
  model.n_charger = 60;
  LocalNoise noise;
  noise.battery.decay = 0.1;
  ReducedDickeOptions options;
  options.max_memory_gib = 1e-6;
  try {
    solve_exact_local(model, noise, TimeGrid{1.0, 11}, options);
    FAIL() << "not refused";
  } catch (const InvalidArgument& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("max_memory_gib"), std::string::npos) << what;
    EXPECT_NE(what.find("N_B = 20"), std::string::npos) << what;
  }
  options = {};
  options.max_seconds = 1e-6;
  EXPECT_THROW(solve_exact_local(model, noise, TimeGrid{1.0, 11}, options), InvalidArgument);
  noise.battery.decay = -1;
  EXPECT_THROW(solve_exact_local(model, noise, TimeGrid{1.0, 11}), InvalidArgument);
}

TEST(ReducedDickeSolver, OneAndTwoThreadsGiveIdenticalNumbers) {
  // Large enough (3e4 packed numbers) that the generator product and Gram-Schmidt run in
  // parallel; partial sums are added in fixed row chunks, so the result is bit for bit the same.
  Model model;
  model.n_battery = 10;
  model.n_charger = 30;
  model.nbar = 0.2;
  model.battery_init = BatteryInit::ground;
  LocalNoise noise;
  noise.charger = noise.battery = {0.05, 0.01, 0.1};
  const TimeGrid grid{0.02, 3};
  const int threads = omp_get_max_threads();
  omp_set_num_threads(1);
  const TimeSeries one = solve_exact_local(model, noise, grid);
  omp_set_num_threads(2);
  const TimeSeries two = solve_exact_local(model, noise, grid);
  omp_set_num_threads(threads);
  ASSERT_EQ(one.columns.size(), two.columns.size());
  for (std::size_t c = 0; c < one.columns.size(); ++c)
    for (int g = 0; g < grid.points; ++g) {
      const double a = one.columns[c].value[g], b = two.columns[c].value[g];
      // W_B_sym is NaN (undefined) once weight leaves j_B = N_B/2, in both runs alike.
      EXPECT_TRUE(a == b || (std::isnan(a) && std::isnan(b))) << one.columns[c].name << " at " << g << ": " << a << " vs " << b;
    }
}

TEST(ReducedDickeSolver, StopFlagInterrupts) {
  Model model;
  model.n_battery = 2;
  model.n_charger = 4;
  std::atomic<bool> stop{true};
  ReducedDickeOptions options;
  options.stop = &stop;
  LocalNoise noise;
  noise.charger.dephasing = 0.1;
  EXPECT_THROW(solve_exact_local(model, noise, TimeGrid{1.0, 3}, options), Interrupted);
}

TEST(ReducedDickeSolver, ColumnsListAndRefusals) {
  Model model;
  model.n_battery = 3;
  const auto names = reduced_dicke_columns(model, LocalNoise{});
  EXPECT_NE(std::find(names.begin(), names.end(), "jB=1.5"), names.end());
  EXPECT_NE(std::find(names.begin(), names.end(), "jB=0.5"), names.end());
  EXPECT_NO_THROW(validate_reduced_dicke_columns(model, LocalNoise{}, {"E_B", "I_loc_em_B", "jB=0.5"}));
  for (const char* name : {"N_em", "N_abs", "F_em"}) {
    try {
      validate_reduced_dicke_columns(model, LocalNoise{}, {name});
      FAIL() << name << " accepted";
    } catch (const InvalidArgument& e) {
      EXPECT_NE(std::string(e.what()).find(name), std::string::npos);
    }
  }
  const TimeSeries s = solve_exact_local(model, LocalNoise{}, TimeGrid{0.2, 3});
  ASSERT_EQ(s.columns.size(), names.size());
  for (std::size_t i = 0; i < names.size(); ++i) {
    EXPECT_EQ(s.columns[i].name, names[i]);
    EXPECT_EQ(s.columns[i].error_method, "exact");
  }
}

TEST(ReducedDickeSteadyState, ZeroTemperatureDecayEmptiesTheBattery) {
  Model model;
  model.n_battery = 3;
  model.n_charger = 6;
  model.nbar = 0.0;
  model.battery_init = BatteryInit::ground;
  LocalNoise noise;
  noise.charger.decay = 0.1;
  noise.battery = {0.2, 0.0, 0.3};
  const TimeSeries s = solve_steady_local(model, noise);
  EXPECT_NEAR(s.column("E_B").value[0], 0.0, 1e-10);
  EXPECT_NEAR(s.column("E_C").value[0], 0.0, 1e-10);
  EXPECT_NEAR(s.column("W_B").value[0], 0.0, 1e-10);
  EXPECT_NEAR(s.column("dark").value[0], 0.0, 1e-10);
}

TEST(ReducedDickeSteadyState, WithPumpingMatchesTheDenseNullSpace) {
  DenseCase c = make(2, 3, 0.3, true, {0.2, 0.1, 0.2}, {0.1, 0.3, 0.4});
  const TimeSeries s = solve_steady_local(model_of(c), noise_of(c));
  const DenseLindblad dense(c);
  const auto expected = dense.observe(dense.steady());
  double worst = 0;
  for (const auto& [name, want] : expected) {
    if (name == "P_B") continue;
    const double d = deviation(s.column(name).value[0], want);
    worst = std::max(worst, d);
    EXPECT_LE(d, 1e-8) << name << ": " << s.column(name).value[0] << " vs dense " << want;
  }
  EXPECT_NEAR(s.column("P_B").value[0], 0.0, 1e-12);
  EXPECT_NEAR(expected.at("P_B"), 0.0, 1e-9);
  std::printf("steady state vs dense null space: max deviation %.3g\n", worst);
}

TEST(ReducedDickeSteadyState, RefusesNonUniqueCases) {
  Model model;
  model.n_battery = 2;
  model.n_charger = 3;
  model.battery_init = BatteryInit::ground;
  LocalNoise noise;
  noise.battery.dephasing = 0.3;
  EXPECT_THROW(solve_steady_local(model, noise), InvalidArgument);
}

}  // namespace
}  // namespace darkcharge
