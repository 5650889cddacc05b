// The coupled-basis exact solver against (1) the product-basis solver (independent: dense
// matrices, generic Lindblad right-hand side, adaptive Dormand-Prince), (2) independent
// solvers' curves in tests/data (QuTiP mesolve; a per-J cascade solver at 120 spins), (3) the
// closed-form steady state, and (4) its own general chains at nbar = 0 (checks the cascade).
#include <algorithm>
#include <complex>
#include <cmath>
#include <numeric>
#include <vector>
#include <string>

#include <gtest/gtest.h>

#include "test_models.hpp"

#include "darkcharge/physics/angular_momentum.hpp"
#include "darkcharge/physics/clebsch_gordan_recursion.hpp"
#include "darkcharge/physics/clebsch_gordan_table.hpp"
#include "darkcharge/exact/coupled_exact_solver.hpp"
#include "darkcharge/core/errors.hpp"
#include "darkcharge/physics/density_matrix.hpp"
#include "darkcharge/exact/exact_solver.hpp"
#include "darkcharge/exact/steady_state.hpp"
#include "darkcharge/exact/zero_temperature_cascade.hpp"
#include "reference_data.hpp"
#include "exact/rational_exponential.hpp"

#include <unsupported/Eigen/MatrixFunctions>

namespace darkcharge {
namespace {

using testing::make_model;

/// Largest |a - b| over every column and time; NaN must meet NaN (W_B_sym of a thermal
/// battery is undefined in both). The currents I_em, I_abs grow like N^2 (355 at N = 53), so
/// for them the tolerance is relative beyond 1, as in expect_matches_reference below.
void expect_same_series(const TimeSeries& a, const TimeSeries& b, double tolerance,
                        const std::string& what) {
  ASSERT_EQ(a.columns.size(), b.columns.size()) << what;
  for (const auto& column : a.columns) {
    const Column& other = b.column(column.name);
    const bool current = column.name == "I_em" || column.name == "I_abs";
    for (std::size_t g = 0; g < column.value.size(); ++g) {
      if (std::isnan(other.value[g])) {
        EXPECT_TRUE(std::isnan(column.value[g])) << what << " " << column.name;
        continue;
      }
      const double scale = current ? std::max(1.0, std::fabs(other.value[g])) : 1.0;
      ASSERT_NEAR(column.value[g], other.value[g], tolerance * scale)
          << what << " column " << column.name << " at t = " << a.time[g];
    }
  }
}

struct Case {
  int nb, nc;
  double nbar;
  BatteryInit init;
  double t_max;
};

std::string name(const Case& c) {
  return "nb" + std::to_string(c.nb) + "_nc" + std::to_string(c.nc) + "_" +
         (c.init == BatteryInit::ground ? "ground" : "thermal") + "_nbar" +
         std::to_string(static_cast<int>(c.nbar * 10));
}

class CoupledVsProduct : public ::testing::TestWithParam<Case> {};

// Both solvers integrate to ~1e-11 (product: Dormand-Prince at rtol 1e-10, atol 1e-12);
// dS_B_dt is a finite difference over a 0.1 step, which amplifies that by ~5.
TEST_P(CoupledVsProduct, AgreeInEveryColumn) {
  const Case c = GetParam();
  const Model model = make_model(c.nb, c.nc, c.nbar, c.init);
  const TimeGrid grid{c.t_max, 11};
  expect_same_series(solve_exact_coupled(model, grid), solve_exact(model, grid), 1e-9, name(c));
}

INSTANTIATE_TEST_SUITE_P(
    Cases, CoupledVsProduct,
    ::testing::Values(Case{2, 10, 0.0, BatteryInit::ground, 1.0},    // cascade, even N
                      Case{3, 8, 0.0, BatteryInit::ground, 1.0},     // cascade, odd N
                      Case{4, 3, 0.0, BatteryInit::thermal, 1.0},    // nbar = 0: thermal = ground
                      Case{3, 6, 0.3, BatteryInit::ground, 1.0},     // chains, even N
                      Case{2, 5, 0.5, BatteryInit::ground, 1.5},     // chains, odd N
                      Case{3, 5, 0.4, BatteryInit::thermal, 1.0},    // thermal, several sectors
                      Case{4, 2, 0.2, BatteryInit::thermal, 1.5},    // N_C < N_B
                      Case{1, 1, 1.0, BatteryInit::ground, 2.0}),    // paper appendix
    [](const auto& info) { return name(info.param); });

// gamma rescales time and omega drops out of the M blocks; the product solver keeps H.
TEST(CoupledExactSolver, AgreesWithProductForOtherGammaAndOmega) {
  for (double nbar : {0.0, 0.4}) {
    Model model = make_model(3, 7, nbar, BatteryInit::thermal);
    model.gamma = 0.7;
    model.omega = 2.5;
    const TimeGrid grid{1.5, 11};
    expect_same_series(solve_exact_coupled(model, grid), solve_exact(model, grid), 1e-9,
                       "gamma 0.7, omega 2.5, nbar " + std::to_string(nbar));
  }
}

// Output times far apart during the burst: one rational-exponential step per interval
// moved weight tens of levels at once, and the chain's non-normality (its diagonal
// similarity's entries differ by ((nbar + 1) / nbar)^(k/2) k levels apart) magnified the
// approximation's 2e-14 into S_B errors of 2.5e-7 here (0.33 at N_B = 20, N_C = 200). The
// step is now checked against two half steps and refined; measured 3e-12 from the product
// solver.
TEST(CoupledExactSolver, CoarseOutputTimesInTheBurstAgreeWithProduct) {
  const Model model = make_model(4, 40, 0.1, BatteryInit::thermal);
  const TimeGrid grid = TimeGrid::at_times({0.0, 0.02, 0.04});
  expect_same_series(solve_exact_coupled(model, grid), solve_exact(model, grid), 1e-9,
                     "N_B = 4, N_C = 40, nbar 0.1, times 0, 0.02, 0.04");
}

// A first interval much shorter than the second (not checked as a pair: kPairRatio in
// coupled_exact_chains.cpp), through the burst: every column at the last time against the
// product solver. dS_B_dt is left out: on these times its finite differences weigh S_B's
// ~1e-13 rounding at t = 1e-5 by ~1e5 (6.6e-9 against the product's -1.6e-10 at t = 0.04,
// with or without pairs); S_B itself is compared.
TEST(CoupledExactSolver, UnequalIntervalsInTheBurstAgreeWithProduct) {
  const Model model = make_model(4, 40, 0.1, BatteryInit::thermal);
  const TimeGrid grid = TimeGrid::at_times({0.0, 1e-5, 0.04});
  const TimeSeries coupled = solve_exact_coupled(model, grid), product = solve_exact(model, grid);
  for (const auto& column : coupled.columns) {
    const double expected = product.column(column.name).value.back();
    if (std::isnan(expected) || column.name == "dS_B_dt") continue;
    const double scale = std::max(1.0, std::fabs(expected));  // I_em, I_abs ~ N^2
    EXPECT_NEAR(column.value.back(), expected, 1e-9 * scale) << column.name << " at t = 0.04";
  }
}

/// N_B = 6, N_C = 30, thermal battery (several initial levels), 31 points to t = 0.3,
/// through the general chains also at nbar = 0: the case on which a run that builds or forms
/// less is compared with the full run.
TimeSeries chains_run(double nbar, CoupledExactOptions options) {
  options.zero_temperature_cascade = false;
  return solve_exact_coupled(make_model(6, 30, nbar, BatteryInit::thermal), TimeGrid{0.3, 31},
                             options);
}

// Without W_B, S_B or states the chains of pairs J' - J > 2 are not built (the linear
// columns never read them): the linear columns must come out the same as when every pair is
// evolved, at nbar > 0 and at nbar = 0 with several initial levels (a thermal battery); a
// filter one pair too narrow (J' - J <= 1) moves sigma_B by O(1e-2) here.
TEST(CoupledExactSolver, LinearColumnsAloneEqualThoseOfTheFullRun) {
  for (const double nbar : {0.0, 0.3}) {
    CoupledExactOptions linear;
    linear.nonlinear = false;
    const TimeSeries a = chains_run(nbar, linear);
    const TimeSeries b = chains_run(nbar, CoupledExactOptions{});
    for (const auto& column : a.columns)
      for (std::size_t g = 0; g < column.value.size(); ++g)
        EXPECT_NEAR(column.value[g], b.column(column.name).value[g], 1e-13)
            << column.name << " at t = " << a.time[g] << ", nbar " << nbar;
  }
}

// Without S_B and states only the diagonal of each P^M is formed (the battery's level
// populations, from the chain entries directly): W_B and W_B_sym must equal those of the run
// that forms every P^M whole, to rounding (the sums run in another order), at nbar > 0 and
// at nbar = 0 through the general chains (W_B_sym is NaN in both at nbar > 0: the thermal
// battery leaves the symmetric sector); a level missed or counted twice moves W_B by O(1e-2).
TEST(CoupledExactSolver, ErgotropyWithoutNegativityEqualsTheFullRun) {
  for (const double nbar : {0.0, 0.3}) {
    CoupledExactOptions diagonal;
    diagonal.negativity = false;
    const TimeSeries a = chains_run(nbar, diagonal);
    const TimeSeries b = chains_run(nbar, CoupledExactOptions{});
    for (const char* name : {"W_B", "W_B_sym"})  // W_B_sym: NaN in both where undefined
      for (std::size_t g = 0; g < a.time.size(); ++g) {
        const double x = a.column(name).value[g], y = b.column(name).value[g];
        EXPECT_EQ(std::isnan(x), std::isnan(y)) << name << " at t = " << a.time[g];
        if (!std::isnan(y)) EXPECT_NEAR(x, y, 1e-13) << name << " at t = " << a.time[g] << ", nbar " << nbar;
      }
    EXPECT_FALSE(std::isnan(a.column("W_B").value.back()));
    EXPECT_TRUE(std::isnan(a.column("S_B").value.back()));
  }
}

// The cascade (rank one per M) and the general chains at nbar = 0, beyond the product
// solver's reach: two different algorithms for the same state.
TEST(CoupledExactSolver, CascadeEqualsChainsAtZeroTemperature) {
  const Model model = make_model(12, 41, 0.0, BatteryInit::ground);
  const TimeGrid grid{0.6, 13};
  CoupledExactOptions chains;
  chains.zero_temperature_cascade = false;
  expect_same_series(solve_exact_coupled(model, grid), solve_exact_coupled(model, grid, chains),
                     1e-9, "cascade vs chains");
}

/// Largest |a - b| over the entries of two states' blocks; a block one of them lacks counts
/// as 0 there. Also returns (through `largest`) the largest entry, so that a comparison of
/// two empty states cannot pass unnoticed.
double state_difference(const DensityMatrix& a, const DensityMatrix& b, double* largest) {
  double diff = 0;
  *largest = 0;
  auto compare = [&](const DensityMatrix& x, const DensityMatrix& y) {
    for (const auto& [key, block] : x.blocks) {
      const Eigen::MatrixXd full = block.selfadjointView<Eigen::Lower>();
      *largest = std::max(*largest, full.cwiseAbs().maxCoeff());
      const auto other = y.blocks.find(key);
      const Eigen::MatrixXd there =
          other == y.blocks.end() ? Eigen::MatrixXd::Zero(full.rows(), full.cols())
                                  : Eigen::MatrixXd(other->second.selfadjointView<Eigen::Lower>());
      diff = std::max(diff, (full - there).cwiseAbs().maxCoeff());
    }
  };
  compare(a, b);
  compare(b, a);
  return diff;
}

// The states kept at state_times: the coupled solver's (chains turned into the product
// basis with Clebsch-Gordan columns, or the cascade's rank-one levels) against the product
// solver's density matrices. Both integrate to ~1e-10 relative local tolerance (see
// ExactOptions and the chains' rational exponential), so 1e-10 holds on these small cases.
TEST(CoupledExactSolver, StatesEqualTheProductSolvers) {
  struct Case {
    Model model;
    bool cascade;
  };
  const std::vector<Case> cases = {
      {make_model(3, 4, 0.6, BatteryInit::thermal), true},  // chains, sectors 3/2 and 1/2
      {make_model(2, 5, 0.0, BatteryInit::ground), true},   // the cascade
      {make_model(2, 5, 0.0, BatteryInit::ground), false},  // chains at nbar = 0
  };
  const TimeGrid grid{1.2, 13};
  for (const auto& c : cases) {
    CoupledExactOptions coupled;
    coupled.zero_temperature_cascade = c.cascade;
    coupled.state_times = {0.0, 0.3, 1.2};
    ExactOptions product;
    product.state_times = coupled.state_times;
    const CoupledExactResult a = solve_exact_coupled_detailed(c.model, grid, coupled);
    const ExactResult b = solve_exact_detailed(c.model, grid, product);
    ASSERT_EQ(a.density.size(), std::size_t(grid.points));
    ASSERT_EQ(b.density.size(), std::size_t(grid.points));
    for (const int g : {0, 3, 12}) {
      double largest = 0;
      EXPECT_LT(state_difference(a.density[g], b.density[g], &largest), 1e-10)
          << "nbar " << c.model.nbar << " cascade " << c.cascade << " t " << grid.time(g);
      EXPECT_GT(largest, 0.01);
      // The trace is 1 (the sectors are weighted by their populations).
      double trace = 0;
      for (const auto& [key, block] : b.density[g].blocks) trace += block.trace();
      EXPECT_NEAR(trace, 1.0, 1e-12);
    }
    EXPECT_TRUE(a.density[5].blocks.empty());  // not asked for
    // Without S_B the chains form only P^M's diagonal, except at the state times.
    if (c.cascade) continue;
    CoupledExactOptions no_negativity = coupled;
    no_negativity.negativity = false;
    const CoupledExactResult d = solve_exact_coupled_detailed(c.model, grid, no_negativity);
    for (const int g : {0, 3, 12}) {
      double largest = 0;
      EXPECT_LT(state_difference(d.density[g], b.density[g], &largest), 1e-10)
          << "without S_B, nbar " << c.model.nbar << " t " << grid.time(g);
      EXPECT_GT(largest, 0.01);
    }
  }
}

TEST(CoupledExactSolver, StateTimesOutsideTheGridAreRefused) {
  const Model model = make_model(1, 2, 0.5, BatteryInit::ground);
  const TimeGrid grid{1.0, 5};
  for (const double t : {-0.5, 1.5, std::nan("")}) {
    CoupledExactOptions coupled;
    coupled.state_times = {t};
    ExactOptions product;
    product.state_times = {t};
    for (int method = 0; method < 2; ++method) {
      try {
        if (method == 0) solve_exact_coupled(model, grid, coupled);
        else solve_exact(model, grid, product);
        ADD_FAILURE() << "state_times " << t << " accepted";
      } catch (const InvalidArgument& e) {
        EXPECT_NE(std::string(e.what()).find("state_times"), std::string::npos) << e.what();
      }
    }
  }
}

/// A (column, grid index) where a reference file is known to be wrong (see the test).
struct KnownGlitch {
  std::string column;
  std::size_t index;
};

void expect_matches_reference(const Model& model, const std::string& file, int min_columns,
                              const std::vector<KnownGlitch>& glitches = {}) {
  const auto ref = testing::load_reference(file);
  const TimeGrid grid{ref.time.back(), static_cast<int>(ref.time.size())};
  const TimeSeries exact = solve_exact_coupled(model, grid);
  int compared = 0;
  for (const auto& column : exact.columns) {
    const auto it = ref.column.find(column.name);
    if (it == ref.column.end()) continue;
    for (std::size_t i = 0; i < ref.time.size(); ++i) {
      const bool glitch = std::any_of(glitches.begin(), glitches.end(), [&](const KnownGlitch& k) {
        return k.column == column.name && k.index == i;
      });
      if (glitch) continue;
      // 1e-8 absolute; relative for the currents (I_em reaches ~1600 at 120 spins, where the
      // reference's own accuracy is ~3e-11 relative).
      ASSERT_NEAR(column.value[i], it->second[i], 1e-8 * std::max(1.0, std::fabs(it->second[i])))
          << file << " column " << column.name << " at t = " << ref.time[i];
    }
    ++compared;
  }
  EXPECT_GE(compared, min_columns) << file;
}

TEST(CoupledExactSolver, MatchesQutipReferences) {
  expect_matches_reference(make_model(1, 5, 0.0, BatteryInit::ground), "nb1_nc5_nbar0.csv", 5);
  expect_matches_reference(make_model(1, 1, 0.5, BatteryInit::ground),
                           "nb1_nc1_nbar0.5_ground.csv", 5);
  expect_matches_reference(make_model(2, 4, 0.5, BatteryInit::thermal),
                           "nb2_nc4_nbar0.5_thermal.csv", 5);
}

// 120 spins, every column the file has: E_B, E_C, P_B, W_B, W_B_sym, W_open, S_B, dark.
// Except five values: the file's P_B falls smoothly to 1.6e-30 at t = 0.31, jumps to
// 0.8-1.4e-8 at t = 0.32-0.36 and is back at 3e-27 at t = 0.37. P_B(t) is analytic and cannot
// do that; the true tail is exp(-82 t) (the coherence of the dark |J = 40, M = -40> with
// |41, -40> decays at gamma (a_40 + a_41) = 82 gamma), 5.8e-10 ... 2.2e-11 there, which the
// cascade and the general chains (exp of each pair's generator, no thresholds) both give to
// 1e-12. Those five points are checked against that instead of the file.
TEST(CoupledExactSolver, MatchesIndependentCascadeAt120Spins) {
  const Model model = make_model(20, 100, 0.0, BatteryInit::ground);
  std::vector<KnownGlitch> glitches;
  for (std::size_t i = 32; i <= 36; ++i) glitches.push_back({"P_B", i});
  expect_matches_reference(model, "nb20_nc100_nbar0.csv", 8, glitches);
  const TimeGrid grid{0.5, 51};
  CoupledExactOptions chains;
  chains.zero_temperature_cascade = false;
  chains.nonlinear = false;
  const auto cascade = solve_exact_coupled(model, grid).column("P_B").value;
  const auto general = solve_exact_coupled(model, grid, chains).column("P_B").value;
  for (const auto& k : glitches) {
    EXPECT_LT(cascade[k.index], 1e-9);
    EXPECT_NEAR(cascade[k.index], general[k.index], 1e-12);
    EXPECT_NEAR(cascade[k.index] / cascade[k.index - 1], std::exp(-82 * grid.step()), 1e-3);
  }
}

// Late times equal the closed-form steady state (steady_state.hpp), nbar > 0.
TEST(CoupledExactSolver, RelaxesToTheSteadyState) {
  const Model model = make_model(20, 60, 0.5, BatteryInit::ground);
  const TimeSeries s = solve_exact_coupled(model, TimeGrid{8.0, 81});
  const SteadyState ss = steady_state(model);
  EXPECT_NEAR(s.column("E_B").value.back(), ss.e_battery, 1e-8);
  EXPECT_NEAR(s.column("E_C").value.back(), ss.e_charger, 1e-8);
  EXPECT_NEAR(s.column("W_open").value.back(), ss.w_open, 1e-8);
  EXPECT_NEAR(s.column("dark").value.back(), ss.dark, 1e-8);
  EXPECT_NEAR(s.column("W_B").value.back(), ss.ergotropy, 1e-8);
  EXPECT_NEAR(s.column("W_B_sym").value.back(), ss.ergotropy_symmetric, 1e-8);
  EXPECT_NEAR(s.column("S_B").value.back(), ss.log_negativity, 1e-8);
  EXPECT_NEAR(s.column("P_B").value.back(), 0.0, 1e-8);
}

TEST(CoupledExactSolver, ThermalRelaxesToTheSteadyState) {
  const Model model = make_model(6, 9, 0.7, BatteryInit::thermal);
  const TimeSeries s = solve_exact_coupled(model, TimeGrid{12.0, 25});
  const SteadyState ss = steady_state(model);
  EXPECT_NEAR(s.column("E_B").value.back(), ss.e_battery, 1e-8);
  EXPECT_NEAR(s.column("dark").value.back(), ss.dark, 1e-8);
  EXPECT_NEAR(s.column("W_B").value.back(), ss.ergotropy, 1e-8);
  EXPECT_NEAR(s.column("S_B").value.back(), ss.log_negativity, 1e-8);
  EXPECT_TRUE(std::isnan(s.column("W_B_sym").value.back()));
}

// The emitted-quanta distribution P(M0 - k, t) is a probability distribution, and its mean
// is the energy the ensembles lost: <k> = N_C (1 - E_C) + N_B (E_B(0) - E_B) at nbar = 0.
TEST(CoupledExactSolver, EmittedQuantaDistribution) {
  const Model model = make_model(10, 50, 0.0, BatteryInit::ground);
  const TimeGrid grid{0.5, 11};
  const CoupledExactResult r = solve_exact_coupled_detailed(model, grid);
  ASSERT_EQ(r.emitted.size(), 11u);
  for (int g = 0; g < grid.points; ++g) {
    const auto& p = r.emitted[g];
    double total = 0, mean = 0;
    for (std::size_t k = 0; k < p.size(); ++k) {
      EXPECT_GE(p[k], 0.0);
      total += p[k];
      mean += k * p[k];
    }
    EXPECT_NEAR(total, 1.0, 1e-10) << "t=" << grid.time(g);
    const double lost = model.n_charger * (1 - r.series.column("E_C").value[g]) -
                        model.n_battery * r.series.column("E_B").value[g];
    EXPECT_NEAR(mean, lost, 1e-9) << "t=" << grid.time(g);
  }
}

TEST(CoupledExactSolver, RefusesBeforeExpensiveWork) {
  CoupledExactOptions small;
  small.max_memory_gib = 0.01;
  try {
    solve_exact_coupled(make_model(200, 300, 0.1, BatteryInit::ground), TimeGrid{1, 2}, small);
    FAIL() << "expected a refusal";
  } catch (const InvalidArgument& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("GiB"), std::string::npos) << message;
    EXPECT_NE(message.find("--max-memory"), std::string::npos) << message;
    EXPECT_NE(message.find("N_B = 200"), std::string::npos) << message;
  }
  CoupledExactOptions quick;
  quick.max_seconds = 1e-3;
  EXPECT_THROW(solve_exact_coupled(make_model(100, 1000, 0, BatteryInit::ground),
                                   TimeGrid{0.3, 31}, quick),
               InvalidArgument);
}

TEST(ZeroTemperatureCascade, RejectsNonzeroTemperature) {
  EXPECT_THROW(ZeroTemperatureCascade(make_model(2, 4, 0.1, BatteryInit::ground), 1, -1),
               InvalidArgument);
}

// The recursion reproduces the eigenvector-based table (different algorithm) and stays
// orthonormal where no table fits.
TEST(ClebschGordanRecursion, MatchesTableAndIsOrthonormal) {
  for (auto [jc, jb] : {std::pair{0.5, 0.5}, {2.5, 0.5}, {5.0, 3.0}, {30.0, 10.0}, {3.0, 7.5},
                        {40.0, 39.5}}) {
    const ClebschGordanTable table(jc, jb);
    Eigen::MatrixXd u;
    for (double M = -(jc + jb); M <= jc + jb; M += 1) {
      clebsch_gordan_block(jc, jb, M, u);
      ASSERT_LT((u - table.at(M)).cwiseAbs().maxCoeff(), 1e-12) << jc << " " << jb << " " << M;
    }
  }
  Eigen::MatrixXd u;
  for (double M : {-550.0, -449.0, -3.0, 0.0, 100.0, 449.0, 520.0}) {
    clebsch_gordan_block(500, 50, M, u);
    const Eigen::MatrixXd overlap = u.transpose() * u;
    EXPECT_LT((overlap - Eigen::MatrixXd::Identity(u.cols(), u.cols())).cwiseAbs().maxCoeff(),
              1e-12)
        << M;
  }
}

// Charger fully up: the recursion's column at the lowest m_B is Racah's single-term formula.
TEST(ClebschGordanRecursion, ChargerUpColumnIsClosedForm) {
  const double jc = 30, jb = 10, m_b = -7, M = jc + m_b;
  Eigen::MatrixXd u;
  clebsch_gordan_block(jc, jb, M, u);
  const double j_first = first_total_j(jc, jb, M);
  const int row = static_cast<int>(m_b - first_battery_level(jc, jb, M));
  for (int k = 0; k < u.cols(); ++k)
    EXPECT_NEAR(u(row, k), clebsch_gordan_charger_up(jc, jb, m_b, j_first + k), 1e-13);
}

// The type (14, 14) rational approximation: within 1.83e-14 of exp on the negative axis (the
// value the CF method gives for its r_inf, plus the rounding of residues ~100), and one
// application to a birth-death chain equals the dense matrix exponential (Eigen's Pade scaling
// and squaring) to 3e-13 for an input of norm ~1 at h |A_ii| <= 3, the solver's substep bound
// (measured: 1.2e-13; the chain is far from normal, so this is above the scalar 1.83e-14).
TEST(RationalExponential, ScalarErrorAndChainStep) {
  using detail::RationalExponential;
  for (double x = 0; x <= 1e4; x = x < 1 ? x + 0.01 : x * 1.01) {
    double r = RationalExponential::kInfinity;
    for (int k = 0; k < RationalExponential::kPoles; ++k) {
      const std::complex<double> c(RationalExponential::kResidueRe[k], RationalExponential::kResidueIm[k]);
      const std::complex<double> z(RationalExponential::kPoleRe[k], RationalExponential::kPoleIm[k]);
      r += 2 * (c / (-x - z)).real();
    }
    ASSERT_NEAR(r, std::exp(-x), 3e-14) << x;  // 1.83e-14 + rounding of residues ~100
  }
  const int n = 40;
  const double down = 1.5, up = 0.5, J = 19.5, Jp = 20.5, h = 3.0 / (2 * (down + up) * J * J);
  std::vector<double> d(n), above(n, 0.0), below(n, 0.0), in(n), out(n);
  Eigen::MatrixXd a = Eigen::MatrixXd::Zero(n, n);
  for (int i = 0; i < n; ++i) {
    const double M = i - J;
    d[i] = -h * (down * (lowering_squared(J, M) + lowering_squared(Jp, M)) +
                 up * (raising_squared(J, M) + raising_squared(Jp, M)));
    if (i + 1 < n) above[i] = 2 * h * down * std::sqrt(lowering_squared(J, M + 1) * lowering_squared(Jp, M + 1));
    if (i > 0) below[i] = 2 * h * up * std::sqrt(raising_squared(J, M - 1) * raising_squared(Jp, M - 1));
    a(i, i) = d[i];
    if (i + 1 < n) a(i, i + 1) = above[i];
    if (i > 0) a(i, i - 1) = below[i];
    in[i] = std::exp(-0.3 * (n - 1 - i));  // weight near the top, as at the start of a burst
  }
  detail::TridiagonalScratch scratch;
  detail::tridiagonal_exponential(d.data(), above.data(), below.data(), n, in.data(), out.data(), scratch);
  const Eigen::VectorXd expected = a.exp() * Eigen::Map<const Eigen::VectorXd>(in.data(), n);
  for (int i = 0; i < n; ++i) EXPECT_NEAR(out[i], expected(i), 3e-13) << i;
}

// The twisted factorisation (eliminated from both ends to the middle row) at every small
// size, odd and even, where its sweeps are empty or one row long: against Eigen's matrix
// exponential of a birth-death generator (a diagonal similarity of a symmetric one, as the
// chains' are) with unequal rates up and down. Within 3e-14 (the approximation's 1.8e-14
// plus rounding).
TEST(RationalExponential, TwistedSolveAtEverySmallSize) {
  for (int n = 1; n <= 7; ++n) {
    std::vector<double> d(n), above(n, 0.0), below(n, 0.0), in(n), out(n);
    Eigen::MatrixXd a = Eigen::MatrixXd::Zero(n, n);
    for (int i = 0; i < n; ++i) {
      if (i + 1 < n) above[i] = a(i, i + 1) = 0.9 + 0.3 * i;  // i + 1 -> i
      if (i > 0) below[i] = a(i, i - 1) = 0.4 + 0.1 * i;      // i - 1 -> i
      in[i] = 1.0 / (1 + i);
    }
    for (int i = 0; i < n; ++i)  // columns sum to -0.2: a loss besides the moves
      d[i] = a(i, i) = -0.2 - (i > 0 ? above[i - 1] : 0.0) - (i + 1 < n ? below[i + 1] : 0.0);
    detail::TridiagonalScratch scratch;
    detail::tridiagonal_exponential(d.data(), above.data(), below.data(), n, in.data(),
                                    out.data(), scratch);
    const Eigen::VectorXd expected = a.exp() * Eigen::Map<const Eigen::VectorXd>(in.data(), n);
    for (int i = 0; i < n; ++i) EXPECT_NEAR(out[i], expected(i), 3e-14) << "n " << n << " i " << i;
  }
}

// Two systems solved side by side (the pair's checking step and first kept step) give each
// exactly what one solve gives: the same operations per lane, in the same order.
TEST(RationalExponential, TwoSystemsSideBySideAreEachBitIdenticalToOne) {
  const int n = 37;
  std::vector<double> d(n), above(n), below(n), d2(n), above2(n), below2(n), in(n);
  for (int i = 0; i < n; ++i) {
    d[i] = -0.7 * (i % 9 + 1);
    above[i] = 0.3 + 0.01 * i;
    below[i] = 0.2 + 0.02 * (n - i);
    d2[i] = 2 * d[i];  // the same generator over twice the time
    above2[i] = 2 * above[i];
    below2[i] = 2 * below[i];
    in[i] = std::exp(-0.2 * i);
  }
  detail::TridiagonalScratch scratch;
  std::vector<double> one_a(n), one_b(n), two_a(n), two_b(n);
  detail::tridiagonal_exponential(d.data(), above.data(), below.data(), n, in.data(), one_a.data(), scratch);
  detail::tridiagonal_exponential(d2.data(), above2.data(), below2.data(), n, in.data(), one_b.data(), scratch);
  detail::tridiagonal_exponentials({d.data(), above.data(), below.data()},
                                   {d2.data(), above2.data(), below2.data()}, n, in.data(),
                                   two_a.data(), two_b.data(), scratch);
  for (int i = 0; i < n; ++i) {
    EXPECT_EQ(two_a[i], one_a[i]) << i;
    EXPECT_EQ(two_b[i], one_b[i]) << i;
  }
  EXPECT_NE(one_a[n / 2], one_b[n / 2]);  // two different systems
}

}  // namespace
}  // namespace darkcharge
