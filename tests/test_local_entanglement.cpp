// S_B and dS_B_dt of the local-noise trajectories (ensemble/local_noise_entanglement.hpp)
// against the exact reduced Dicke-basis solver (solve_exact_local: log2 of the sum over
// sectors (j_C, j_B) of ||rhot^{T_B}||_1, and its finite-difference derivative on the same
// grid). z = (trajectories - exact) / error, the error the jackknife over the blocks (with
// the rare-event floor where it is larger).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "darkcharge/darkcharge.hpp"
#include "darkcharge/core/byte_stream.hpp"
#include "darkcharge/exact/reduced_dicke_solver.hpp"
#include "darkcharge/physics/angular_momentum.hpp"
#include "ensemble/local_noise_entanglement.hpp"

namespace darkcharge {
namespace {

Model small_model(int nb, int nc, double nbar) {
  Model m;
  m.n_battery = nb;
  m.n_charger = nc;
  m.nbar = nbar;
  m.battery_init = BatteryInit::ground;
  return m;
}

/// N_B = 2, N_C = 3, nbar = 0: decay 0.2 and dephasing 0.3 per spin on both ensembles.
Model case_nb2() {
  Model m = small_model(2, 3, 0.0);
  m.local.charger = m.local.battery = {0.2, 0.0, 0.3};
  return m;
}

/// N_B = 4, N_C = 8, nbar = 0.3: decay 0.1, pumping 0.05, dephasing 0.1 on both ensembles.
Model case_nb4() {
  Model m = small_model(4, 8, 0.3);
  m.local.charger = m.local.battery = {0.1, 0.05, 0.1};
  return m;
}

/// N_B = 4, N_C = 8, nbar = 0: decay 0.1 and dephasing 0.1 on both ensembles.
Model case_nb4_cold() {
  Model m = small_model(4, 8, 0.0);
  m.local.charger = m.local.battery = {0.1, 0.0, 0.1};
  return m;
}

const TimeGrid kGrid{3.0, 16};

TimeSeries sampled(const Model& m, const TimeGrid& grid, long n, int blocks, std::uint64_t seed,
                   std::vector<std::string> observables = {"S_B", "dS_B_dt"}) {
  EnsembleOptions options;
  options.sampling = Sampling::trajectories;  // auto would take the exact solver
  options.trajectories = n;
  options.blocks = blocks;
  options.seed = seed;
  options.observables = std::move(observables);
  return run_ensemble(m, grid, options).series;
}

/// Per time, over seeds: how many z-scores, how many with |z| <= 2, their sum (each clipped to
/// +-10), the largest |z| and where.
struct Coverage {
  std::vector<long> count, within2;
  std::vector<double> sum;
  double largest = 0;
  std::string largest_at;
};

/// z of `name` against the exact column at every time; a zero error (t = 0, where every
/// trajectory holds the same state) must mean agreement to rounding.
void add_z(const Column& s, const Column& e, const TimeGrid& grid, std::uint64_t seed, Coverage& c) {
  for (int g = 0; g < grid.points; ++g) {
    ASSERT_FALSE(std::isnan(s.value[g]) || std::isnan(e.value[g])) << s.name << " t = " << grid.time(g);
    const double diff = s.value[g] - e.value[g];
    if (s.error[g] <= 1e-12 * std::max(1.0, std::fabs(e.value[g]))) {
      EXPECT_NEAR(s.value[g], e.value[g], 1e-8) << s.name << " t = " << grid.time(g) << " (zero error)";
      continue;
    }
    const double z = diff / s.error[g];
    ++c.count[g];
    c.within2[g] += std::fabs(z) <= 2;
    c.sum[g] += std::max(-10.0, std::min(10.0, z));
    if (std::fabs(z) > c.largest) {
      c.largest = std::fabs(z);
      char where[200];
      std::snprintf(where, sizeof where, "seed %llu, t = %.2f: %.5f +- %.5f vs exact %.5f",
                    static_cast<unsigned long long>(seed), grid.time(g), s.value[g], s.error[g], e.value[g]);
      c.largest_at = where;
    }
  }
}

std::map<std::string, Coverage> coverage(const Model& m, const TimeGrid& grid, long n, int blocks,
                                         std::uint64_t first_seed, int seeds) {
  const TimeSeries exact = solve_exact_local(m, m.local, grid);
  std::map<std::string, Coverage> out;
  for (const char* name : {"S_B", "dS_B_dt"})
    out[name] = {std::vector<long>(grid.points), std::vector<long>(grid.points), std::vector<double>(grid.points)};
  for (std::uint64_t seed = first_seed; seed < first_seed + seeds; ++seed) {
    const TimeSeries s = sampled(m, grid, n, blocks, seed);
    for (auto& [name, c] : out) add_z(s.column(name), exact.column(name), grid, seed, c);
  }
  return out;
}

// Fixed seeds: 3 seeds x 15 times t > 0 x 2 columns per case, 3000 trajectories in 100
// blocks. Tolerance |z| <= 4.5: z has ~t(99) tails, P(|z| > 4.5) = 1.8e-5 per check, so a
// correct estimator fails one of these 270 checks with probability below 0.5% (union bound;
// the checks are strongly correlated, so far less). Leaving out the sectors j_C < N_C/2 or
// j_B < N_B/2 (the weight they carry), or summing the sectors' states before the transpose,
// moves S_B by many errors here.
TEST(LocalEntanglement, AgainstExactFewSeeds) {
  for (const auto& [label, m] : {std::pair{"N_B = 2, N_C = 3", case_nb2()}, std::pair{"N_B = 4, N_C = 8, nbar = 0.3", case_nb4()},
                                 std::pair{"N_B = 4, N_C = 8, nbar = 0", case_nb4_cold()}}) {
    const auto c = coverage(m, kGrid, 3000, 100, 41, 3);
    for (const auto& [name, cov] : c) {
      long checks = 0;
      for (long k : cov.count) checks += k;
      std::printf("  %s %s: %ld checks, largest |z| = %.2f (%s)\n", label, name.c_str(), checks, cov.largest,
                  cov.largest_at.c_str());
      EXPECT_GE(checks, 3 * (kGrid.points - 1)) << label << " " << name;
      EXPECT_LE(cov.largest, 4.5) << label << " " << name << " at " << cov.largest_at;
    }
  }
}

// The columns do not depend on the thread count (each block is summed in index order by one
// thread, each output time estimated on its own).
TEST(LocalEntanglement, ThreadCountDoesNotChangeColumns) {
  const Model m = case_nb4();
  TimeSeries runs[2];
  for (int threads : {1, 2}) {
    EnsembleOptions options;
    options.sampling = Sampling::trajectories;
    options.trajectories = 400;
    options.blocks = 20;
    options.seed = 5;
    options.threads = threads;
    options.observables = {"S_B", "dS_B_dt"};
    runs[threads - 1] = run_ensemble(m, TimeGrid{2.0, 6}, options).series;
  }
  for (const char* name : {"S_B", "dS_B_dt"}) {
    EXPECT_EQ(runs[0].column(name).value, runs[1].column(name).value) << name;
    EXPECT_EQ(runs[0].column(name).error, runs[1].column(name).error) << name;
  }
}

// A target error on S_B stops the run after a whole round, and the numbers are those of a
// run of that many trajectories without stopping rules.
TEST(LocalEntanglement, TargetErrorOnSB) {
  const Model m = case_nb2();
  const TimeGrid grid{1.0, 5};
  EnsembleOptions options;
  options.sampling = Sampling::trajectories;
  options.trajectories = 100000;
  options.seed = 2;
  options.observables = {"S_B"};
  options.target_errors = {{"S_B", 0.2}};
  const EnsembleResult stopped = run_ensemble(m, grid, options);
  EXPECT_EQ(stopped.stop_reason, "target-error");
  ASSERT_LT(stopped.trajectories_run, 100000);
  const Column& s = stopped.series.column("S_B");
  EXPECT_LE(*std::max_element(s.error.begin(), s.error.end()), 0.2);
  options.target_errors.clear();
  options.trajectories = stopped.trajectories_run;
  const Column plain = run_ensemble(m, grid, options).series.column("S_B");
  EXPECT_EQ(plain.value, s.value);
  EXPECT_EQ(plain.error, s.error);
}

// Beyond the validated width 2 min(j_C, j_B) + 1 = 21 the columns are NaN, value and error,
// with the reason in the note, as on the collective path; nothing is kept.
TEST(LocalEntanglement, WithdrawnBeyondTheValidatedWidth) {
  Model m = small_model(21, 21, 0.0);
  m.local.battery = {0.01, 0.0, 0.01};
  const TimeSeries s = sampled(m, TimeGrid{0.1, 3}, 4, 2, 1, {"E_B", "S_B", "dS_B_dt"});
  for (const char* name : {"S_B", "dS_B_dt"}) {
    const Column& c = s.column(name);
    for (int g = 0; g < 3; ++g) EXPECT_TRUE(std::isnan(c.value[g]) && std::isnan(c.error[g])) << name << " " << g;
    EXPECT_NE(c.note.find("Withdrawn (nan)"), std::string::npos) << c.note;
    EXPECT_NE(c.note.find("= 21 (here 22)"), std::string::npos) << c.note;
  }
  EXPECT_FALSE(std::isnan(s.column("E_B").value[2]));
  EXPECT_FALSE(local_noise::EntanglementSums(m, 2, 3, true).keeping());
  EXPECT_EQ(local_noise::EntanglementSums::estimated_bytes(m, 3, 2, 4, 2), 0.0);
}

// A run whose kept states would exceed the memory bound is refused before any trajectory,
// naming the bound; S_B not asked for, the same run goes ahead.
TEST(LocalEntanglement, RefusedBeyondTheMemoryBound) {
  const Model m = case_nb4();
  EnsembleOptions options;
  options.sampling = Sampling::trajectories;
  options.trajectories = 1000;
  options.observables = {"E_B", "S_B"};
  options.entanglement_max_memory_gib = 1e-4;  // ~100 kB: 32 blocks x 50 times need more
  try {
    run_ensemble(m, TimeGrid{2.0, 50}, options);
    ADD_FAILURE() << "not refused";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("entanglement_max_memory_gib"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("GiB"), std::string::npos) << e.what();
  }
  options.observables = {"E_B"};
  options.trajectories = 50;
  EXPECT_NO_THROW(run_ensemble(m, TimeGrid{2.0, 50}, options));
}

/// A normalized state of block (j_C, j_B, M) with amplitudes from `seed`.
LocalJumpState state(double jc, double jb, double M, int seed) {
  LocalJumpState psi{jc, jb, M, {}};
  const double first = first_battery_level(jc, jb, M), last = std::min(jb, M + jc);
  double norm = 0;
  for (double mb = first; mb <= last + 0.25; mb += 1) norm += std::pow(psi.amp.emplace_back(std::sin(seed + 3 * mb + jc)), 2);
  for (double& a : psi.amp) a /= std::sqrt(norm);
  return psi;
}

// merge() adds two runs' sums, save()/load() reproduce them (the work-unit form); load refuses
// a block whose size does not fit its (j_C, j_B, M) and a j_C that is no charger sector.
TEST(LocalEntanglement, MergeSaveLoad) {
  const Model m = case_nb2();  // j_C = 3/2 or 1/2, j_B = 1 or 0
  const int blocks = 3, points = 2;
  const std::vector<LocalJumpState> states = {state(1.5, 1, 0.5, 1), state(0.5, 1, -0.5, 2), state(1.5, 0, 1.5, 3),
                                              state(0.5, 0, 0.5, 4), state(1.5, 1, -1.5, 5), state(1.5, 1, 0.5, 6)};
  local_noise::EntanglementSums all(m, blocks, points, true), first(m, blocks, points, true),
      second(m, blocks, points, true);
  // Every (block, time) gets the six states twice: 12 "trajectories" per block.
  for (std::size_t k = 0; k < 72; ++k) {
    const LocalJumpState& psi = states[k % 6];
    const int b = static_cast<int>((k / 6) % blocks), g = static_cast<int>((k / 18) % points);
    all.add(b, g, psi);
    (k < 30 ? first : second).add(b, g, psi);
  }
  first.merge(second);
  const std::vector<long> sizes = {12, 12, 12};
  const TimeGrid grid{1.0, points};
  const auto [s_all, r_all] = all.columns(grid, sizes);
  const auto [s_merged, r_merged] = first.columns(grid, sizes);
  for (int g = 0; g < points; ++g) {
    EXPECT_NEAR(s_merged.value[g], s_all.value[g], 1e-12);
    EXPECT_NEAR(s_merged.error[g], s_all.error[g], 1e-12);
    // Identical blocks: no root-n correction, the log-negativity of the mixture itself.
    EXPECT_GT(s_all.value[g], 0.01);
  }
  ByteWriter out;
  all.save(out);
  local_noise::EntanglementSums loaded(m, blocks, points, true);
  ByteReader in(out.bytes());
  loaded.load(in);
  const auto [s_loaded, r_loaded] = loaded.columns(grid, sizes);
  EXPECT_EQ(s_loaded.value, s_all.value);
  EXPECT_EQ(s_loaded.error, s_all.error);
  EXPECT_EQ(r_loaded.value, r_all.value);
  // Damaged copies: the first block's row count (after cells, sectors, j_C, count, j_B, M),
  // then the first j_C.
  std::string bad_rows = out.bytes(), bad_jc = out.bytes();
  const std::size_t jc_at = 2 * sizeof(std::uint64_t), rows_at = jc_at + 8 + 8 + 8 + 8;
  const std::int64_t rows = 7;
  std::memcpy(&bad_rows[rows_at], &rows, sizeof rows);
  const double jc = 1.0;
  std::memcpy(&bad_jc[jc_at], &jc, sizeof jc);
  for (const auto& [bytes, must_mention] : {std::pair{bad_rows, "rows, expected"}, std::pair{bad_jc, "j_C = 1"}}) {
    local_noise::EntanglementSums target(m, blocks, points, true);
    ByteReader damaged(bytes);
    try {
      target.load(damaged);
      ADD_FAILURE() << must_mention;
    } catch (const InvalidArgument& e) {
      EXPECT_NE(std::string(e.what()).find(must_mention), std::string::npos) << e.what();
    }
  }
}

// Coverage over 100 seeds (DARKCHARGE_LOCAL_COVERAGE=1, or ="n blocks"; default 500
// trajectories in 50 blocks): per case and column, the pooled fraction of |z| <= 2, the
// worst time's fraction, the mean z (clipped to +-10). Expected ~0.95 and 0 for honest
// errors (Student t with 49 degrees of freedom: 0.949). Checked against the project's
// targets, pooled >= 0.92 and >= 0.80 at every time, and |mean z| <= 0.3. With the
// first-order root-n correction S_B ran low (mean z -0.27 to -0.38 at n = 500, -0.19 to
// -0.55 at n = 2000); with the second order (local_noise_entanglement.cpp) measured -0.15 to
// +0.04 at n = 500, -0.17 to +0.03 at n = 2000, pooled 0.977-0.997.
TEST(LocalEntanglementCoverage, ManySeeds) {
  const char* spec = std::getenv("DARKCHARGE_LOCAL_COVERAGE");
  if (!spec) GTEST_SKIP() << "set DARKCHARGE_LOCAL_COVERAGE=1 (or =\"n blocks\")";
  long n = 500, given_n = 0;
  int blocks = 50, given_blocks = 0;
  if (std::sscanf(spec, "%ld %d", &given_n, &given_blocks) == 2) n = given_n, blocks = given_blocks;
  std::printf("  n = %ld, %d blocks, 100 seeds, 16 times to t = 3\n"
              "  case                         column    pooled |z|<=2  worst time (t)   mean z  pairs\n",
              n, blocks);
  for (const auto& [label, m] : {std::pair{"N_B=2 N_C=3 nbar=0", case_nb2()}, std::pair{"N_B=4 N_C=8 nbar=0.3 pump", case_nb4()},
                                 std::pair{"N_B=4 N_C=8 nbar=0", case_nb4_cold()}}) {
    const auto c = coverage(m, kGrid, n, blocks, 5000, 100);
    for (const auto& [name, cov] : c) {
      long count = 0, within = 0;
      double sum = 0, worst = 1, worst_t = 0;
      for (int g = 0; g < kGrid.points; ++g) {
        count += cov.count[g], within += cov.within2[g], sum += cov.sum[g];
        if (cov.count[g] && double(cov.within2[g]) / cov.count[g] < worst)
          worst = double(cov.within2[g]) / cov.count[g], worst_t = kGrid.time(g);
      }
      std::printf("  %-28s %-9s %6.3f         %6.3f (%.1f)    %+6.3f  %ld\n", label, name.c_str(),
                  double(within) / count, worst, worst_t, sum / count, count);
      EXPECT_GE(double(within) / count, 0.92) << label << " " << name;
      EXPECT_GE(worst, 0.80) << label << " " << name << " t = " << worst_t;
      EXPECT_LE(sum / count, 0.3) << label << " " << name;
      EXPECT_GE(sum / count, -0.3) << label << " " << name;
      for (int g = 0; g < kGrid.points; ++g)
        std::printf("      t = %.1f  |z|<=2 %.2f  mean z %+.2f\n", kGrid.time(g),
                    cov.count[g] ? double(cov.within2[g]) / cov.count[g] : std::nan(""),
                    cov.count[g] ? cov.sum[g] / cov.count[g] : std::nan(""));
    }
  }
}

}  // namespace
}  // namespace darkcharge
