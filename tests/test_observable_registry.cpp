// The registry is the one place a column is described: the README's column table must be
// the registry's (regenerate it from observables_markdown_table() when this fails), names
// are unique, and plan_observables() keeps the CLI's former rules.
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include <algorithm>

#include <gtest/gtest.h>

#include "darkcharge/core/errors.hpp"
#include "darkcharge/ensemble/column_selection.hpp"
#include "darkcharge/observables/registry.hpp"

namespace darkcharge {
namespace {

std::string readme_table() {
  std::ifstream in(DARKCHARGE_README);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string text = ss.str();
  const std::string begin = "<!-- observables table: generated from the registry -->\n";
  const std::string end = "<!-- end of observables table -->";
  const auto b = text.find(begin), e = text.find(end);
  if (b == std::string::npos || e == std::string::npos) return "(markers not found)";
  return text.substr(b + begin.size(), e - b - begin.size());
}

TEST(ObservableRegistry, ReadmeTableIsTheRegistry) {
  EXPECT_EQ(readme_table(), observables_markdown_table())
      << "README.md's table differs; replace it with:\n" << observables_markdown_table();
}

TEST(ObservableRegistry, NamesAreUniqueAndEveryUnitCanBeMade) {
  std::set<std::string> names;
  Model model;
  TimeGrid grid{1.0, 3};
  EnsembleOptions options;
  options.sampling = Sampling::trajectories;  // the engine under test
  const ObservableContext context{model, grid, options};
  for (const auto& info : observable_registry()) {
    EXPECT_TRUE(names.insert(info.name).second) << info.name;
    EXPECT_TRUE(info.error_method == "standard-error" || info.error_method == "jackknife");
    EXPECT_NE(make_observable(info.unit, context), nullptr) << info.unit;
  }
}

TEST(ObservableRegistry, UnknownNamesAreRefusedByName) {
  try {
    validate_observables({"E_B", "E_X"});
    FAIL() << "E_X accepted";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("E_X"), std::string::npos) << e.what();
  }
}

TEST(ObservableRegistry, PlanComputesPowerForPeaksAndDensityForStates) {
  Model model;
  EnsembleOptions options;
  options.sampling = Sampling::trajectories;  // the engine under test
  ObservablePlan plan = plan_observables(model, TimeGrid{}, {"E_B"}, false, options);
  EXPECT_EQ(plan.columns, std::vector<std::string>({"E_B"}));
  EXPECT_EQ(options.observables, std::vector<std::string>({"E_B", "P_B"}));
  EXPECT_FALSE(options.ergotropy || options.entanglement);
  plan = plan_observables(model, TimeGrid{}, {"E_B"}, true, options);
  EXPECT_EQ(options.observables, std::vector<std::string>({"E_B", "P_B", "S_B"}));
  EXPECT_TRUE(options.entanglement);
}

// At nbar = 0 the default run is the exact cascade when it is cheap (ensemble.hpp), and
// there S_B is exact at one diagonalisation per time: it stays in by default.
TEST(ObservableRegistry, DefaultKeepsNegativityWhereTheCascadeIsExactAndCheap) {
  Model model;
  model.n_battery = 100;
  model.n_charger = 100;
  EnsembleOptions options;  // sampling auto
  const ObservablePlan plan = plan_observables(model, TimeGrid{0.05, 11}, {}, false, options);
  EXPECT_TRUE(plan.notes.empty());
  EXPECT_NE(std::find(plan.columns.begin(), plan.columns.end(), "S_B"), plan.columns.end());
  EXPECT_TRUE(options.entanglement);
}

TEST(ObservableRegistry, DefaultLeavesNegativityOutForWideSystemsWithANote) {
  Model model;
  model.n_battery = 100;
  model.n_charger = 100;
  EnsembleOptions options;
  options.sampling = Sampling::trajectories;  // the engine under test
  const ObservablePlan plan = plan_observables(model, TimeGrid{}, {}, false, options);
  EXPECT_EQ(plan.notes.size(), 1u);
  for (const auto& c : plan.columns) EXPECT_TRUE(c != "S_B" && c != "dS_B_dt") << c;
  EXPECT_TRUE(options.ergotropy);
  EXPECT_FALSE(options.entanglement);
  // The boundary is the validated width 21: N_B = N_C = 22 (width 23) leaves them out,
  // N_B = N_C = 20 (width 21) keeps them.
  for (int n : {22, 20}) {
    model.n_battery = model.n_charger = n;
    EnsembleOptions at_edge;
    at_edge.sampling = Sampling::trajectories;
    const ObservablePlan edge = plan_observables(model, TimeGrid{}, {}, false, at_edge);
    EXPECT_EQ(at_edge.entanglement, n == 20) << n;
    EXPECT_EQ(edge.notes.size(), n == 20 ? 0u : 1u) << n;
  }
}

}  // namespace
}  // namespace darkcharge
