// Local-noise quantum trajectories (run/local_trajectory.hpp, ensemble LocalNoiseSampler)
// against the exact reduced Dicke-basis solver (solve_exact_local), column by column.
// Tolerance: |z| <= 4 per (column, time) with z = (trajectory - exact) / standard error;
// the standard error comes from 100 block means (Student t with 99 degrees of freedom), so
// a correct engine fails one check with probability 1.2e-4 (sigma_B: jackknife, similar);
// a test makes 165-236 checks, strongly correlated (E_B, W_open and I_loc_em_B are one
// number; neighbouring times share trajectories), so its false-failure rate is below the
// union bound 236 x 1.2e-4 = 2.9%. Seeds are fixed, so each test is deterministic.
// Coverage (DARKCHARGE_LOCAL_COVERAGE=1, 100 seeds each; every default column, S_B and
// dS_B_dt included): |z| <= 2 for 0.953 (G diagonal) and 0.958 (G not diagonal) of the
// z-scores against 0.949 expected, mean z -0.026, -0.017; the N_B = 10, N_C = 40 panel case,
// per column, 0.933-1.000 pooled, >= 0.88 at every time, mean z within +-0.12 (table in
// docs/local-noise.md; S_B, dS_B_dt also in tests/test_local_entanglement.cpp).
// W_B (ErgotropyCoverage, 100 seeds x 15 or 16 times, n = 500 in 50 blocks): |z| <= 2 pooled
// 0.997 (N_B = 2), 0.962 (N_B = 4, pumping), 0.975 (battery dephasing), 0.961 (thermal
// battery), 0.963 (charger noise; W_B_sym there 0.999), >= 0.92 at every time, mean z -0.19
// to +0.02; at n = 100 (20 blocks) 0.980-1.000, at n = 2000 (50 blocks) 0.947-0.998, >= 0.91
// at every time.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <random>
#include <string>

#include <Eigen/Dense>
#include <gtest/gtest.h>

#include "darkcharge/darkcharge.hpp"
#include "darkcharge/exact/reduced_dicke_solver.hpp"
#include "darkcharge/physics/angular_momentum.hpp"
#include "darkcharge/physics/clebsch_gordan_recursion.hpp"
#include "darkcharge/physics/local_jump_state.hpp"
#include "darkcharge/run/local_trajectory.hpp"
#include "darkcharge/estimate/jackknife.hpp"

namespace darkcharge {
namespace {

struct ZStats {
  double worst = 0, sum = 0;
  long count = 0, within2 = 0;
  long degenerate = 0;  ///< points where every block agreed (error 0) but the exact value differs
  std::string worst_at;
};

/// z-scores of every sampled column against the exact solver (columns with error 0 must
/// agree to rounding).
/// With `strict`, a zero error must mean agreement to rounding; otherwise such points (a rare
/// event no trajectory of the sample met, e.g. leaving a sector early) are only counted.
ZStats compare(const Model& model, const TimeGrid& grid, long n, std::uint64_t seed, int blocks = 100,
               bool strict = true) {
  EnsembleOptions options;
  options.sampling = Sampling::trajectories;  // auto would take the exact solver
  options.trajectories = n;
  options.seed = seed;
  options.blocks = blocks;
  const TimeSeries sampled = run_ensemble(model, grid, options).series;
  const TimeSeries exact = solve_exact_local(model, model.local, grid);
  ZStats z;
  for (const Column& c : sampled.columns) {
    if (!exact.has(c.name)) continue;  // N_em, N_abs, F_em: the jump record, not of rho
    const Column& e = exact.column(c.name);
    for (std::size_t g = 0; g < c.value.size(); ++g) {
      // W_B_sym is NaN where the battery can have left its symmetric sector, in both engines.
      if (std::isnan(c.value[g]) || std::isnan(e.value[g])) {
        if (strict)
          EXPECT_EQ(std::isnan(c.value[g]), std::isnan(e.value[g])) << c.name << " at t = " << sampled.time[g];
        else
          z.degenerate += std::isnan(c.value[g]) != std::isnan(e.value[g]);
        continue;
      }
      const double diff = c.value[g] - e.value[g];
      if (c.error[g] <= 1e-12 * std::max(1.0, std::fabs(e.value[g]))) {
        if (!strict) {
          z.degenerate += std::fabs(diff) > 1e-8 * std::max(1.0, std::fabs(e.value[g]));
          continue;
        }
        EXPECT_NEAR(c.value[g], e.value[g], 1e-8 * std::max(1.0, std::fabs(e.value[g])))
            << c.name << " at t = " << sampled.time[g] << " (zero error)";
        continue;
      }
      const double zg = diff / c.error[g];
      z.sum += zg;
      ++z.count;
      if (std::fabs(zg) <= 2) ++z.within2;
      if (std::fabs(zg) > std::fabs(z.worst)) {
        z.worst = zg;
        z.worst_at = c.name + " at t = " + std::to_string(sampled.time[g]);
      }
    }
  }
  return z;
}

void expect_agreement(const Model& model, const TimeGrid& grid, long n, std::uint64_t seed) {
  const ZStats z = compare(model, grid, n, seed);
  std::printf("  %ld checks, worst z = %.2f (%s), |z| <= 2: %.3f, mean z = %.3f\n", z.count,
              z.worst, z.worst_at.c_str(), double(z.within2) / z.count, z.sum / z.count);
  EXPECT_GT(z.count, 0);
  EXPECT_LE(std::fabs(z.worst), 4.0) << z.worst_at;
}

Model small_model(int nb, int nc, double nbar, BatteryInit init) {
  Model m;
  m.n_battery = nb;
  m.n_charger = nc;
  m.nbar = nbar;
  m.battery_init = init;
  return m;
}

// Algebra: sum_k ||K_k psi||^2 = 2 <psi|G|psi> on random states of every block kind (the
// no-jump generator and the jump operators describe the same channels).
TEST(LocalJumpState, JumpNormsSumToTwiceG) {
  Model m = small_model(3, 5, 0.4, BatteryInit::thermal);
  m.local.charger = {0.3, 0.2, 0.5};
  m.local.battery = {0.7, 0.1, 0.9};
  std::mt19937_64 gen(7);
  std::normal_distribution<double> normal;
  const std::vector<JumpChannel> channels = jump_channels(m);
  EXPECT_EQ(channels.size(), 20u);
  for (double jc : {2.5, 1.5, 0.5})
    for (double jb : {1.5, 0.5})
      for (double M = -(jc + jb); M <= jc + jb + 0.25; M += 1) {
        LocalJumpState psi{jc, jb, M, std::vector<double>(block_size(jc, jb, M))};
        for (double& a : psi.amp) a = normal(gen);
        const double g = expectation(no_jump_generator(m, jc, jb, M), psi.amp);
        double jumps = 0;
        LocalJumpState out;
        for (const JumpChannel& k : channels) jumps += apply_jump(m, k, psi, out);
        EXPECT_NEAR(jumps, 2 * g, 1e-10 * std::max(1.0, g)) << jc << " " << jb << " " << M;
      }
}

// The coupled path relies on J^- U^M c = U^(M-1) (sqrt(a_J(M)) c_J) with U^M the
// Clebsch-Gordan block (consistent Condon-Shortley phases from one M to the next).
TEST(LocalJumpState, CollectiveJumpIsDiagonalInJ) {
  Model m = small_model(3, 6, 0.0, BatteryInit::ground);
  const JumpChannel emission{processes(m).front(), 0};
  std::mt19937_64 gen(3);
  std::normal_distribution<double> normal;
  for (double jc : {3.0, 2.0, 1.0})
    for (double jb : {1.5, 0.5})
      for (double M = -(jc + jb) + 1; M <= jc + jb + 0.25; M += 1) {
        Eigen::MatrixXd u, v;
        clebsch_gordan_block(jc, jb, M, u);
        clebsch_gordan_block(jc, jb, M - 1, v);
        Eigen::VectorXd c(u.cols());
        for (int k = 0; k < c.size(); ++k) c[k] = normal(gen);
        LocalJumpState psi{jc, jb, M, std::vector<double>(u.rows())}, out;
        Eigen::Map<Eigen::VectorXd>(psi.amp.data(), u.rows()) = u * c;
        apply_jump(m, emission, psi, out);
        const Eigen::VectorXd product = Eigen::Map<Eigen::VectorXd>(out.amp.data(), out.size());
        const double first = first_total_j(jc, jb, M), target = first_total_j(jc, jb, M - 1);
        Eigen::VectorXd expected = Eigen::VectorXd::Zero(v.cols());
        for (int k = 0; k < expected.size(); ++k) {
          const int from = static_cast<int>(std::lround(target + k - first));
          if (from >= 0 && from < c.size())
            expected[k] = std::sqrt(m.emission_rate() * lowering_squared(first + from, M)) * c[from];
        }
        EXPECT_LT((product - v * expected).norm(), 1e-10 * (1 + product.norm())) << jc << " " << jb << " " << M;
      }
}

TEST(LocalTrajectories, DecayAndDephasingBothGroundNb2Nc3) {
  Model m = small_model(2, 3, 0.0, BatteryInit::ground);
  m.local.charger = {0.2, 0.0, 0.3};
  m.local.battery = {0.2, 0.0, 0.3};
  expect_agreement(m, TimeGrid{3.0, 16}, 4000, 11);
}

TEST(LocalTrajectories, PumpingThermalNb4Nc8) {
  Model m = small_model(4, 8, 0.3, BatteryInit::thermal);
  m.local.charger = {0.1, 0.05, 0.1};
  m.local.battery = {0.1, 0.05, 0.1};
  expect_agreement(m, TimeGrid{1.5, 16}, 3000, 12);
}

TEST(LocalTrajectories, BatteryDephasingUnequalDecayNonDiagonalG) {
  // g_down^C != g_down^B: G is not diagonal in the coupled basis.
  Model m = small_model(3, 5, 0.0, BatteryInit::ground);
  m.local.charger = {0.05, 0.0, 0.0};
  m.local.battery = {0.4, 0.0, 0.6};
  expect_agreement(m, TimeGrid{3.0, 16}, 4000, 13);
}

TEST(LocalTrajectories, ThermalBatteryBatteryNoiseOnly) {
  Model m = small_model(3, 4, 0.5, BatteryInit::thermal);
  m.local.battery = {0.0, 0.2, 0.3};
  expect_agreement(m, TimeGrid{2.0, 16}, 3000, 14);
}

// Both paths: G not diagonal in J (product basis) and diagonal (coupled basis).
TEST(LocalTrajectories, ThreadCountDoesNotChangeColumns) {
  Model m = small_model(3, 5, 0.2, BatteryInit::thermal);
  for (double charger_decay : {0.1, 0.35}) {
    m.local.charger = {charger_decay, 0.05, 0.2};
    m.local.battery = {0.3, 0.0, 0.4};
    EnsembleOptions options;
    options.sampling = Sampling::trajectories;  // auto would take the exact solver
    options.trajectories = 300;
    options.blocks = 10;
    options.seed = 5;
    options.threads = 1;
    const TimeSeries one = run_ensemble(m, TimeGrid{2.0, 11}, options).series;
    options.threads = 2;
    const TimeSeries two = run_ensemble(m, TimeGrid{2.0, 11}, options).series;
    ASSERT_EQ(one.columns.size(), two.columns.size());
    EXPECT_NO_THROW(one.column("W_B"));  // the nonlinear columns are compared too
    EXPECT_NO_THROW(one.column("W_B_sym"));
    for (std::size_t c = 0; c < one.columns.size(); ++c) {
      const auto& a = one.columns[c];
      const auto& b = two.columns[c];
      ASSERT_EQ(a.name, b.name);
      EXPECT_EQ(0, std::memcmp(a.value.data(), b.value.data(), a.value.size() * sizeof(double))) << a.name;
      EXPECT_EQ(0, std::memcmp(a.error.data(), b.error.data(), a.error.size() * sizeof(double))) << a.name;
    }
  }
}

// Stopping rules: decided after whole rounds of work units (every block complete), so the
// stopping point and every number are the same for 1 and 2 threads.
TEST(LocalTrajectories, TargetErrorStopsOnWholeRoundsForAnyThreadCount) {
  Model m = small_model(2, 4, 0.2, BatteryInit::ground);
  m.local.battery = {0.2, 0.0, 0.3};
  EnsembleOptions options;
  options.sampling = Sampling::trajectories;  // auto would take the exact solver
  options.trajectories = 100000;
  options.blocks = 16;
  options.seed = 9;
  options.observables = {"E_B", "W_B"};
  options.target_errors = {{"E_B", 0.01}, {"W_B", 0.02}};
  options.threads = 1;
  const EnsembleResult one = run_ensemble(m, TimeGrid{2.0, 9}, options);
  options.threads = 2;
  const EnsembleResult two = run_ensemble(m, TimeGrid{2.0, 9}, options);
  EXPECT_EQ(one.stop_reason, "target-error");
  EXPECT_EQ(one.trajectories_run, two.trajectories_run);
  // E_B's largest per-trajectory spread is ~0.5, so 0.01 needs ~2500 trajectories: far
  // below the cap, above the first round (256).
  EXPECT_GT(one.trajectories_run, 256);
  EXPECT_LT(one.trajectories_run, 20000);
  // ... and a run capped at that many trajectories (the same growing units up to there)
  // gives the same numbers.
  options.trajectories = one.trajectories_run;
  const EnsembleResult capped = run_ensemble(m, TimeGrid{2.0, 9}, options);
  EXPECT_EQ(capped.trajectories_run, one.trajectories_run);
  for (const auto& name : {"E_B", "W_B"}) {
    const Column& a = one.series.column(name);
    for (const EnsembleResult* other : {&two, &capped}) {
      const Column& b = other->series.column(name);
      EXPECT_EQ(0, std::memcmp(a.value.data(), b.value.data(), a.value.size() * sizeof(double))) << name;
      EXPECT_EQ(0, std::memcmp(a.error.data(), b.error.data(), a.error.size() * sizeof(double))) << name;
    }
  }
  EXPECT_LE(*std::max_element(one.series.column("E_B").error.begin(), one.series.column("E_B").error.end()), 0.01);
  EXPECT_LE(*std::max_element(one.series.column("W_B").error.begin(), one.series.column("W_B").error.end()), 0.02);
}

// A time limit starts no work unit after it; the result holds the units done, folded in unit
// order: the same numbers as a reduction of exactly those units.
TEST(LocalTrajectories, TimeLimitKeepsTheUnitsDone) {
  Model m = small_model(2, 4, 0.2, BatteryInit::ground);
  m.local.battery = {0.2, 0.0, 0.3};
  EnsembleOptions options;
  options.sampling = Sampling::trajectories;  // auto would take the exact solver
  options.trajectories = 1000;
  options.seed = 4;
  options.observables = {"E_B"};
  // A limit no run reaches completes every unit.
  options.time_limit = 1e6;
  const EnsembleResult all = run_ensemble(m, TimeGrid{1.0, 5}, options);
  EXPECT_EQ(all.stop_reason, "completed");
  EXPECT_EQ(all.trajectories_run, 1000);
  // A limit before the first unit: nothing to report, refused by name.
  options.time_limit = 1e-9;
  try {
    run_ensemble(m, TimeGrid{1.0, 5}, options);
    ADD_FAILURE() << "expected InvalidArgument";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("time_limit"), std::string::npos) << e.what();
  }
  // A limit in the middle (each trajectory takes ~10 us here, 10^6 of them far longer than
  // 0.3 s; units of 1000 trajectories).
  options.trajectories = 1000000;
  options.unit_trajectories = 1000;
  options.time_limit = 0.3;
  std::map<long, std::string> done;
  options.on_unit_done = [&](long u, const std::string& bytes) { done[u] = bytes; };
  const EnsembleResult part = run_ensemble(m, TimeGrid{1.0, 5}, options);
  EXPECT_EQ(part.stop_reason, "time-limit");
  EXPECT_EQ(part.trajectories_run, 1000 * long(done.size()));
  EXPECT_LT(part.trajectories_run, options.trajectories);
  // The same units reduced without running anything else.
  options.time_limit = 0;
  options.on_unit_done = nullptr;
  options.completed_units = done;
  options.run_unit = [](long) { return false; };
  const EnsembleResult reduced = run_ensemble(m, TimeGrid{1.0, 5}, options);
  EXPECT_EQ(reduced.stop_reason, "incomplete");
  const Column& a = part.series.column("E_B");
  const Column& b = reduced.series.column("E_B");
  EXPECT_EQ(0, std::memcmp(a.value.data(), b.value.data(), a.value.size() * sizeof(double)));
  EXPECT_EQ(0, std::memcmp(a.error.data(), b.error.data(), a.error.size() * sizeof(double)));
}

TEST(LocalTrajectories, PlanRefusesCascadeAndUnknownColumns) {
  Model m = small_model(2, 3, 0.0, BatteryInit::ground);
  m.local.battery.dephasing = 0.1;
  EnsembleOptions options;
  options.sampling = Sampling::trajectories;  // auto would take the exact solver
  options.trajectories = 10;
  options.sampling = Sampling::cascade;
  EXPECT_THROW(plan_ensemble(m, TimeGrid{1.0, 5}, options), InvalidArgument);
  options.sampling = Sampling::trajectories;
  options.observables = {"jB=3"};  // not a battery sector of N_B = 2
  EXPECT_THROW(run_ensemble(m, TimeGrid{1.0, 5}, options), InvalidArgument);
  options.observables = {"S_B"};  // computed (tests/test_local_entanglement.cpp)
  EXPECT_NO_THROW(run_ensemble(m, TimeGrid{1.0, 5}, options));
  options.observables = {"E_B"};
  options.target_errors = {{"E_B", 0.1}};
  EXPECT_NO_THROW(run_ensemble(m, TimeGrid{1.0, 5}, options));
  options.target_errors = {{"E_C", 0.1}};  // not a column of this run
  EXPECT_THROW(run_ensemble(m, TimeGrid{1.0, 5}, options), InvalidArgument);
}

// --sampling auto with local noise: the exact reduced Dicke-basis solver when its estimated
// cost is within the cascade's budget (the numbers are then solve_exact_local's, errors 0,
// with a note giving the estimate), local-noise trajectories when it is not or when a
// column only the trajectories give is asked for; `trajectories` always samples.
TEST(LocalTrajectories, AutoTakesTheExactSolverWhenCheap) {
  Model m = small_model(2, 3, 0.1, BatteryInit::ground);
  m.local.charger = {0.1, 0.0, 0.2};
  m.local.battery = {0.1, 0.0, 0.2};
  const TimeGrid grid{2.0, 9};
  EnsembleOptions options;
  options.trajectories = 100;
  options.observables = {"E_B", "P_B", "dark", "W_B", "sigma_B", "I_em"};
  const EnsemblePlan plan = plan_ensemble(m, grid, options);
  ASSERT_EQ(plan.sampling.sampling, Sampling::exact);
  const EnsembleResult r = run_ensemble(plan);
  EXPECT_EQ(r.sampling, Sampling::exact);
  ASSERT_FALSE(r.notes.empty());
  EXPECT_NE(r.notes.front().find("sampling=exact"), std::string::npos) << r.notes.front();
  EXPECT_NE(r.notes.front().find("estimated at"), std::string::npos) << r.notes.front();
  const TimeSeries exact = solve_exact_local(m, m.local, grid);
  ASSERT_EQ(r.series.columns.size(), options.observables.size());
  for (const Column& c : r.series.columns) {
    const Column& e = exact.column(c.name);
    EXPECT_EQ(c.error_method, "exact") << c.name;
    for (int g = 0; g < grid.points; ++g) {
      EXPECT_EQ(c.value[g], e.value[g]) << c.name << " t = " << grid.time(g);
      EXPECT_EQ(c.error[g], 0.0) << c.name;
    }
  }
  // A column of the jump record: only the trajectories give it.
  options.observables = {"E_B", "N_em"};
  const SamplingChoice record = plan_ensemble(m, grid, options).sampling;
  EXPECT_EQ(record.sampling, Sampling::trajectories);
  EXPECT_NE(record.reason.find("N_em"), std::string::npos) << record.reason;
  // Forced sampling.
  options.observables = {"E_B"};
  options.sampling = Sampling::trajectories;
  EXPECT_EQ(plan_ensemble(m, grid, options).sampling.sampling, Sampling::trajectories);
  EXPECT_EQ(run_ensemble(m, grid, options).sampling, Sampling::trajectories);
  EXPECT_GT(run_ensemble(m, grid, options).series.column("E_B").error.back(), 0.0);
  // Beyond the budget: N_B = 40, N_C = 400 with noise on both ensembles to t = 10 (estimated
  // far above 120 s; planning only).
  Model big = small_model(40, 400, 0.1, BatteryInit::ground);
  big.local.charger = big.local.battery = {0.05, 0.0, 0.05};
  options.sampling = Sampling::automatic;
  const SamplingChoice large = plan_ensemble(big, TimeGrid{10.0, 11}, options).sampling;
  EXPECT_EQ(large.sampling, Sampling::trajectories);
  EXPECT_NE(large.reason.find("beyond the automatic budget"), std::string::npos) << large.reason;
}

// z of a - b from two independent estimates.
double difference_z(const Column& a, const Column& b, int g) {
  return (a.value[g] - b.value[g]) / std::hypot(a.error[g], b.error[g]);
}

// N_em, N_abs, F_em at (effectively) zero local rates against the collective engine: local
// rates 1e-9 on both ensembles make a local jump over the whole run improbable (total rate
// <= 1e-9 x 7 spins x 3 channels, P < 1e-7 per trajectory by t = 2), so the local engine
// samples the same jump record. Independent seeds for the two engines; |z| <= 4.5 with z
// from the two standard errors (~t(99) tails: P(|z| > 4.5) < 2e-5 per check), 3 seeds x
// 3 columns x 8 times > 0 = 72 checks: false-failure rate below 1.5e-3 (union bound).
TEST(LocalTrajectories, EmissionRecordAgreesWithTheCollectiveEngineAtZeroLocalRates) {
  Model collective = small_model(3, 4, 0.3, BatteryInit::ground);
  Model local = collective;
  local.local.charger = local.local.battery = {1e-9, 1e-9, 1e-9};
  const TimeGrid grid{2.0, 9};
  for (std::uint64_t seed = 41; seed < 44; ++seed) {
    EnsembleOptions options;
    options.sampling = Sampling::trajectories;
    options.trajectories = 4000;
    options.blocks = 100;
    options.observables = {"N_em", "N_abs", "F_em"};
    options.seed = seed;
    const TimeSeries a = run_ensemble(local, grid, options).series;
    options.seed = seed + 1000;
    const TimeSeries b = run_ensemble(collective, grid, options).series;
    for (const char* name : {"N_em", "N_abs", "F_em"}) {
      const Column &x = a.column(name), &y = b.column(name);
      for (int g = 1; g < grid.points; ++g) {
        if (std::string(name) == "F_em" && (std::isnan(x.value[g]) || std::isnan(y.value[g]))) {
          EXPECT_EQ(std::isnan(x.value[g]), std::isnan(y.value[g])) << name << " t = " << grid.time(g);
          continue;
        }
        EXPECT_LE(std::fabs(difference_z(x, y, g)), 4.5)
            << name << " seed " << seed << " t = " << grid.time(g) << ": local " << x.value[g]
            << " +- " << x.error[g] << ", collective " << y.value[g] << " +- " << y.error[g];
      }
    }
    EXPECT_EQ(a.column("N_em").value[0], 0.0);
  }
}

/// Counts of collective emissions by each grid time from an independent quantum-jump
/// simulation in the full 2^N space (N = N_C + N_B spins as qubits, bit i = spin i up;
/// charger spins first): collapse operators sqrt(2 gamma (nbar+1)) J^-, sqrt(2 gamma nbar)
/// J^+, per spin sqrt(g_down) s^-, sqrt(g_up) s^+, sqrt(g_phi / 2) s^z (physics.md). H =
/// omega J^z commutes with G = (1/2) sum K^dag K, so it changes no probability and is left
/// out; the jump time solves ||exp(-G t) psi||^2 = r by bisection on G's eigenbasis.
/// Returns emitted[k][g] for trajectory k and grid time g.
std::vector<std::vector<double>> full_space_emissions(const Model& m, const TimeGrid& grid, long n,
                                                      std::uint64_t seed) {
  const int spins = m.n_charger + m.n_battery, dim = 1 << spins;
  auto single = [&](int i, int kind) {  // kind -1: s^-, +1: s^+, 0: s^z
    Eigen::MatrixXd op = Eigen::MatrixXd::Zero(dim, dim);
    for (int b = 0; b < dim; ++b) {
      const bool up = (b >> i) & 1;
      if (kind == 0) op(b, b) = up ? 1 : -1;
      if (kind == -1 && up) op(b & ~(1 << i), b) = 1;
      if (kind == +1 && !up) op(b | (1 << i), b) = 1;
    }
    return op;
  };
  Eigen::MatrixXd lower = Eigen::MatrixXd::Zero(dim, dim);
  for (int i = 0; i < spins; ++i) lower += single(i, -1);
  std::vector<Eigen::MatrixXd> jumps = {std::sqrt(2 * m.gamma * (m.nbar + 1)) * lower,
                                        std::sqrt(2 * m.gamma * m.nbar) * lower.transpose()};
  for (int i = 0; i < spins; ++i) {
    const LocalRates& r = i < m.n_charger ? m.local.charger : m.local.battery;
    jumps.push_back(std::sqrt(r.decay) * single(i, -1));
    jumps.push_back(std::sqrt(r.pumping) * single(i, +1));
    jumps.push_back(std::sqrt(r.dephasing / 2) * single(i, 0));
  }
  Eigen::MatrixXd G = Eigen::MatrixXd::Zero(dim, dim);
  for (const auto& k : jumps) G += 0.5 * k.transpose() * k;
  const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(G);
  const Eigen::MatrixXd& V = eig.eigenvectors();
  const Eigen::VectorXd& lambda = eig.eigenvalues();
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  std::vector<std::vector<double>> emitted(n, std::vector<double>(grid.points));
  for (long k = 0; k < n; ++k) {
    Eigen::VectorXd psi = Eigen::VectorXd::Zero(dim);
    psi((1 << m.n_charger) - 1) = 1;  // charger up, battery ground
    double t = 0;
    long count = 0;
    int g = 0;
    while (g < grid.points) {
      const Eigen::VectorXd c = V.transpose() * psi;
      auto survival = [&](double dt) { return (c.array().square() * (-2 * lambda.array() * dt).exp()).sum(); };
      const double r = 1.0 - uniform(rng);
      const double end = grid.t_max - t;
      double tau = end + 1;  // no jump before t_max
      if (survival(end) < r) {
        double lo = 0, hi = end;
        for (int it = 0; it < 200 && hi - lo > 1e-14; ++it) (survival(0.5 * (lo + hi)) > r ? lo : hi) = 0.5 * (lo + hi);
        tau = 0.5 * (lo + hi);
      }
      while (g < grid.points && grid.time(g) <= t + tau) emitted[k][g++] = double(count);
      if (g == grid.points) break;
      t += tau;
      psi = V * (c.array() * (-lambda.array() * tau).exp()).matrix();
      std::vector<double> weights;
      double total = 0;
      for (const auto& j : jumps) total += weights.emplace_back((j * psi).squaredNorm());
      double u = uniform(rng) * total;
      std::size_t chosen = 0;
      while (chosen + 1 < jumps.size() && u >= weights[chosen]) u -= weights[chosen++];
      psi = jumps[chosen] * psi;
      psi /= psi.norm();
      count += chosen == 0;
    }
  }
  return emitted;
}

// F_em with local noise (decay, pumping, dephasing on both ensembles) against the Fano factor
// of the full-space simulation above (independent code and random numbers): z from the two
// jackknife errors (both over 100 blocks), |z| <= 4.5 at 8 times x 2 seeds (t(99) tails:
// false-failure rate below 3e-4, union bound). N_em is compared too.
TEST(LocalTrajectories, FanoFactorAgainstAFullSpaceSimulation) {
  Model m = small_model(1, 2, 0.3, BatteryInit::ground);
  m.local.charger = {0.2, 0.1, 0.3};
  m.local.battery = {0.3, 0.0, 0.2};
  const TimeGrid grid{2.0, 9};
  const long n = 4000;
  const int blocks = 100;
  for (std::uint64_t seed = 71; seed < 73; ++seed) {
    EnsembleOptions options;
    options.sampling = Sampling::trajectories;
    options.trajectories = n;
    options.blocks = blocks;
    options.seed = seed;
    options.observables = {"N_em", "F_em"};
    const TimeSeries s = run_ensemble(m, grid, options).series;
    const auto counts = full_space_emissions(m, grid, n, seed);
    for (int g = 1; g < grid.points; ++g) {
      // Jackknife over blocks k mod 100 of the reference's n_em and n_em^2.
      std::vector<double> s1(blocks), s2(blocks), size(blocks);
      for (long k = 0; k < n; ++k) {
        s1[k % blocks] += counts[k][g];
        s2[k % blocks] += counts[k][g] * counts[k][g];
        size[k % blocks] += 1;
      }
      double t1 = 0, t2 = 0;
      for (int b = 0; b < blocks; ++b) t1 += s1[b], t2 += s2[b];
      auto fano = [](double m1, double m2) { return (m2 - m1 * m1) / m1; };
      std::vector<double> leave(blocks), leave_mean(blocks);
      for (int b = 0; b < blocks; ++b) {
        leave[b] = fano((t1 - s1[b]) / (n - size[b]), (t2 - s2[b]) / (n - size[b]));
        leave_mean[b] = (t1 - s1[b]) / (n - size[b]);
      }
      const Estimate ref_fano = jackknife(fano(t1 / n, t2 / n), leave);
      const Estimate ref_mean = jackknife(t1 / n, leave_mean);
      const Column &f = s.column("F_em"), &c = s.column("N_em");
      EXPECT_LE(std::fabs(f.value[g] - ref_fano.value), 4.5 * std::hypot(f.error[g], ref_fano.error))
          << "F_em seed " << seed << " t = " << grid.time(g) << ": " << f.value[g] << " +- " << f.error[g]
          << " vs full space " << ref_fano.value << " +- " << ref_fano.error;
      EXPECT_LE(std::fabs(c.value[g] - ref_mean.value), 4.5 * std::hypot(c.error[g], ref_mean.error))
          << "N_em seed " << seed << " t = " << grid.time(g);
    }
  }
}

// With local noise the means of the counts are integrals of the exact collective currents:
// N_em(t) = int_0^t I_em ds, N_abs(t) = int_0^t I_abs ds (I_em = gamma (nbar + 1) <J^+ J^->
// from solve_exact_local, a different code path from the jump counting), by Simpson's rule
// on 401 points (error < 1e-8 here). Only collective jumps count: single-spin decay (rate
// 0.3 per spin, comparable to the collective rates) would raise N_em by ~0.5 at t = 2 if it
// were counted. Tolerance |z| <= 4.5 (t(99) tails, 2 columns x 8 times x 3 seeds = 48
// checks): false-failure rate below 1e-3.
TEST(LocalTrajectories, EmittedAndAbsorbedQuantaAgainstIntegratedExactCurrents) {
  Model m = small_model(2, 4, 0.2, BatteryInit::ground);
  m.local.charger = {0.3, 0.05, 0.2};
  m.local.battery = {0.3, 0.0, 0.2};
  const TimeGrid grid{2.0, 9}, fine{2.0, 401};
  const TimeSeries exact = solve_exact_local(m, m.local, fine);
  const int stride = (fine.points - 1) / (grid.points - 1);
  auto integral = [&](const std::string& name, int g) {  // Simpson on fine[0 .. g * stride]
    const std::vector<double>& f = exact.column(name).value;
    const int last = g * stride;
    if (last == 0) return 0.0;
    double s = f[0] + f[last];
    for (int i = 1; i < last; ++i) s += (i % 2 ? 4 : 2) * f[i];
    return s * (fine.time(1) - fine.time(0)) / 3;
  };
  for (std::uint64_t seed = 51; seed < 54; ++seed) {
    EnsembleOptions options;
    options.sampling = Sampling::trajectories;
    options.trajectories = 4000;
    options.blocks = 100;
    options.seed = seed;
    options.observables = {"N_em", "N_abs"};
    const TimeSeries s = run_ensemble(m, grid, options).series;
    for (const auto& [count, current] : {std::pair{"N_em", "I_em"}, std::pair{"N_abs", "I_abs"}}) {
      const Column& c = s.column(count);
      for (int g = 1; g < grid.points; ++g) {
        const double expected = integral(current, g);
        EXPECT_LE(std::fabs(c.value[g] - expected), 4.5 * c.error[g])
            << count << " seed " << seed << " t = " << grid.time(g) << ": " << c.value[g]
            << " +- " << c.error[g] << " vs " << expected;
      }
    }
  }
}

// Coverage over many seeds (DARKCHARGE_LOCAL_COVERAGE=1 to run; ~10 s): pooled fraction of
// |z| <= 2 (expected ~0.95: Student t with 49 degrees of freedom gives 0.949) and the mean z
// (expected 0), for G diagonal in the coupled basis and for G not diagonal.
void coverage(const Model& m, const TimeGrid& grid) {
  ZStats all;
  for (std::uint64_t seed = 1000; seed < 1100; ++seed) {
    const ZStats z = compare(m, grid, 500, seed, 50, false);
    all.sum += z.sum;
    all.count += z.count;
    all.within2 += z.within2;
    all.degenerate += z.degenerate;
  }
  const double fraction = double(all.within2) / all.count, mean = all.sum / all.count;
  std::printf("  coverage over 100 seeds: %ld z-scores, |z| <= 2: %.4f, mean z = %.4f, %ld "
              "zero-error points off the exact value\n", all.count, fraction, mean, all.degenerate);
  EXPECT_GE(fraction, 0.92);
  EXPECT_LE(std::fabs(mean), 0.3);
}

TEST(LocalTrajectoriesCoverage, ManySeedsDiagonalG) {
  if (!std::getenv("DARKCHARGE_LOCAL_COVERAGE")) GTEST_SKIP() << "set DARKCHARGE_LOCAL_COVERAGE=1";
  Model m = small_model(2, 3, 0.0, BatteryInit::ground);
  m.local.charger = {0.2, 0.0, 0.3};
  m.local.battery = {0.2, 0.0, 0.3};
  coverage(m, TimeGrid{3.0, 11});
}

TEST(LocalTrajectoriesCoverage, ManySeedsNonDiagonalGThermal) {
  if (!std::getenv("DARKCHARGE_LOCAL_COVERAGE")) GTEST_SKIP() << "set DARKCHARGE_LOCAL_COVERAGE=1";
  Model m = small_model(3, 5, 0.3, BatteryInit::thermal);
  m.local.charger = {0.05, 0.1, 0.0};
  m.local.battery = {0.4, 0.0, 0.6};
  coverage(m, TimeGrid{2.0, 11});
}

}  // namespace
}  // namespace darkcharge

namespace darkcharge {
namespace {

// Timing (DARKCHARGE_LOCAL_BENCH="N_B N_C trajectories battery_only threads"): the run of
// the brief, nbar = 0, g_down = 0.01 on both ensembles, g_phi = 0.01 on both (or on the
// battery only), t in [0, 20] on 201 points, linear columns.
TEST(LocalTrajectoriesBenchmark, Timing) {
  const char* spec = std::getenv("DARKCHARGE_LOCAL_BENCH");
  if (!spec) GTEST_SKIP() << "set DARKCHARGE_LOCAL_BENCH=\"N_B N_C trajectories battery_only threads\"";
  int nb = 0, nc = 0, battery_only = 0, threads = 2;
  long n = 0;
  ASSERT_GE(std::sscanf(spec, "%d %d %ld %d %d", &nb, &nc, &n, &battery_only, &threads), 3);
  Model m;
  m.n_battery = nb;
  m.n_charger = nc;
  m.battery_init = BatteryInit::ground;
  m.local.charger = {0.01, 0.0, battery_only ? 0.0 : 0.01};
  m.local.battery = {0.01, 0.0, 0.01};
  EnsembleOptions options;
  options.sampling = Sampling::trajectories;  // auto would take the exact solver
  options.trajectories = n;
  options.threads = threads;
  options.blocks = static_cast<int>(std::min<long>(32, n));
  options.observables = {"E_B", "E_C", "P_B", "W_open", "dark", "sigma_B", "I_em", "I_abs"};
  const auto start = std::chrono::steady_clock::now();
  const int points = std::getenv("DARKCHARGE_LOCAL_BENCH_POINTS") ? std::atoi(std::getenv("DARKCHARGE_LOCAL_BENCH_POINTS")) : 201;
  const EnsembleResult r = run_ensemble(m, TimeGrid{20.0, points}, options);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("  N_B=%d N_C=%d n=%ld battery_only=%d threads=%d: %.3f s, %.4g s per trajectory "
              "(x threads: %.4g core-s)\n  %s\n", nb, nc, n, battery_only, threads, seconds,
              seconds / n, seconds * threads / n, r.notes.front().c_str());
  const Column& e = r.series.column("E_B");
  std::printf("  E_B(t=20) = %.5f +- %.5f, max P_B = %.4f\n", e.value.back(), e.error.back(),
              *std::max_element(r.series.column("P_B").value.begin(), r.series.column("P_B").value.end()));
}

}  // namespace
}  // namespace darkcharge

namespace darkcharge {
namespace {

/// z-scores of W_B (and W_B_sym where defined) against the exact reduced solver, by time,
/// over seeds [first_seed, first_seed + seeds). Points with error 0 are skipped when the value
/// agrees with the exact one to rounding and counted as failures otherwise.
struct TimeCoverage {
  std::vector<long> count, within2;
  std::vector<double> sum;
  std::vector<double> sum_error, sum_value, sum_value2;  ///< of the counted pairs, by time
  long pooled_count = 0, pooled_within2 = 0;
  double pooled_sum = 0;
  double largest = 0;      ///< largest |z| (column_coverage)
  std::string largest_at;  ///< where: seed and time
  void add(int g, double z, double value, double error) {
    if (sum_error.empty()) sum_error = sum_value = sum_value2 = std::vector<double>(count.size());
    ++count[g];
    within2[g] += std::fabs(z) <= 2;
    sum[g] += std::max(-10.0, std::min(10.0, z));
    sum_error[g] += error, sum_value[g] += value, sum_value2[g] += value * value;
  }
  /// Reported error over the spread of the estimates across seeds: root-mean-square over
  /// times of the mean error over that of the standard deviation (1 for honest errors).
  double error_over_scatter() const {
    double errors = 0, variances = 0;
    for (std::size_t g = 0; g < count.size(); ++g) {
      if (count[g] < 2) continue;
      const double mean = sum_value[g] / count[g];
      const double error = sum_error[g] / count[g];
      errors += error * error;
      variances += std::max(0.0, (sum_value2[g] - count[g] * mean * mean) / (count[g] - 1));
    }
    return variances > 0 ? std::sqrt(errors / variances) : std::nan("");
  }
};

TimeCoverage ergotropy_coverage(const Model& m, const TimeGrid& grid, long n, int blocks,
                                std::uint64_t first_seed, int seeds, const std::string& name) {
  const TimeSeries exact = solve_exact_local(m, m.local, grid);
  const Column& e = exact.column(name);
  TimeCoverage c{std::vector<long>(grid.points), std::vector<long>(grid.points),
                 std::vector<double>(grid.points)};
  for (std::uint64_t seed = first_seed; seed < first_seed + seeds; ++seed) {
    EnsembleOptions options;
    options.sampling = Sampling::trajectories;  // auto would take the exact solver
    options.trajectories = n;
    options.seed = seed;
    options.blocks = blocks;
    options.observables = {name};
    const Column s = run_ensemble(m, grid, options).series.column(name);
    for (int g = 0; g < grid.points; ++g) {
      if (std::isnan(e.value[g]) || std::isnan(s.value[g])) {
        EXPECT_EQ(std::isnan(e.value[g]), std::isnan(s.value[g])) << name << " at t = " << grid.time(g);
        continue;
      }
      const double diff = s.value[g] - e.value[g];
      double z;
      if (s.error[g] == 0) {
        if (std::fabs(diff) <= 1e-9) continue;
        z = std::copysign(1e9, diff);
      } else {
        z = diff / s.error[g];
      }
      c.add(g, z, s.value[g], s.error[g]);
    }
  }
  for (int g = 0; g < grid.points; ++g) {
    c.pooled_count += c.count[g];
    c.pooled_within2 += c.within2[g];
    c.pooled_sum += c.sum[g];
  }
  return c;
}

// Coverage of W_B over 100 seeds (DARKCHARGE_LOCAL_COVERAGE=1 to run): |z| <= 2 in >= 92% of
// the (seed, time) pairs pooled and >= 80% at every time, mean z (clipped to +-10) within
// +-0.3. Prints the table by time.
void ergotropy_coverage_table(const Model& m, const TimeGrid& grid, long n, int blocks,
                              const std::string& name) {
  const TimeSeries exact = solve_exact_local(m, m.local, grid);
  const TimeCoverage c = ergotropy_coverage(m, grid, n, blocks, 2000, 100, name);
  std::printf("  %s, n = %ld, %d blocks, 100 seeds\n      t    exact   |z|<=2  mean z  pairs  mean error  scatter\n",
              name.c_str(), n, blocks);
  for (int g = 0; g < grid.points; ++g)
    std::printf("  %5.2f  %.5f  %6.3f  %6.3f  %ld  %.5f  %.5f\n", grid.time(g), exact.column(name).value[g],
                c.count[g] ? double(c.within2[g]) / c.count[g] : std::nan(""),
                c.count[g] ? c.sum[g] / c.count[g] : std::nan(""), c.count[g],
                c.count[g] ? c.sum_error[g] / c.count[g] : std::nan(""),
                c.count[g] > 1 ? std::sqrt((c.sum_value2[g] - c.sum_value[g] * c.sum_value[g] / c.count[g]) / (c.count[g] - 1))
                               : std::nan(""));
  ASSERT_GT(c.pooled_count, 0);
  const double pooled = double(c.pooled_within2) / c.pooled_count;
  std::printf("  pooled: %ld pairs, |z| <= 2: %.4f, mean z = %.4f, error/scatter %.3f\n",
              c.pooled_count, pooled, c.pooled_sum / c.pooled_count, c.error_over_scatter());
  EXPECT_GE(pooled, 0.92);
  EXPECT_LE(std::fabs(c.pooled_sum / c.pooled_count), 0.3);
  for (int g = 0; g < grid.points; ++g)
    if (c.count[g]) EXPECT_GE(double(c.within2[g]) / c.count[g], 0.80) << "t = " << grid.time(g);
}

Model coverage_case(const std::string& which) {
  if (which == "nb2") {
    Model m = small_model(2, 3, 0.0, BatteryInit::ground);
    m.local.charger = {0.2, 0.0, 0.3};
    m.local.battery = {0.2, 0.0, 0.3};
    return m;
  }
  if (which == "nb4") {
    Model m = small_model(4, 8, 0.3, BatteryInit::ground);
    m.local.charger = {0.1, 0.05, 0.1};
    m.local.battery = {0.1, 0.05, 0.1};
    return m;
  }
  if (which == "dephasing") {
    Model m = small_model(3, 5, 0.0, BatteryInit::ground);
    m.local.battery = {0.0, 0.0, 0.5};
    return m;
  }
  if (which == "charger") {  // the battery stays in j_B = N_B/2: W_B_sym is defined
    Model m = small_model(3, 5, 0.1, BatteryInit::ground);
    m.local.charger = {0.2, 0.1, 0.3};
    return m;
  }
  Model m = small_model(3, 6, 0.1, BatteryInit::thermal);  // "thermal"
  m.local.battery = {0.1, 0.0, 0.2};
  return m;
}

// Fast fixed-seed version of the coverage: 3 seeds x 16 times of W_B on two cases and of
// W_B_sym where the battery keeps j_B = N_B/2. Tolerance |z| <= 4.5: z has ~t(99) tails (100
// blocks), P(|z| > 4.5) = 1.8e-5 per check, so a correct engine fails one of these 144
// checks with probability below 2.6e-3 (union bound); ignoring the multiplicities or the
// sectors j_B < N_B/2 moves W_B by 0.05-0.2, 10-40 errors here.
TEST(LocalTrajectories, ErgotropyAgainstExactFewSeeds) {
  for (const char* name : {"nb4", "charger"}) {
    const Model m = coverage_case(name);
    const TimeGrid grid{3.0, 16};
    const TimeSeries exact = solve_exact_local(m, m.local, grid);
    for (const char* column : {"W_B", "W_B_sym"}) {
      if (std::string(column) == "W_B_sym" && std::string(name) != "charger") continue;
      const Column& e = exact.column(column);
      for (std::uint64_t seed = 31; seed < 34; ++seed) {
        EnsembleOptions options;
        options.sampling = Sampling::trajectories;  // auto would take the exact solver
        options.trajectories = 3000;
        options.blocks = 100;
        options.seed = seed;
        options.observables = {column};
        const Column s = run_ensemble(m, grid, options).series.column(column);
        for (int g = 0; g < grid.points; ++g) {
          ASSERT_FALSE(std::isnan(s.value[g]) || std::isnan(e.value[g])) << name << " " << column;
          if (s.error[g] == 0) {  // t = 0: every trajectory starts in the same state
            EXPECT_NEAR(s.value[g], e.value[g], 1e-12) << name << " " << column << " t = " << grid.time(g);
            continue;
          }
          EXPECT_LE(std::fabs(s.value[g] - e.value[g]), 4.5 * s.error[g])
              << name << " " << column << " seed " << seed << " t = " << grid.time(g) << ": "
              << s.value[g] << " +- " << s.error[g] << " vs exact " << e.value[g];
        }
      }
    }
  }
}

// W_B_sym is undefined (NaN, with a note) once single-spin noise on the battery can have
// moved it out of j_B = N_B/2, and defined at t = 0 from the ground state (exact solver alike).
TEST(LocalTrajectories, SymmetricErgotropyNaNOnceBatteryCanLeave) {
  const Model m = coverage_case("nb2");
  EnsembleOptions options;
  options.sampling = Sampling::trajectories;  // auto would take the exact solver
  options.trajectories = 200;
  options.seed = 3;
  const TimeSeries s = run_ensemble(m, TimeGrid{1.0, 5}, options).series;
  const Column& w = s.column("W_B_sym");
  EXPECT_EQ(w.value[0], 0.0);
  for (int g = 1; g < 5; ++g) EXPECT_TRUE(std::isnan(w.value[g])) << g;
  EXPECT_NE(w.note.find("j_B = N_B/2"), std::string::npos) << w.note;
  const TimeSeries e = solve_exact_local(m, m.local, TimeGrid{1.0, 5});
  for (int g = 0; g < 5; ++g) EXPECT_EQ(std::isnan(w.value[g]), std::isnan(e.column("W_B_sym").value[g])) << g;
}

class ErgotropyCoverage : public ::testing::TestWithParam<const char*> {};

TEST_P(ErgotropyCoverage, ManySeeds) {
  const char* spec = std::getenv("DARKCHARGE_LOCAL_COVERAGE");
  if (!spec) GTEST_SKIP() << "set DARKCHARGE_LOCAL_COVERAGE=1 (or =\"n blocks\")";
  long n = 500, given_n = 0;
  int blocks = 50, given_blocks = 0;
  if (std::sscanf(spec, "%ld %d", &given_n, &given_blocks) == 2) n = given_n, blocks = given_blocks;
  const Model m = coverage_case(GetParam());
  ergotropy_coverage_table(m, TimeGrid{3.0, 16}, n, blocks, "W_B");
  if (std::string(GetParam()) == "charger") ergotropy_coverage_table(m, TimeGrid{3.0, 16}, n, blocks, "W_B_sym");
}

INSTANTIATE_TEST_SUITE_P(LocalTrajectoriesCoverage, ErgotropyCoverage,
                         ::testing::Values("nb2", "nb4", "dephasing", "thermal", "charger"));

// The panel case N_B = 10, N_C = 40: nbar = 0.1, g_down = g_phi = 0.05 on both ensembles,
// battery ground, 11 times to t = 0.5 (solve_exact_local: 1.5 CPU-s).
Model panel_case() {
  Model m = small_model(10, 40, 0.1, BatteryInit::ground);
  m.local.charger = m.local.battery = {0.05, 0.0, 0.05};
  return m;
}
const TimeGrid kPanelGrid{0.5, 11};

/// z of every column the exact solver also gives, per (column, time), over seeds
/// [first_seed, first_seed + seeds). NaN in both (W_B_sym once the battery can leave its
/// sector) is skipped; a zero error (to rounding: t = 0, where every trajectory holds the
/// initial state) is skipped where the value is the exact one to 1e-9 and counted as
/// |z| = 1e9 otherwise.
std::map<std::string, TimeCoverage> column_coverage(const Model& m, const TimeGrid& grid, long n,
                                                    int blocks, std::uint64_t first_seed, int seeds) {
  const TimeSeries exact = solve_exact_local(m, m.local, grid);
  std::map<std::string, TimeCoverage> by_column;
  for (std::uint64_t seed = first_seed; seed < first_seed + seeds; ++seed) {
    EnsembleOptions options;
    options.sampling = Sampling::trajectories;
    options.trajectories = n;
    options.seed = seed;
    options.blocks = blocks;
    const TimeSeries sampled = run_ensemble(m, grid, options).series;
    for (const Column& s : sampled.columns) {
      if (!exact.has(s.name)) continue;  // N_em, N_abs, F_em: not of rho
      const Column& e = exact.column(s.name);
      auto [it, fresh] = by_column.try_emplace(s.name);
      TimeCoverage& c = it->second;
      if (fresh) c = {std::vector<long>(grid.points), std::vector<long>(grid.points), std::vector<double>(grid.points)};
      for (int g = 0; g < grid.points; ++g) {
        if (std::isnan(e.value[g]) || std::isnan(s.value[g])) {
          EXPECT_EQ(std::isnan(e.value[g]), std::isnan(s.value[g])) << s.name << " at t = " << grid.time(g);
          continue;
        }
        const double diff = s.value[g] - e.value[g];
        double z;
        if (s.error[g] <= 1e-12 * std::max(1.0, std::fabs(e.value[g]))) {  // zero up to rounding
          if (std::fabs(diff) <= 1e-9) continue;
          z = std::copysign(1e9, diff);
        } else {
          z = diff / s.error[g];
        }
        c.add(g, z, s.value[g], s.error[g]);
        if (std::fabs(z) > c.largest) {
          c.largest = std::fabs(z);
          c.largest_at = "seed " + std::to_string(seed) + ", t = " + std::to_string(grid.time(g)) + ": " +
                         std::to_string(s.value[g]) + " +- " + std::to_string(s.error[g]) + " vs exact " +
                         std::to_string(e.value[g]);
        }
      }
    }
  }
  for (auto& [name, c] : by_column)
    for (int g = 0; g < grid.points; ++g) {
      c.pooled_count += c.count[g];
      c.pooled_within2 += c.within2[g];
      c.pooled_sum += c.sum[g];
    }
  return by_column;
}

/// Prints and checks the coverage of every column over 100 seeds: per column, |z| <= 2 in
/// >= 92% of the (seed, time) pairs pooled and >= 80% at every time, mean z (clipped to
/// +-10) within +-0.3.
void check_column_coverage(const Model& m, const TimeGrid& grid, std::uint64_t first_seed,
                           const std::string& label) {
  const char* spec = std::getenv("DARKCHARGE_LOCAL_COVERAGE");
  long n = 500, given_n = 0;
  int blocks = 50, given_blocks = 0;
  if (std::sscanf(spec, "%ld %d", &given_n, &given_blocks) == 2) n = given_n, blocks = given_blocks;
  const auto by_column = column_coverage(m, grid, n, blocks, first_seed, 100);
  std::printf("  %s, n = %ld, %d blocks, 100 seeds, %d times to t = %g\n"
              "  column       pooled |z|<=2  worst time (t)  mean z  error/scatter  pairs\n",
              label.c_str(), n, blocks, grid.points, grid.t_max);
  for (const auto& [name, c] : by_column) {
    if (c.pooled_count == 0) continue;
    double worst = 1, worst_t = 0;
    for (int g = 0; g < grid.points; ++g)
      if (c.count[g] && double(c.within2[g]) / c.count[g] < worst)
        worst = double(c.within2[g]) / c.count[g], worst_t = grid.time(g);
    const double pooled = double(c.pooled_within2) / c.pooled_count, mean = c.pooled_sum / c.pooled_count;
    std::printf("  %-12s %6.3f         %6.3f (%.2f)   %+6.3f  %6.3f         %ld\n", name.c_str(), pooled,
                worst, worst_t, mean, c.error_over_scatter(), c.pooled_count);
    EXPECT_GE(pooled, 0.92) << name;
    EXPECT_LE(std::fabs(mean), 0.3) << name;
    for (int g = 0; g < grid.points; ++g)
      if (c.count[g]) EXPECT_GE(double(c.within2[g]) / c.count[g], 0.80) << name << " t = " << grid.time(g);
  }
}

// Coverage of every column of the panel case over 100 seeds (DARKCHARGE_LOCAL_COVERAGE=1 to
// run, or ="n blocks"). Prints the table.
TEST(LocalTrajectoriesCoverage, PanelNb10Nc40EveryColumn) {
  if (!std::getenv("DARKCHARGE_LOCAL_COVERAGE")) GTEST_SKIP() << "set DARKCHARGE_LOCAL_COVERAGE=1 (or =\"n blocks\")";
  check_column_coverage(panel_case(), kPanelGrid, 3000, "N_B = 10, N_C = 40");
}

// Every column of the small cases of the panel (coverage_case, and "unequal": charger and
// battery decay differ, so G is not diagonal in the coupled basis) over 100 seeds, 16 times
// to t = 3 (DARKCHARGE_LOCAL_COVERAGE=1 to run).
class EveryColumnCoverage : public ::testing::TestWithParam<const char*> {};

TEST_P(EveryColumnCoverage, ManySeeds) {
  if (!std::getenv("DARKCHARGE_LOCAL_COVERAGE")) GTEST_SKIP() << "set DARKCHARGE_LOCAL_COVERAGE=1 (or =\"n blocks\")";
  const std::string which = GetParam();
  Model m;
  if (which == "unequal") {
    m = small_model(3, 5, 0.3, BatteryInit::thermal);
    m.local.charger = {0.05, 0.1, 0.0};
    m.local.battery = {0.4, 0.0, 0.6};
  } else {
    m = coverage_case(which);
  }
  check_column_coverage(m, TimeGrid{3.0, 16}, 5000, which);
}

INSTANTIATE_TEST_SUITE_P(LocalTrajectoriesCoverage, EveryColumnCoverage,
                         ::testing::Values("nb2", "nb4", "dephasing", "thermal", "charger", "unequal"));

// Fast fixed-seed version: 3 seeds of 2000 trajectories (100 blocks), every column the exact
// solver gives (S_B and dS_B_dt included), at 10 times t > 0. Tolerance |z| <= 5: ~t(99)
// tails give P(|z| > 5) = 2.5e-6 per check, so the 573 checks fail for a correct engine with
// probability below 1.5e-3 (union bound).
TEST(LocalTrajectories, PanelNb10Nc40AgainstExactFewSeeds) {
  const Model m = panel_case();
  const auto by_column = column_coverage(m, kPanelGrid, 2000, 100, 61, 3);
  long checks = 0;
  for (const auto& [name, c] : by_column) {
    checks += c.pooled_count;
    EXPECT_LE(c.largest, 5.0) << name << " at " << c.largest_at;
  }
  std::printf("  %ld checks\n", checks);
  EXPECT_GT(checks, 400);
}

}  // namespace
}  // namespace darkcharge

namespace darkcharge {
namespace {

// The Lanczos propagation of long blocks (krylov_no_jump.hpp) against the eigendecomposition
// of every block, trajectory by trajectory from the same random numbers: G not diagonal in
// the coupled basis (unequal charger and battery decay), both collective channels, pumping,
// a thermal battery, blocks of up to 31 rows against Lanczos bases of 8 to 31 vectors. A
// jump time off by more than ~1e-10 would, sooner or later, change which channel a uniform
// number picks and then the whole trajectory; the states at every grid time must agree to
// 1e-8 (the propagation is trusted to 1e-10 relative per step).
TEST(LocalTrajectories, LanczosPropagationEqualsEigendecomposition) {
  Model m = small_model(30, 60, 0.3, BatteryInit::thermal);
  m.local.charger = {0.05, 0.02, 0.1};
  m.local.battery = {0.3, 0.0, 0.2};
  const TimeGrid grid{1.0, 11};
  NoJumpCache by_eigenvectors(m, 512.0 * (1 << 20), 1 << 30), by_lanczos(m, 512.0 * (1 << 20), 0);
  long jumps = 0;
  for (std::uint64_t k = 0; k < 20; ++k) {
    std::vector<std::vector<double>> states[2];
    LocalTrajectoryStats stats[2];
    NoJumpCache* caches[2] = {&by_eigenvectors, &by_lanczos};
    for (int which = 0; which < 2; ++which) {
      Rng rng = trajectory_rng(7, k);
      stats[which] = run_local_trajectory(m, grid, rng, *caches[which],
                                          [&](int, const LocalJumpState& psi, const LocalTrajectoryStats&) {
                                            states[which].push_back(psi.amp);
                                          });
    }
    ASSERT_EQ(stats[0].jumps, stats[1].jumps) << "trajectory " << k;
    ASSERT_EQ(stats[0].local_jumps, stats[1].local_jumps) << "trajectory " << k;
    ASSERT_EQ(states[0].size(), states[1].size());
    for (std::size_t g = 0; g < states[0].size(); ++g) {
      ASSERT_EQ(states[0][g].size(), states[1][g].size()) << "trajectory " << k << ", time " << g;
      for (std::size_t i = 0; i < states[0][g].size(); ++i)
        EXPECT_NEAR(states[0][g][i], states[1][g][i], 1e-8) << "trajectory " << k << ", time " << g;
    }
    jumps += stats[0].jumps;
  }
  EXPECT_GT(jumps, 20 * 30);  // the trajectories do jump: ~100 collective jumps each
}

}  // namespace
}  // namespace darkcharge
