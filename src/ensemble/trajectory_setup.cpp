#include "ensemble/trajectory_setup.hpp"

#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "darkcharge/core/errors.hpp"
#include "darkcharge/observables/registry.hpp"
#include "darkcharge/physics/initial_state.hpp"

namespace darkcharge {
namespace {

std::vector<double> visited_battery_sectors(const Model& model) {
  std::vector<double> sectors;
  for (const auto& level : initial_mixture(model))
    if (level.probability > 0 &&
        std::find(sectors.begin(), sectors.end(), level.state.j_battery) == sectors.end())
      sectors.push_back(level.state.j_battery);
  return sectors;
}

std::unique_ptr<ProductBasis> product_basis(const Model& model, const EnsembleOptions& options) {
  const auto sectors = visited_battery_sectors(model);
  const double size = ProductBasis::table_size(model.j_charger(), sectors);
  if (size > options.max_table_doubles)
    throw InvalidArgument(fmt::format(
        "ergotropy/entanglement need Clebsch-Gordan tables of {:.3g} doubles for N_B = {}, "
        "N_C = {} (limit {:.3g}); leave W_B, W_B_sym, S_B out for this size",
        size, model.n_battery, model.n_charger, options.max_table_doubles));
  return std::make_unique<ProductBasis>(model.j_charger(), sectors);
}

}  // namespace

std::unique_ptr<TrajectorySetup> make_trajectory_setup(const Model& model, const TimeGrid& grid,
                                  const EnsembleOptions& options) {
  auto setup = std::make_unique<TrajectorySetup>(model, grid, options);
  RunPlan& plan = setup->plan;
  const ObservableContext context{model, grid, options};
  bool product = false;
  std::map<SampleValue, int> value_offsets;  // one sum per distinct plain value
  setup->unit_names = units_to_run(options);
  for (const auto& unit : setup->unit_names) {
    setup->observables.push_back(make_observable(unit, context));
    const Observable& o = *setup->observables.back();
    plan.observables.push_back(&o);
    const SampleValue f = o.sample_value();
    if (f && value_offsets.count(f)) {
      plan.offsets.push_back(value_offsets[f]);
    } else {
      if (f) value_offsets[f] = plan.width;
      plan.offsets.push_back(plan.width);
      plan.width += o.sample_width();
    }
    product |= o.needs_product_basis();
  }
  if (product) setup->basis = product_basis(model, options);
  plan.basis = setup->basis.get();
  plan.run_key = run_key(plan, setup->unit_names);
  return setup;
}

}  // namespace darkcharge
