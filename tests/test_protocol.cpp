// Protocols (physics/protocol.hpp) and their exact runs (solve_exact_protocol): the parser's
// rules and refusals; segments that all equal the model give today's numbers; segments with
// the reservoir on the battery or the charger alone, and the charge-pulse-store protocol,
// against the independent 2^N Lindblad solver of dense_lindblad.hpp (switch_to() at each
// boundary); the charger's superradiant cascade at N_C = 200 against a birth-death chain
// written here. Every comparison is exact vs exact (deterministic).
#include <algorithm>
#include <cmath>
#include <functional>
#include <cstdio>
#include <cstring>
#include <map>
#include <string>

#include <gtest/gtest.h>
#include <malloc.h>

#include "darkcharge/core/errors.hpp"
#include "darkcharge/ensemble/plan.hpp"
#include "darkcharge/estimate/curve_features.hpp"
#include "darkcharge/exact/coupled_exact_solver.hpp"
#include "darkcharge/exact/exact_solver.hpp"
#include "darkcharge/exact/reduced_dicke_solver.hpp"
#include "darkcharge/physics/protocol.hpp"
#include "dense_lindblad.hpp"

namespace darkcharge {
namespace {

using testing::DenseCase;
using testing::DenseLindblad;

/// Tight integrator tolerances: the comparisons below are at 1e-10 and 1e-12.
ReducedDickeOptions tight() {
  ReducedDickeOptions o;
  o.relative_tolerance = 1e-14;
  o.absolute_tolerance = 1e-16;
  return o;
}

/// |a - b| / max(1, |b|); 0 when both are NaN (W_B_sym where the battery left j_B = N_B/2).
double deviation(double a, double b) {
  if (std::isnan(a) && std::isnan(b)) return 0;
  return std::fabs(a - b) / std::max(1.0, std::fabs(b));
}

/// Bitwise equal, NaN included.
bool identical(const std::vector<double>& a, const std::vector<double>& b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](double x, double y) {
           return std::memcmp(&x, &y, sizeof x) == 0;
         });
}

Model small_model() {
  Model m;
  m.n_battery = 2;
  m.n_charger = 3;
  m.nbar = 0.3;
  m.battery_init = BatteryInit::thermal;
  m.local.charger = {0.1, 0.05, 0.2};
  m.local.battery = {0.15, 0.0, 0.3};
  return m;
}

/// The dense reference's description of one segment's model.
DenseCase dense_case(const Model& m, bool thermal_battery) {
  DenseCase c;
  c.n_battery = m.n_battery;
  c.n_charger = m.n_charger;
  c.gamma = m.gamma;
  c.nbar = m.nbar;
  c.thermal_battery = thermal_battery;
  c.charger = {m.local.charger.decay, m.local.charger.pumping, m.local.charger.dephasing};
  c.battery = {m.local.battery.decay, m.local.battery.pumping, m.local.battery.dephasing};
  c.reservoir = to_string(m.reservoir);
  return c;
}

/// Every column the dense solver shares, at every output time, within `tolerance` (relative
/// to max(1, |value|)): the dense state is propagated between consecutive output times and
/// switched to the next segment's Lindbladian at each boundary, before that time's row (the
/// rows at a boundary belong to the segment starting there).
void compare_with_dense(const Protocol& protocol, const TimeGrid& grid, double tolerance) {
  // The dense reference allocates and frees 64 KiB temporaries at every derivative; glibc
  // returned the heap top to the kernel each time (brk per call: 5x the CPU time in wall
  // time on a loaded machine). Keep freed memory instead.
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
  const TimeSeries reduced = solve_exact_protocol(protocol, grid, tight());
  const bool thermal = protocol.segments[0].model.battery_init == BatteryInit::thermal;
  DenseLindblad dense(dense_case(protocol.segments[0].model, thermal));
  auto rho = dense.initial();
  std::vector<std::map<std::string, double>> expected;
  std::size_t segment = 0;
  for (int g = 0; g < grid.points; ++g) {
    if (g > 0) rho = dense.propagate(rho, grid.time(g) - grid.time(g - 1));
    while (segment + 1 < protocol.segments.size() && grid.time(g) >= protocol.segments[segment + 1].start) {
      ++segment;
      dense.switch_to(dense_case(protocol.segments[segment].model, thermal));
    }
    expected.push_back(dense.observe(rho));
  }
  std::vector<double> s_b;
  for (const auto& e : expected) s_b.push_back(e.at("S_B"));
  const std::vector<double> ds_b = time_derivative(s_b, grid);
  ASSERT_EQ(static_cast<int>(reduced.time.size()), grid.points);
  double worst = 0;
  std::string worst_name;
  int compared = 0;
  for (const Column& column : reduced.columns) {
    if (expected[0].count(column.name) == 0 && column.name != "dS_B_dt") continue;
    ++compared;
    for (int g = 0; g < grid.points; ++g) {
      EXPECT_EQ(reduced.time[g], grid.time(g));
      const double want = column.name == "dS_B_dt" ? ds_b[g] : expected[g].at(column.name);
      const double d = deviation(column.value[g], want);
      if (d > worst) worst = d, worst_name = column.name;
      EXPECT_LE(d, tolerance) << column.name << " at t = " << reduced.time[g] << ": "
                              << column.value[g] << " vs dense " << want;
    }
  }
  EXPECT_EQ(compared + 1, static_cast<int>(reduced.columns.size()));  // all but W_B_sym
  std::printf("%d segments, %d columns, %d times: max deviation %.3g (%s)\n",
              static_cast<int>(protocol.segments.size()), compared, grid.points, worst, worst_name.c_str());
}

TEST(Protocol, KeysLeftOutTakeTheBaseModelsValues) {
  const Model base = small_model();
  const Protocol p = parse_protocol(
      R"([{"duration": 4, "nbar": 0.7, "gamma": 2},
          {"duration": 0.05, "local_dephasing": 100, "charger_dephasing": 1},
          {"duration": 10, "reservoir": "battery", "battery_decay": 0.01, "temperature": 1}])",
      base, "test");
  ASSERT_EQ(p.segments.size(), 3u);
  EXPECT_EQ(p.segments[0].model.nbar, 0.7);
  EXPECT_EQ(p.segments[0].model.gamma, 2.0);
  // Segment 2 leaves nbar and gamma out: the base's, not segment 1's.
  EXPECT_EQ(p.segments[1].model.nbar, base.nbar);
  EXPECT_EQ(p.segments[1].model.gamma, base.gamma);
  EXPECT_EQ(p.segments[1].model.local.battery.dephasing, 100.0);  // local_* on both...
  EXPECT_EQ(p.segments[1].model.local.charger.dephasing, 1.0);    // ...charger_* overrides it
  EXPECT_EQ(p.segments[1].model.local.battery.decay, base.local.battery.decay);
  EXPECT_EQ(p.segments[2].model.reservoir, ReservoirCoupling::battery);
  EXPECT_EQ(p.segments[2].model.local.battery.decay, 0.01);
  EXPECT_EQ(p.segments[2].model.local.battery.dephasing, base.local.battery.dephasing);
  EXPECT_DOUBLE_EQ(p.segments[2].model.nbar, 1.0 / std::expm1(1.0));  // nbar_from_temperature(1)
  EXPECT_EQ(p.segments[0].model.reservoir, ReservoirCoupling::both);
  EXPECT_EQ(p.boundaries(), (std::vector<double>{0, 4, 4.05, 14.05}));
  EXPECT_EQ(p.total_duration(), 14.05);
  EXPECT_FALSE(is_plain_model(p));
  EXPECT_TRUE(is_plain_model(parse_protocol(R"([{"duration": 1}])", base)));
  const std::string json = protocol_json(p);
  EXPECT_NE(json.find(R"("reservoir":"battery")"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("start":4.05)"), std::string::npos) << json;
}

TEST(Protocol, BadInputNamesTheSourceTheSegmentAndTheKey) {
  const Model base = small_model();
  const std::pair<const char*, std::vector<std::string>> cases[] = {
      {"[{\"duration\": 1}", {"src", "not valid JSON"}},
      {"{\"duration\": 1}", {"src", "expected a list"}},
      {"[]", {"src", "empty list"}},
      {"[1]", {"src", "segment 1", "expected an object"}},
      {R"([{"duration": 1}, {"duration": 1, "nbr": 1}])", {"src", "segment 2", "'nbr'", "unknown key"}},
      {R"([{"nbar": 1}])", {"segment 1", "'duration'", "missing"}},
      {R"([{"duration": 0}])", {"segment 1", "'duration'", "> 0"}},
      {R"([{"duration": -1}])", {"segment 1", "'duration'"}},
      {R"([{"duration": NaN}])", {"src", "not valid JSON"}},
      {R"([{"duration": "NaN"}])", {"src", "segment 1", "'duration'", "finite"}},
      {R"([{"duration": 1e999}])", {"src", "not valid JSON", "overflow"}},
      {R"([{"duration": "1"}])", {"segment 1", "'duration'", "expected a number"}},
      {R"([{"duration": true}])", {"segment 1", "'duration'", "expected a number"}},
      {R"([{"duration": 1}, {"duration": 1, "nbar": 1, "temperature": 1}])", {"segment 2", "not both"}},
      {R"([{"duration": 1, "battery_decay": -0.1}])", {"segment 1", "'battery_decay'", ">= 0"}},
      {R"([{"duration": 1, "local_pumping": -1}])", {"segment 1", "'local_pumping'"}},
      {R"([{"duration": 1, "gamma": 0}])", {"segment 1", "'gamma'", "> 0"}},
      {R"([{"duration": 1, "reservoir": "charger only"}])", {"segment 1", "'reservoir'", "charger only"}},
      {R"([{"duration": 1, "reservoir": 2}])", {"segment 1", "'reservoir'"}},
  };
  for (const auto& [text, needles] : cases) {
    try {
      parse_protocol(text, base, "src");
      ADD_FAILURE() << "accepted " << text;
    } catch (const InvalidArgument& e) {
      const std::string what = e.what();
      EXPECT_EQ(what.rfind("src: ", 0), 0u) << what;
      for (const std::string& needle : needles)
        EXPECT_NE(what.find(needle), std::string::npos) << text << " -> " << what << " lacks " << needle;
    }
  }
}

TEST(Protocol, BoundariesAreOutputTimes) {
  const Protocol p = parse_protocol(R"([{"duration": 0.3}, {"duration": 0.25}, {"duration": 0.45}])",
                                    small_model());
  const TimeGrid g = protocol_time_grid(p, 11);  // 0, 0.1, ..., 1 and 0.55
  ASSERT_EQ(g.points, 12);
  EXPECT_EQ(g.t_max, 1.0);
  EXPECT_EQ(g.time(3), 0.3);  // 3 x 0.1 is 0.30000000000000004: the boundary replaces it
  EXPECT_EQ(g.time(6), 0.55);
  EXPECT_NO_THROW(check_protocol_grid(p, g));
  EXPECT_THROW(check_protocol_grid(p, TimeGrid{1.0, 11}), InvalidArgument);
  const TimeGrid e = protocol_time_grid(p, std::vector<double>{0, 0.01, 0.9});
  EXPECT_EQ(e.times, (std::vector<double>{0, 0.01, 0.3, 0.55, 0.9, 1.0}));
  EXPECT_THROW(protocol_time_grid(p, std::vector<double>{0, 2}), InvalidArgument);
  // One segment: the equally spaced grid itself.
  const Protocol one = parse_protocol(R"([{"duration": 2}])", small_model());
  const TimeGrid o = protocol_time_grid(one, 201);
  EXPECT_TRUE(o.equally_spaced());
  EXPECT_EQ(o.t_max, 2.0);
  EXPECT_EQ(o.points, 201);
}

TEST(ProtocolSolver, OneSegmentIsTodaysRunByteForByte) {
  const Model m = small_model();
  const Protocol p = parse_protocol(R"([{"duration": 0.8}])", m);
  const TimeGrid grid = protocol_time_grid(p, 9);
  const TimeSeries today = solve_exact_local(m, m.local, grid);
  const TimeSeries mine = solve_exact_protocol(p, grid);
  ASSERT_EQ(today.columns.size(), mine.columns.size());
  EXPECT_EQ(today.time, mine.time);
  for (std::size_t c = 0; c < today.columns.size(); ++c) {
    EXPECT_EQ(today.columns[c].name, mine.columns[c].name);
    EXPECT_TRUE(identical(today.columns[c].value, mine.columns[c].value)) << today.columns[c].name;
  }
}

TEST(ProtocolSolver, EqualSegmentsGiveTodaysNumbers) {
  // Three segments that all equal the model: only the integrator's restarts at 0.3 and 0.55
  // differ from one run over [0, 1] (both at tolerance 1e-14).
  const Model m = small_model();
  const Protocol p = parse_protocol(R"([{"duration": 0.3}, {"duration": 0.25}, {"duration": 0.45}])", m);
  const TimeGrid grid = protocol_time_grid(p, 11);
  const TimeSeries today = solve_exact_local(m, m.local, grid, tight());
  const TimeSeries mine = solve_exact_protocol(p, grid, tight());
  ASSERT_EQ(today.columns.size(), mine.columns.size());
  double worst = 0;
  for (std::size_t c = 0; c < today.columns.size(); ++c)
    for (int g = 0; g < grid.points; ++g) {
      const double d = deviation(mine.columns[c].value[g], today.columns[c].value[g]);
      worst = std::max(worst, d);
      EXPECT_LE(d, 1e-12) << today.columns[c].name << " at t = " << grid.time(g);
    }
  std::printf("equal segments vs one run: max deviation %.3g\n", worst);
}

TEST(ProtocolSolver, BatteryAndChargerReservoirsMatchTheDenseReference) {
  // Shared reservoir, then the charger disconnected (J_B^-+ alone, nbar 0.3), then the
  // battery disconnected at another nbar and gamma, then no reservoir with local noise.
  const Protocol p = parse_protocol(
      R"([{"duration": 0.3}, {"duration": 0.4, "reservoir": "battery"},
          {"duration": 0.3, "reservoir": "charger", "nbar": 0.1, "gamma": 1.5},
          {"duration": 0.2, "reservoir": "none", "battery_pumping": 0.2}])",
      small_model());
  compare_with_dense(p, protocol_time_grid(p, 13), 1e-10);
}

TEST(ProtocolSolver, BatteryReservoirAloneAtZeroTemperatureMatchesTheDenseReference) {
  Model m;
  m.n_battery = 3;
  m.n_charger = 2;
  m.nbar = 0;
  m.battery_init = BatteryInit::ground;
  // Charge through the shared reservoir, then the battery alone (it superradiates).
  const Protocol p = parse_protocol(R"([{"duration": 0.4}, {"duration": 0.6, "reservoir": "battery"}])", m);
  compare_with_dense(p, protocol_time_grid(p, 11), 1e-10);
}

TEST(ProtocolSolver, ChargePulseStoreMatchesTheDenseReference) {
  // The paper's proposal (Sec. VII): charge, a strong dephasing pulse on the battery, then
  // disconnect the charger and store; N_B = 2, N_C = 4 with local rates throughout.
  Model m;
  m.n_battery = 2;
  m.n_charger = 4;
  m.nbar = 0.2;
  m.battery_init = BatteryInit::thermal;
  m.local.charger = {0.05, 0.0, 0.1};
  m.local.battery = {0.02, 0.01, 0.05};
  const Protocol p = parse_protocol(
      R"([{"duration": 0.5}, {"duration": 0.05, "battery_dephasing": 20},
          {"duration": 0.5, "reservoir": "battery", "battery_decay": 0.1}])",
      m);
  compare_with_dense(p, protocol_time_grid(p, 11), 1e-10);
}

TEST(ProtocolSolver, ChargerAloneFollowsItsSuperradiantCascade) {
  // The reservoir on the charger alone at nbar = 0: from |j, j>, j = N_C/2, the charger's
  // m falls through a birth-death chain with rates 2 gamma (j + m)(j - m + 1) (physics.md:
  // K = sqrt(2 gamma) J_C^-), while the battery (ground) is untouched. The chain is
  // integrated here by RK4 with step 0.002 / (largest rate).
  Model m;
  m.n_battery = 1;
  m.n_charger = 200;
  m.nbar = 0;
  m.battery_init = BatteryInit::ground;
  const Protocol p = parse_protocol(R"([{"duration": 0.04, "reservoir": "charger"}])", m);
  ASSERT_FALSE(is_plain_model(p));
  const TimeGrid grid = protocol_time_grid(p, 9);
  const TimeSeries s = solve_exact_protocol(p, grid, tight());

  const double j = 100;
  const int levels = 201;  // index i: m = j - i
  std::vector<double> rate(levels);
  for (int i = 0; i < levels; ++i) rate[i] = 2 * m.gamma * (j + (j - i)) * (j - (j - i) + 1);
  const double largest = *std::max_element(rate.begin(), rate.end());
  auto derivative = [&](const std::vector<double>& x) {
    std::vector<double> d(levels);
    for (int i = 0; i < levels; ++i) d[i] = -rate[i] * x[i] + (i > 0 ? rate[i - 1] * x[i - 1] : 0.0);
    return d;
  };
  std::vector<double> x(levels, 0.0);
  x[0] = 1;
  double t = 0;
  for (int g = 0; g < grid.points; ++g) {
    const double target = grid.time(g);
    while (t < target) {
      const double h = std::min(0.002 / largest, target - t);
      auto axpy = [&](const std::vector<double>& a, double c, const std::vector<double>& b) {
        std::vector<double> r(levels);
        for (int i = 0; i < levels; ++i) r[i] = a[i] + c * b[i];
        return r;
      };
      const auto k1 = derivative(x), k2 = derivative(axpy(x, h / 2, k1)),
                 k3 = derivative(axpy(x, h / 2, k2)), k4 = derivative(axpy(x, h, k3));
      for (int i = 0; i < levels; ++i) x[i] += h / 6 * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]);
      t += h;
    }
    double jz = 0;
    for (int i = 0; i < levels; ++i) jz += (j - i) * x[i];
    const double e_c = jz / m.n_charger + 0.5;
    EXPECT_NEAR(s.column("E_C").value[g], e_c, 1e-9) << "t = " << target;
    EXPECT_NEAR(s.column("E_B").value[g], 0.0, 1e-12) << "t = " << target;  // trace rounding
    if (g == grid.points / 2) std::printf("t = %g: E_C = %.12f (chain %.12f)\n", target, s.column("E_C").value[g], e_c);
  }
  // The burst (t ~ ln(N_C) / (2 gamma N_C) = 0.013) is resolved and over by t = 0.04.
  EXPECT_LT(s.column("E_C").value.back(), 0.2);
}

TEST(ProtocolSolver, OtherEnginesRefuseAReservoirOnOneEnsemble) {
  Model m;
  m.n_battery = 2;
  m.n_charger = 4;
  m.reservoir = ReservoirCoupling::battery;
  const TimeGrid grid{1.0, 11};
  for (auto run : std::initializer_list<std::function<void()>>{
           [&] { solve_exact_coupled(m, grid); },
           [&] { solve_exact(m, grid); },
           [&] { plan_ensemble(m, grid, EnsembleOptions{}); },
       }) {
    try {
      run();
      ADD_FAILURE() << "accepted reservoir = battery";
    } catch (const InvalidArgument& e) {
      EXPECT_NE(std::string(e.what()).find("'battery'"), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace darkcharge
