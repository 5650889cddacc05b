#include "darkcharge/ensemble.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include <fmt/format.h>

#include "darkcharge/curve_features.hpp"
#include "darkcharge/errors.hpp"
#include "darkcharge/initial_state.hpp"
#include "darkcharge/observable_registry.hpp"
#include "ensemble_runner.hpp"

namespace darkcharge {
namespace {

/// Jackknife of a scalar feature of curves: feature(full) and feature(each replicate).
template <class Feature>
Estimate jackknife_feature(const std::vector<double>& full,
                           const std::vector<std::vector<double>>& replicates, Feature f) {
  std::vector<double> leave_one_out;
  for (const auto& r : replicates) leave_one_out.push_back(f(r));
  return jackknife(f(full), leave_one_out);
}

PeakSummary peaks_with_errors(const TimeGrid& grid, const std::vector<double>& power,
                              const std::vector<std::vector<double>>& power_replicates,
                              const std::vector<double>* rate,
                              const std::vector<std::vector<double>>* rate_replicates) {
  PeakSummary p;
  auto peak_value = [&](const std::vector<double>& y) { return global_maximum(y, grid).value; };
  auto peak_time = [&](const std::vector<double>& y) { return global_maximum(y, grid).time; };
  p.power_max = jackknife_feature(power, power_replicates, peak_value);
  p.power_max_time = jackknife_feature(power, power_replicates, peak_time);
  if (!rate) {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    p.entanglement_rate_max = p.entanglement_rate_max_time = p.lag = {nan, nan};
    return p;
  }
  auto local_value = [&](const std::vector<double>& y) {
    return largest_interior_maximum(y, grid).value;
  };
  auto local_time = [&](const std::vector<double>& y) {
    return largest_interior_maximum(y, grid).time;
  };
  p.entanglement_rate_max = jackknife_feature(*rate, *rate_replicates, local_value);
  p.entanglement_rate_max_time = jackknife_feature(*rate, *rate_replicates, local_time);
  std::vector<double> lags;
  for (std::size_t b = 0; b < rate_replicates->size(); ++b)
    lags.push_back(local_time((*rate_replicates)[b]) - peak_time(power_replicates[b]));
  p.lag = jackknife(local_time(*rate) - peak_time(power), lags);
  return p;
}

std::vector<double> visited_battery_sectors(const Model& model) {
  std::vector<double> sectors;
  for (const auto& level : initial_mixture(model))
    if (level.probability > 0 &&
        std::find(sectors.begin(), sectors.end(), level.state.j_battery) == sectors.end())
      sectors.push_back(level.state.j_battery);
  return sectors;
}

/// The observable units to run, in registry order: those of options.observables (or, when
/// empty, every column allowed by the ergotropy/entanglement switches), always P_B (the
/// peak summary), then the side outputs the options ask for.
std::vector<std::string> units_to_run(const EnsembleOptions& options) {
  std::vector<std::string> units;
  for (const auto& info : observable_registry()) {
    const bool wanted =
        options.observables.empty()
            ? info.in_default && !((info.unit == "W_B" && !options.ergotropy) ||
                                   (info.unit == "S_B" && !options.entanglement))
            : requests_any(options.observables, {info.name}) || info.name == "P_B";
    if (wanted && std::find(units.begin(), units.end(), info.unit) == units.end())
      units.push_back(info.unit);
  }
  if (options.sector_populations) units.push_back("sectors");
  if (!options.count_times.empty()) units.push_back("emission_counts");
  if (options.record_trajectories > 0) units.push_back("jump_record");
  return units;
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

void validate(const EnsembleOptions& options) {
  check_at_least("trajectories", options.trajectories, 1);
  check_at_least("threads", options.threads, 0);
  check_at_least("blocks", options.blocks, 2);
  check_at_least("record_trajectories", options.record_trajectories, 0);
  validate_observables(options.observables);
}

EnsembleResult run_ensemble(const Model& model, const TimeGrid& grid,
                            const EnsembleOptions& options, const ProgressCallback& progress) {
  validate(model);
  validate(grid);
  validate(options);
  for (double t : options.count_times)
    if (!(t >= 0 && t <= grid.t_max))
      throw InvalidArgument(fmt::format("count_times: {} is outside [0, t_max = {}]", t, grid.t_max));
  const long n = options.trajectories;
  const int block_count = static_cast<int>(std::min<long>(options.blocks, n));
  const ObservableContext context{model, grid, options};
  std::vector<std::unique_ptr<Observable>> observables;
  RunPlan plan{model, grid, options, {}, {}, 0, nullptr};
  bool product = false;
  std::map<SampleValue, int> value_offsets;  // one sum per distinct plain value
  for (const auto& unit : units_to_run(options)) {
    observables.push_back(make_observable(unit, context));
    const Observable& o = *observables.back();
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
  std::unique_ptr<ProductBasis> basis;
  if (product) basis = product_basis(model, options);
  plan.basis = basis.get();

  std::vector<BlockResult> blocks = run_blocks(plan, block_count, progress);
  if (progress) progress(n, n);

  std::vector<BlockStatistics> means;
  std::vector<long> sizes;
  for (int b = 0; b < block_count; ++b) {
    means.push_back(std::move(blocks[b].means));
    sizes.push_back(block_begin(n, block_count, b + 1) - block_begin(n, block_count, b));
  }
  EnsembleResult result;
  for (int g = 0; g < grid.points; ++g) result.series.time.push_back(grid.time(g));
  Estimates estimates{result, {}};
  for (std::size_t i = 0; i < observables.size(); ++i) {
    std::vector<const BlockRecord*> records;
    if (blocks.front().records[i])
      for (const auto& block : blocks) records.push_back(block.records[i].get());
    const BlockSums sums(means, plan.offsets[i], std::move(records), sizes, model, grid);
    observables[i]->estimate(sums, estimates);
  }
  const Replicates& power = estimates.curves.at("P_B");
  const auto rate = estimates.curves.find("dS_B_dt");
  if (rate != estimates.curves.end())
    result.peaks = peaks_with_errors(grid, power.full, power.leave_one_out, &rate->second.full,
                                     &rate->second.leave_one_out);
  else
    result.peaks = peaks_with_errors(grid, power.full, power.leave_one_out, nullptr, nullptr);
  return result;
}

TimeSeries simulate(const Model& model, const TimeGrid& grid, const EnsembleOptions& options,
                    const ProgressCallback& progress) {
  return run_ensemble(model, grid, options, progress).series;
}

PeakSummary peak_summary(const TimeSeries& series, const TimeGrid& grid) {
  const std::vector<double>& power = series.column("P_B").value;
  if (!series.has("dS_B_dt")) return peaks_with_errors(grid, power, {}, nullptr, nullptr);
  const std::vector<std::vector<double>> none;
  return peaks_with_errors(grid, power, {}, &series.column("dS_B_dt").value, &none);
}

}  // namespace darkcharge
