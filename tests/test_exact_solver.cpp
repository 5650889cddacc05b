// The exact solver against (1) an independent solver's curves (QuTiP mesolve, tests/data)
// and (2) the paper's closed forms for two spins, Eq. 13 and Eq. 32.
#include <cmath>
#include <string>

#include <gtest/gtest.h>

#include "test_models.hpp"

#include "darkcharge/core/errors.hpp"
#include "darkcharge/exact/exact_solver.hpp"
#include "reference_data.hpp"

namespace darkcharge {
namespace {

using testing::make_model;

// Both solvers integrate to ~1e-10; 1e-7 leaves room for the reference's own tolerance.
void expect_matches_reference(const Model& model, const std::string& file) {
  const auto ref = testing::load_reference(file);
  const TimeGrid grid{ref.time.back(), static_cast<int>(ref.time.size())};
  const TimeSeries exact = solve_exact(model, grid);
  int compared = 0;
  for (const auto& column : exact.columns) {
    const auto it = ref.column.find(column.name);
    if (it == ref.column.end()) continue;
    for (std::size_t i = 0; i < ref.time.size(); ++i)
      ASSERT_NEAR(column.value[i], it->second[i], 1e-7)
          << file << " column " << column.name << " at t = " << ref.time[i];
    ++compared;
  }
  EXPECT_GE(compared, 5) << "E_B, E_C, P_B, W_open, dark must all be checked";
}

TEST(ExactSolver, MatchesReferenceZeroTemperature) {
  expect_matches_reference(make_model(1, 5, 0.0, BatteryInit::ground), "nb1_nc5_nbar0.csv");
}

TEST(ExactSolver, MatchesReferenceTwoSpinsWarm) {
  expect_matches_reference(make_model(1, 1, 0.5, BatteryInit::ground),
                           "nb1_nc1_nbar0.5_ground.csv");
}

// The reference evolved the full 2^N_B battery space; the solver uses Dicke sectors.
TEST(ExactSolver, MatchesReferenceThermalBatteryFullSpace) {
  expect_matches_reference(make_model(2, 4, 0.5, BatteryInit::thermal),
                           "nb2_nc4_nbar0.5_thermal.csv");
}

// Paper Eq. 13: <J_C^z> = <J_B^z> = -(2 nbar + 1) / (12 nbar (nbar + 1) + 4) in the steady
// state of N_B = N_C = 1 from |up>|down>; Eq. 32: the dark |psi_-> keeps population 1/2.
TEST(ExactSolver, TwoSpinSteadyStateEq13AndEq32) {
  for (double nbar : {0.0, 0.3, 1.0, 2.5}) {
    const Model model = make_model(1, 1, nbar, BatteryInit::ground);
    const TimeSeries s = solve_exact(model, TimeGrid{40.0, 3});
    const double jz = -(2 * nbar + 1) / (12 * nbar * (nbar + 1) + 4);
    EXPECT_NEAR(s.column("E_B").value.back(), jz + 0.5, 1e-8) << "nbar=" << nbar;
    EXPECT_NEAR(s.column("E_C").value.back(), jz + 0.5, 1e-8) << "nbar=" << nbar;
    for (double dark : s.column("dark").value) EXPECT_NEAR(dark, 0.5, 1e-9);
    EXPECT_NEAR(s.column("P_B").value.back(), 0.0, 1e-8);
  }
}

TEST(ExactSolver, RejectsTooLargeSystems) {
  ExactOptions options;
  options.max_dimension = 100;
  EXPECT_THROW(solve_exact(make_model(10, 20, 0, BatteryInit::ground), TimeGrid{1, 2}, options),
               InvalidArgument);
}

}  // namespace
}  // namespace darkcharge
