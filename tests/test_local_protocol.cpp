// Local-noise trajectories through protocols (run_local_protocol, the LocalNoiseSampler with
// a protocol): the collective channel of each reservoir coupling on one state, the segments
// against the exact protocol solver (solve_exact_protocol) column by column, equal segments
// against the plain run, the battery's superradiant cascade (reservoir on the battery alone)
// against an independent master equation of its level populations, and thread-count
// invariance.
//
// Tolerances: z = (trajectory - exact) / standard error, the error from 100 block means
// (Student t, 99 degrees of freedom): P(|z| > 5) = 2.5e-6 per check for a correct engine.
// ChargePulseStoreAgainstTheExactProtocolSolver makes <= 800 checks over its three cases
// (542 measured, S_B and dS_B_dt included), so by the union (Bonferroni) bound it fails falsely with probability
// < 800 x 2.5e-6 = 0.2%; the cascade test makes 4 x 42 = 168 checks at |z| <= 5, < 0.05%.
// Jackknife columns (sigma_B, W_B) are treated alike. Seeds are fixed, so each test is
// deterministic.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "darkcharge/darkcharge.hpp"
#include "darkcharge/exact/reduced_dicke_solver.hpp"
#include "darkcharge/physics/local_jump_state.hpp"
#include "darkcharge/physics/protocol.hpp"
#include "darkcharge/run/local_trajectory.hpp"

namespace darkcharge {
namespace {

Model base_model(int nb, int nc, double nbar) {
  Model m;
  m.n_battery = nb;
  m.n_charger = nc;
  m.nbar = nbar;
  return m;
}

/// Charge through the shared reservoir, a battery dephasing pulse, then storage with the
/// reservoir on the battery alone and single-spin decay of the battery.
const char* kChargePulseStore =
    R"([{"duration": 0.6}, {"duration": 0.05, "battery_dephasing": 20},
        {"duration": 0.8, "reservoir": "battery", "battery_decay": 0.3}])";

EnsembleOptions trajectory_options(long n, std::uint64_t seed, int blocks = 100) {
  EnsembleOptions options;
  options.sampling = Sampling::trajectories;  // auto would take the exact solver
  options.trajectories = n;
  options.seed = seed;
  options.blocks = blocks;
  return options;
}

// The collective channel of each coupling: sum_k ||K_k psi||^2 = 2 <psi|G|psi>, and the
// emission channel's norm is emission_rate x <K^+K^-> as observe() reports it (absorption
// alike), K = J, J_B, J_C or none.
TEST(LocalJumpStateReservoir, JumpNormsAndCurrentsFollowTheCoupling) {
  Model m = base_model(3, 5, 0.4);
  m.local.charger = {0.3, 0.2, 0.5};
  m.local.battery = {0.7, 0.1, 0.9};
  std::mt19937_64 gen(11);
  std::normal_distribution<double> normal;
  for (ReservoirCoupling coupling : {ReservoirCoupling::both, ReservoirCoupling::battery,
                                     ReservoirCoupling::charger, ReservoirCoupling::none}) {
    m.reservoir = coupling;
    const std::vector<JumpChannel> channels = jump_channels(m);
    EXPECT_EQ(channels.size(), coupling == ReservoirCoupling::none ? 18u : 20u);
    for (double jc : {2.5, 1.5})
      for (double jb : {1.5, 0.5})
        for (double M = -(jc + jb); M <= jc + jb + 0.25; M += 1) {
          LocalJumpState psi{jc, jb, M, std::vector<double>(block_size(jc, jb, M))};
          double norm = 0;
          for (double& a : psi.amp) norm += (a = normal(gen)) * a;
          for (double& a : psi.amp) a /= std::sqrt(norm);
          const double g = expectation(no_jump_generator(m, jc, jb, M), psi.amp);
          double jumps = 0, emitted = 0, absorbed = 0;
          LocalJumpState out;
          for (const JumpChannel& k : channels) {
            const double w = apply_jump(m, k, psi, out);
            jumps += w;
            if (k.process.kind == ProcessKind::emission) emitted = w;
            if (k.process.kind == ProcessKind::absorption) absorbed = w;
          }
          const LocalSnapshot s = observe(m, psi);
          const std::string at = fmt::format("{} at ({}, {}, {})", to_string(coupling), jc, jb, M);
          EXPECT_NEAR(jumps, 2 * g, 1e-10 * std::max(1.0, g)) << at;
          EXPECT_NEAR(emitted, m.emission_rate() * (coupling == ReservoirCoupling::none ? 0.0 : s.emission), 1e-10) << at;
          EXPECT_NEAR(absorbed, m.absorption_rate() * (coupling == ReservoirCoupling::none ? 0.0 : s.absorption), 1e-10) << at;
          if (coupling == ReservoirCoupling::none) {
            EXPECT_EQ(s.emission, 0.0) << at;
            EXPECT_EQ(s.absorption, 0.0) << at;
          }
        }
  }
}

// Without the shared reservoir G has no exchange term: the cache keeps its diagonal alone.
TEST(LocalJumpStateReservoir, CacheKeepsOnlyTheDiagonalWithoutTheSharedReservoir) {
  Model m = base_model(4, 6, 0.3);
  m.local.battery = {0.2, 0.1, 0.0};
  for (ReservoirCoupling coupling : {ReservoirCoupling::battery, ReservoirCoupling::charger, ReservoirCoupling::none}) {
    m.reservoir = coupling;
    NoJumpCache cache(m);
    const NoJumpCache::Block& b = cache.at(3, 2, 0);
    const BlockTridiagonal g = no_jump_generator(m, 3, 2, 0);
    EXPECT_EQ(b.vectors.size(), 0);
    ASSERT_EQ(b.lambda.size(), static_cast<Eigen::Index>(g.diagonal.size()));
    for (std::size_t i = 0; i < g.diagonal.size(); ++i) EXPECT_EQ(b.lambda[i], g.diagonal[i]);
  }
  m.reservoir = ReservoirCoupling::both;
  NoJumpCache cache(m);
  EXPECT_EQ(cache.at(3, 2, 0).vectors.rows(), block_size(3, 2, 0));
}

/// Worst |z| of every column of a trajectory run through `protocol` against the exact
/// protocol solver; zero errors must agree to rounding, NaN where the other is NaN.
double worst_z(const Protocol& protocol, const TimeGrid& grid, long n, std::uint64_t seed, long& checks) {
  const TimeSeries sampled = run_ensemble(plan_ensemble(protocol, grid, trajectory_options(n, seed))).series;
  const TimeSeries exact = solve_exact_protocol(protocol, grid);
  double worst = 0;
  std::string worst_at;
  int columns = 0;
  for (const Column& c : sampled.columns) {
    if (!exact.has(c.name)) continue;  // N_em, N_abs, F_em: the jump record, not of rho
    ++columns;
    const Column& e = exact.column(c.name);
    for (std::size_t g = 0; g < c.value.size(); ++g) {
      const std::string at = c.name + " at t = " + std::to_string(sampled.time[g]);
      EXPECT_EQ(sampled.time[g], exact.time[g]);
      if (std::isnan(c.value[g]) || std::isnan(e.value[g])) {
        EXPECT_EQ(std::isnan(c.value[g]), std::isnan(e.value[g])) << at;
        continue;
      }
      const double scale = std::max(1.0, std::fabs(e.value[g]));
      if (c.error[g] <= 1e-12 * scale) {
        EXPECT_NEAR(c.value[g], e.value[g], 1e-8 * scale) << at << " (zero error)";
        continue;
      }
      ++checks;
      const double z = (c.value[g] - e.value[g]) / c.error[g];
      if (std::fabs(z) > worst) {
        worst = std::fabs(z);
        worst_at = at;
      }
    }
  }
  EXPECT_EQ(columns, 16 + protocol.segments[0].model.n_battery / 2 + 1);  // every column, S_B, dS_B_dt included
  std::printf("  worst |z| = %.2f (%s)\n", worst, worst_at.c_str());
  return worst;
}

// (a) Charge (shared reservoir), battery dephasing pulse, storage (reservoir on the battery,
// battery decay) at N_B = 2..4, N_C = 4..8, one case with a warm reservoir (thermal battery,
// absorption): every column within |z| <= 5 of the exact protocol solver.
TEST(LocalProtocol, ChargePulseStoreAgainstTheExactProtocolSolver) {
  struct Case {
    int nb, nc;
    double nbar;
  };
  long checks = 0;
  for (const Case& c : {Case{2, 4, 0.0}, Case{3, 6, 0.2}, Case{4, 8, 0.0}}) {
    const Protocol protocol = parse_protocol(kChargePulseStore, base_model(c.nb, c.nc, c.nbar));
    const TimeGrid grid = protocol_time_grid(protocol, 12);
    EXPECT_LE(worst_z(protocol, grid, 4000, 17 + c.nb, checks), 5.0) << c.nb << " " << c.nc;
  }
  std::printf("  %ld checks\n", checks);
  EXPECT_LE(checks, 800);  // the bound the false-failure rate above is computed for
  EXPECT_GE(checks, 300);
}

void expect_same_to_rounding(const TimeSeries& a, const TimeSeries& b) {
  ASSERT_EQ(a.time, b.time);
  double largest = 0;
  ASSERT_EQ(a.columns.size(), b.columns.size());
  for (std::size_t c = 0; c < a.columns.size(); ++c) {
    ASSERT_EQ(a.columns[c].name, b.columns[c].name);
    for (std::size_t g = 0; g < a.time.size(); ++g)
      for (const auto& [x, y] : {std::pair{a.columns[c].value[g], b.columns[c].value[g]},
                                 std::pair{a.columns[c].error[g], b.columns[c].error[g]}}) {
        if (std::isnan(x) || std::isnan(y)) {
          EXPECT_EQ(std::isnan(x), std::isnan(y)) << a.columns[c].name << " at t = " << a.time[g];
          continue;
        }
        EXPECT_NEAR(x, y, 1e-10 * std::max(1.0, std::fabs(x))) << a.columns[c].name << " at t = " << a.time[g];
        largest = std::max(largest, std::fabs(x - y) / std::max(1.0, std::fabs(x)));
      }
  }
  std::printf("  largest difference %.2g\n", largest);
}

// (b) Segments that all equal the base model: the plain run's trajectories (the same
// jumps: N_em, N_abs, F_em agree) and numbers. Not bit for bit: at each boundary the waiting
// time is re-solved from the renormalized state with the carried target, which moves the
// jump times by rounding (measured: at most 2.7e-15 relative in every column). Both engines:
// G not diagonal in the coupled basis (product basis, eigendecompositions) and diagonal
// there (the coupled path).
TEST(LocalProtocol, EqualSegmentsGiveThePlainRun) {
  for (double charger_decay : {0.4, 0.1}) {
    Model m = base_model(3, 5, 0.3);
    m.local.charger = {charger_decay, 0.0, 0.2};
    m.local.battery = {0.1, 0.0, 0.5};
    const Protocol protocol = parse_protocol(R"([{"duration": 0.3}, {"duration": 0.45}, {"duration": 0.25}])", m);
    const TimeGrid grid = protocol_time_grid(protocol, 21);  // the boundaries are grid times already
    ASSERT_EQ(grid.points, 21);
    EnsembleOptions options = trajectory_options(400, 9, 20);
    const EnsemblePlan plan = plan_ensemble(protocol, grid, options);
    ASSERT_TRUE(plan.protocol.has_value());
    const TimeSeries through = run_ensemble(plan).series;
    const TimeSeries plain = run_ensemble(m, grid, options).series;
    EXPECT_TRUE(through.has("N_em"));
    expect_same_to_rounding(through, plain);
  }
}

// A one-segment protocol through run_local_protocol is run_local_trajectory bit for bit.
TEST(LocalProtocol, OneSegmentIsThePlainTrajectoryExactly) {
  Model m = base_model(3, 5, 0.3);
  m.local.charger = {0.4, 0.0, 0.2};
  m.local.battery = {0.1, 0.0, 0.5};
  const Protocol protocol = parse_protocol(R"([{"duration": 1.0}])", m);
  const TimeGrid grid = protocol_time_grid(protocol, 11);
  for (std::uint64_t k = 0; k < 20; ++k) {
    std::vector<std::vector<double>> a, b;
    Rng rng_a = trajectory_rng(4, k), rng_b = trajectory_rng(4, k);
    NoJumpCache cache(m);
    std::vector<NoJumpCache> caches = protocol_caches(protocol);
    const LocalTrajectoryStats sa = run_local_trajectory(
        m, grid, rng_a, cache, [&](int, const LocalJumpState& psi, const LocalTrajectoryStats&) { a.push_back(psi.amp); });
    const LocalTrajectoryStats sb = run_local_protocol(
        protocol, grid, rng_b, caches, [&](int, const LocalJumpState& psi, const LocalTrajectoryStats&) { b.push_back(psi.amp); });
    EXPECT_EQ(sa.jumps, sb.jumps);
    EXPECT_EQ(a, b);
  }
}

// Equal segments on the Lanczos path (blocks longer than the cache's eigen_size_limit, here
// 1: every block of 2 rows or more; G not diagonal in the coupled basis): the plain
// trajectory's jumps, and its states at every grid time to 1e-8 (Lanczos is trusted to
// 1e-10 relative per step; the boundaries add steps).
TEST(LocalProtocol, EqualSegmentsOnTheLanczosPathGiveThePlainTrajectory) {
  Model m = base_model(3, 5, 0.3);
  m.local.charger = {0.4, 0.0, 0.2};
  m.local.battery = {0.1, 0.0, 0.5};
  const Protocol protocol = parse_protocol(R"([{"duration": 0.3}, {"duration": 0.45}, {"duration": 0.25}])", m);
  const TimeGrid grid = protocol_time_grid(protocol, 21);
  long jumps = 0;
  for (std::uint64_t k = 0; k < 40; ++k) {
    std::vector<std::vector<double>> a, b;
    Rng rng_a = trajectory_rng(6, k), rng_b = trajectory_rng(6, k);
    NoJumpCache cache(m, 1e8, 1);
    std::vector<NoJumpCache> caches;
    for (const ProtocolSegment& s : protocol.segments) caches.emplace_back(s.model, 1e8, 1);
    const LocalTrajectoryStats sa = run_local_trajectory(
        m, grid, rng_a, cache, [&](int, const LocalJumpState& psi, const LocalTrajectoryStats&) { a.push_back(psi.amp); });
    const LocalTrajectoryStats sb = run_local_protocol(
        protocol, grid, rng_b, caches, [&](int, const LocalJumpState& psi, const LocalTrajectoryStats&) { b.push_back(psi.amp); });
    EXPECT_EQ(sa.jumps, sb.jumps) << k;
    jumps += sa.jumps;
    ASSERT_EQ(a.size(), b.size());
    for (std::size_t g = 0; g < a.size(); ++g) {
      ASSERT_EQ(a[g].size(), b[g].size()) << k << " " << g;
      for (std::size_t i = 0; i < a[g].size(); ++i) EXPECT_NEAR(a[g][i], b[g][i], 1e-8) << k << " " << g;
    }
  }
  EXPECT_GT(jumps, 40);
}

/// The battery's level populations under its own collective channels, sector by sector:
/// p_m' = -(D_m + U_m) p_m + D_{m+1} p_{m+1} + U_{m-1} p_{m-1}, D_m = 2 gamma (nbar + 1)
/// (j + m)(j - m + 1), U_m = 2 gamma nbar (j - m)(j + m + 1), by classical RK4 with a step
/// far below 1 / (largest rate). The initial state: N_B independent spins up with probability
/// q, i.e. level (j, m) with d(N, j) states of probability q^(N/2+m) (1-q)^(N/2-m) each.
struct BatteryCascade {
  int n;
  std::vector<std::vector<double>> p;  // p[sector][j + m], sector = j_max - j
  std::vector<double> mult;            // d(N, j)

  BatteryCascade(int n_spins, double q) : n(n_spins) {
    auto binomial = [](int a, int b) {
      if (b < 0 || b > a) return 0.0;
      return std::exp(std::lgamma(a + 1.0) - std::lgamma(b + 1.0) - std::lgamma(a - b + 1.0));
    };
    for (int s = 0; s <= n / 2; ++s) {
      const double j = 0.5 * n - s;
      mult.push_back(binomial(n, s) - binomial(n, s - 1));
      std::vector<double> level(static_cast<int>(2 * j) + 1);
      for (std::size_t i = 0; i < level.size(); ++i) {
        const double m = i - j;  // N/2 + m spins up, N/2 - m down
        level[i] = mult.back() * std::pow(q, 0.5 * n + m) * std::pow(1 - q, 0.5 * n - m);
      }
      p.push_back(level);
    }
  }
  /// d p / dt of one sector at (gamma, nbar).
  static std::vector<double> rate(const std::vector<double>& x, double j, double gamma, double nbar) {
    const int L = static_cast<int>(x.size());
    std::vector<double> dx(L, 0.0);
    for (int i = 0; i < L; ++i) {
      const double m = i - j;
      const double down = 2 * gamma * (nbar + 1) * (j + m) * (j - m + 1), up = 2 * gamma * nbar * (j - m) * (j + m + 1);
      dx[i] -= (down + up) * x[i];
      if (i > 0) dx[i - 1] += down * x[i];
      if (i + 1 < L) dx[i + 1] += up * x[i];
    }
    return dx;
  }
  void advance(double dt, double gamma, double nbar, int steps) {
    for (std::size_t s = 0; s < p.size(); ++s) {
      const double j = 0.5 * n - s;
      std::vector<double>& x = p[s];
      const int L = static_cast<int>(x.size());
      for (int k = 0; k < steps; ++k) {
        auto add = [&](const std::vector<double>& a, const std::vector<double>& d, double h) {
          std::vector<double> r(L);
          for (int i = 0; i < L; ++i) r[i] = a[i] + h * d[i];
          return r;
        };
        const auto k1 = rate(x, j, gamma, nbar), k2 = rate(add(x, k1, dt / 2), j, gamma, nbar);
        const auto k3 = rate(add(x, k2, dt / 2), j, gamma, nbar), k4 = rate(add(x, k3, dt), j, gamma, nbar);
        for (int i = 0; i < L; ++i) x[i] += dt / 6 * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]);
      }
    }
  }
  /// <J_B^z>, <J_B^+J_B^->, <J_B^-J_B^+>.
  std::vector<double> moments() const {
    double jz = 0, em = 0, ab = 0;
    for (std::size_t s = 0; s < p.size(); ++s) {
      const double j = 0.5 * n - s;
      for (std::size_t i = 0; i < p[s].size(); ++i) {
        const double m = i - j;
        jz += m * p[s][i];
        em += (j + m) * (j - m + 1) * p[s][i];
        ab += (j - m) * (j + m + 1) * p[s][i];
      }
    }
    return {jz, em, ab};
  }
};

// (c) The reservoir on the battery alone at N_B = 40 (the charger idle, fully up): a thermal
// battery (nbar = 1, each spin up with probability 1/3) first held with no reservoir, then
// under J_B^-+ at nbar = 1 (stationary), then the superradiant cascade at nbar = 0, against
// the independent level-population equations above: E_B, P_B, I_em, I_abs within |z| <= 5.
TEST(LocalProtocol, BatteryReservoirIsTheOneEnsembleSuperradiantCascade) {
  const int nb = 40;
  Model base = base_model(nb, 4, 1.0);
  const Protocol protocol = parse_protocol(
      R"([{"duration": 0.02, "reservoir": "none"}, {"duration": 0.03, "reservoir": "battery"},
          {"duration": 0.35, "reservoir": "battery", "nbar": 0}])", base);
  const TimeGrid grid = protocol_time_grid(protocol, 41);
  EnsembleOptions options = trajectory_options(3000, 21);
  options.observables = {"E_B", "E_C", "P_B", "I_em", "I_abs"};
  const TimeSeries sampled = run_ensemble(plan_ensemble(protocol, grid, options)).series;
  const Column &e_b = sampled.column("E_B"), &e_c = sampled.column("E_C"), &p_b = sampled.column("P_B"),
               &i_em = sampled.column("I_em"), &i_abs = sampled.column("I_abs");
  BatteryCascade cascade(nb, 1.0 / 3.0);
  const std::vector<int> segment = segment_at_points(protocol, grid);
  double t = 0, worst = 0;
  long checks = 0;
  for (int g = 0; g < grid.points; ++g) {
    const Model& at = protocol.segments[segment[g]].model;
    // Advance the populations to this time with the model of the segment the stretch lies in.
    const double target = grid.time(g);
    const Model& during = protocol.segments[g > 0 ? segment[g - 1] : 0].model;
    const double dt = target - t;
    if (dt > 0) {
      const int steps = static_cast<int>(std::ceil(dt / 2e-5));
      const bool coupled = during.reservoir == ReservoirCoupling::battery;
      if (coupled) cascade.advance(dt / steps, during.gamma, during.nbar, steps);
      t = target;
    }
    const std::vector<double> mo = cascade.moments();
    const bool coupled = at.reservoir == ReservoirCoupling::battery;
    const double expected[] = {mo[0] / nb + 0.5,
                               coupled ? (-at.emission_rate() * mo[1] + at.absorption_rate() * mo[2]) / nb : 0.0,
                               coupled ? at.emission_rate() * mo[1] : 0.0, coupled ? at.absorption_rate() * mo[2] : 0.0};
    const Column* columns[] = {&e_b, &p_b, &i_em, &i_abs};
    for (int c = 0; c < 4; ++c) {
      const double value = columns[c]->value[g], error = columns[c]->error[g], scale = std::max(1.0, std::fabs(expected[c]));
      if (error <= 1e-12 * scale) {
        EXPECT_NEAR(value, expected[c], 1e-8 * scale) << columns[c]->name << " at t = " << target;
        continue;
      }
      ++checks;
      const double z = (value - expected[c]) / error;
      worst = std::max(worst, std::fabs(z));
      EXPECT_LE(std::fabs(z), 5.0) << columns[c]->name << " at t = " << target << ": " << value << " vs "
                                   << expected[c] << " +- " << error;
    }
    EXPECT_NEAR(e_c.value[g], 1.0, 1e-12);  // the charger never moves: no channel reaches it
  }
  std::printf("  %ld checks, worst |z| = %.2f; E_B from %.4f to %.4f (+- %.4f)\n", checks, worst,
              e_b.value.front(), e_b.value.back(), e_b.error.back());
  EXPECT_GE(checks, 120);
  // The cascade moves E_B by many standard errors (the comparison has power); the states
  // |j, -j> of every sector j < N_B/2 are dark, so much of the energy stays.
  EXPECT_LT(e_b.value.back(), e_b.value.front() - 10 * e_b.error.back());
}

// (d) The columns of a protocol run are the same bytes for 1 and 2 threads.
TEST(LocalProtocol, ThreadCountDoesNotChangeColumns) {
  const Protocol protocol = parse_protocol(kChargePulseStore, base_model(3, 5, 0.2));
  const TimeGrid grid = protocol_time_grid(protocol, 11);
  EnsembleOptions options = trajectory_options(300, 5, 10);
  options.threads = 1;
  const TimeSeries one = run_ensemble(plan_ensemble(protocol, grid, options)).series;
  options.threads = 2;
  const TimeSeries two = run_ensemble(plan_ensemble(protocol, grid, options)).series;
  ASSERT_EQ(one.columns.size(), two.columns.size());
  EXPECT_TRUE(one.has("W_B"));
  for (std::size_t c = 0; c < one.columns.size(); ++c) {
    const auto& a = one.columns[c];
    const auto& b = two.columns[c];
    ASSERT_EQ(a.name, b.name);
    EXPECT_EQ(0, std::memcmp(a.value.data(), b.value.data(), a.value.size() * sizeof(double))) << a.name;
    EXPECT_EQ(0, std::memcmp(a.error.data(), b.error.data(), a.error.size() * sizeof(double))) << a.name;
  }
}

// Work units through a protocol: run over two run_work_units() calls (MPI ranks, a
// checkpoint) and folded, they give the uninterrupted run's bytes; units of another protocol
// (or of none) are refused naming the segment and the key that differ.
TEST(LocalProtocol, UnitsSpreadOverCallsGiveTheSameBytesAndOtherProtocolsAreRefused) {
  const Protocol protocol = parse_protocol(kChargePulseStore, base_model(3, 5, 0.2));
  const TimeGrid grid = protocol_time_grid(protocol, 11);
  const EnsemblePlan plan = plan_ensemble(protocol, grid, trajectory_options(300, 5, 10));
  const EnsembleResult whole = run_ensemble(plan);
  std::map<long, std::string> units = run_work_units(plan, [](long u) { return u % 2 == 0; });
  const std::map<long, std::string> odd = run_work_units(plan, [](long u) { return u % 2 == 1; });
  units.insert(odd.begin(), odd.end());
  EnsemblePlan reduce = plan;
  reduce.options.completed_units = units;
  reduce.options.run_unit = [](long) { return false; };
  const EnsembleResult reduced = run_ensemble(reduce);
  EXPECT_EQ(reduced.stop_reason, "completed");
  EXPECT_EQ(reduced.trajectories_run, 300);
  ASSERT_EQ(whole.series.columns.size(), reduced.series.columns.size());
  for (std::size_t c = 0; c < whole.series.columns.size(); ++c) {
    const auto& a = whole.series.columns[c];
    const auto& b = reduced.series.columns[c];
    EXPECT_EQ(0, std::memcmp(a.value.data(), b.value.data(), a.value.size() * sizeof(double))) << a.name;
    EXPECT_EQ(0, std::memcmp(a.error.data(), b.error.data(), a.error.size() * sizeof(double))) << a.name;
  }

  Protocol other = protocol;
  other.segments[2].model.local.battery.decay = 0.4;
  EnsemblePlan resumed = plan_ensemble(other, grid, trajectory_options(300, 5, 10));
  resumed.options.completed_units = {{0, units.at(0)}};
  try {
    run_ensemble(resumed);
    ADD_FAILURE() << "a unit of another protocol was accepted";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("protocol segment 3: it was run with battery/decay 0.3, this run has 0.4"),
              std::string::npos) << e.what();
  }
  EnsemblePlan plain = plan_ensemble(protocol.segments[0].model, grid, trajectory_options(300, 5, 10));
  plain.model.local.battery.dephasing = 1e-9;  // local noise: the local-noise units, without a protocol
  plain.options.completed_units = {{0, units.at(0)}};
  try {
    run_ensemble(plain);
    ADD_FAILURE() << "a unit run through a protocol was accepted by a run without one";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("completed_units: unit 0"), std::string::npos) << e.what();
  }
}

// A checkpoint of units through a protocol fits the size `resume` accepts before reading
// it: every unit records the protocol's text, which checkpoint_max_bytes() must count (here
// a command-line charger dephasing and 2 output times, where that text outweighs the sums).
TEST(LocalProtocol, CheckpointBoundCountsTheProtocolText) {
  Model base = base_model(3, 5, 0.2);
  base.local.charger.dephasing = 0.1;
  const Protocol protocol = parse_protocol(kChargePulseStore, base);
  const TimeGrid grid = protocol_time_grid(protocol, 2);
  const EnsemblePlan plan = plan_ensemble(protocol, grid, trajectory_options(2000, 5, 10));
  const std::map<long, std::string> units = run_work_units(plan, [](long) { return true; });
  double bytes = 0;
  for (const auto& [u, unit] : units) bytes += 16 + double(unit.size());  // index, length, data
  RunRequest request;
  request.command = "simulate";
  request.model = base;
  request.grid = grid;
  request.ensemble = plan.options;
  request.protocol_bytes = protocol_json(protocol).size();
  // checkpoint_max_bytes(): 8 MiB for the command line and framing, then the units.
  EXPECT_LE(bytes, checkpoint_max_bytes(request) - double(8 << 20)) << units.size() << " units";
}

// Planning: cascade refused, auto takes the exact protocol solver when cheap (and its numbers),
// a grid without the boundaries refused naming it, a hand-made protocol that changes N_B refused.
TEST(LocalProtocol, PlanChoosesAndRefuses) {
  const Protocol protocol = parse_protocol(kChargePulseStore, base_model(2, 4, 0.0));
  const TimeGrid grid = protocol_time_grid(protocol, 11);
  EnsembleOptions options;
  options.sampling = Sampling::cascade;
  EXPECT_THROW(plan_ensemble(protocol, grid, options), InvalidArgument);
  options.sampling = Sampling::automatic;
  const EnsemblePlan plan = plan_ensemble(protocol, grid, options);
  EXPECT_EQ(plan.sampling.sampling, Sampling::exact);
  const EnsembleResult auto_run = run_ensemble(plan);
  const TimeSeries exact = solve_exact_protocol(protocol, grid);
  for (const Column& c : auto_run.series.columns) {
    const std::vector<double>& e = exact.column(c.name).value;
    ASSERT_EQ(c.value.size(), e.size());
    EXPECT_EQ(0, std::memcmp(c.value.data(), e.data(), e.size() * sizeof(double))) << c.name;
  }
  options.observables = {"E_B", "N_em"};  // N_em: only the trajectories record it
  EXPECT_EQ(plan_ensemble(protocol, grid, options).sampling.sampling, Sampling::trajectories);
  try {
    plan_ensemble(protocol, TimeGrid{protocol.total_duration(), 11}, options);
    ADD_FAILURE() << "a grid without the boundaries was accepted";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("boundary"), std::string::npos) << e.what();
  }
  Protocol changed = protocol;
  changed.segments[1].model.n_battery = 4;
  EXPECT_THROW(plan_ensemble(changed, grid, options), InvalidArgument);
  // A plain model with reservoir != both is refused by name (it is a protocol segment).
  Model battery_only = base_model(2, 4, 0.0);
  battery_only.reservoir = ReservoirCoupling::battery;
  try {
    plan_ensemble(battery_only, grid, EnsembleOptions{});
    ADD_FAILURE() << "reservoir battery accepted for a plain run";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("reservoir"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace darkcharge

namespace darkcharge {
namespace {

// Coverage of the error bars through a protocol over 100 seeds (DARKCHARGE_LOCAL_COVERAGE=1
// to run): the charge-pulse-store protocol at N_B = 3, N_C = 6, nbar = 0.2 and N_B = 4,
// N_C = 8, nbar = 0, 500 trajectories in 50 blocks per seed, every column the exact protocol
// solver gives, at every output time t > 0 (13 times, the boundaries among them). Per column:
// |z| <= 2 in >= 92% of the (seed, time) pairs pooled and >= 80% at every time, mean z
// (clipped to +-10) within +-0.3, as for the plain local-noise panel. Prints the table.
TEST(LocalProtocolCoverage, ChargePulseStoreManySeeds) {
  if (!std::getenv("DARKCHARGE_LOCAL_COVERAGE")) GTEST_SKIP() << "set DARKCHARGE_LOCAL_COVERAGE=1";
  struct Case {
    int nb, nc;
    double nbar;
  };
  for (const Case& c : {Case{3, 6, 0.2}, Case{4, 8, 0.0}}) {
    const Protocol protocol = parse_protocol(kChargePulseStore, base_model(c.nb, c.nc, c.nbar));
    const TimeGrid grid = protocol_time_grid(protocol, 12);
    const TimeSeries exact = solve_exact_protocol(protocol, grid);
    struct Tally {
      std::vector<long> count, within;
      std::vector<double> sum;
    };
    std::map<std::string, Tally> tally;
    for (std::uint64_t seed = 9000; seed < 9100; ++seed) {
      const TimeSeries sampled = run_ensemble(plan_ensemble(protocol, grid, trajectory_options(500, seed, 50))).series;
      for (const Column& s : sampled.columns) {
        if (!exact.has(s.name)) continue;
        const Column& e = exact.column(s.name);
        Tally& t = tally[s.name];
        t.count.resize(grid.points), t.within.resize(grid.points), t.sum.resize(grid.points);
        for (int g = 0; g < grid.points; ++g) {
          if (std::isnan(e.value[g]) || std::isnan(s.value[g])) continue;
          const double diff = s.value[g] - e.value[g];
          double z;
          if (s.error[g] <= 1e-12 * std::max(1.0, std::fabs(e.value[g]))) {  // zero to rounding
            if (std::fabs(diff) <= 1e-9) continue;
            z = std::copysign(1e9, diff);
          } else {
            z = diff / s.error[g];
          }
          ++t.count[g];
          t.within[g] += std::fabs(z) <= 2;
          t.sum[g] += std::max(-10.0, std::min(10.0, z));
        }
      }
    }
    std::printf("  N_B = %d, N_C = %d, nbar = %g: column, pooled |z|<=2, worst time, mean z, pairs\n", c.nb, c.nc, c.nbar);
    for (const auto& [name, t] : tally) {
      long count = 0, within = 0;
      double sum = 0, worst = 1;
      for (int g = 0; g < grid.points; ++g) {
        count += t.count[g], within += t.within[g], sum += t.sum[g];
        if (t.count[g]) worst = std::min(worst, double(t.within[g]) / t.count[g]);
      }
      if (count == 0) continue;
      std::printf("  %-12s %.3f  %.2f  %+.3f  %ld\n", name.c_str(), double(within) / count, worst, sum / count, count);
      EXPECT_GE(double(within) / count, 0.92) << name;
      EXPECT_GE(worst, 0.80) << name;
      EXPECT_LE(std::fabs(sum / count), 0.3) << name;
    }
  }
}

}  // namespace
}  // namespace darkcharge
