#include "darkcharge/ensemble.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <optional>
#include <cmath>
#include <limits>
#include <map>

#include <fmt/format.h>

#include "darkcharge/curve_features.hpp"
#include "darkcharge/errors.hpp"
#include "darkcharge/initial_state.hpp"
#include "darkcharge/peak_features.hpp"
#include "darkcharge/observable_registry.hpp"
#include "cascade_ensemble.hpp"
#include "ensemble_runner.hpp"
#include "scoped_threads.hpp"

namespace darkcharge {
namespace {

/// Peak features of the reported curves (peak_features.hpp), with the reasons for any NaN.
PeakSummary peaks_with_errors(const TimeGrid& grid, const std::vector<double>& power,
                              const std::vector<std::vector<double>>& power_replicates,
                              const std::vector<double>* rate,
                              const std::vector<std::vector<double>>* rate_replicates) {
  PeakSummary p;
  const PeakFeature power_peak = peak_feature(power, power_replicates, grid, PeakKind::global);
  p.power_max = power_peak.value;
  p.power_max_time = power_peak.time;
  p.power_note = power_peak.unresolved;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  if (!rate) {
    p.entanglement_rate_max = p.entanglement_rate_max_time = p.lag = {nan, nan};
    p.entanglement_note = "S_B not computed";
    return p;
  }
  const PeakFeature rate_peak =
      peak_feature(*rate, *rate_replicates, grid, PeakKind::largest_interior);
  p.entanglement_rate_max = rate_peak.value;
  p.entanglement_rate_max_time = rate_peak.time;
  p.entanglement_note = rate_peak.unresolved;
  // The lag's error from the replicates' own differences: both peak times are measured on
  // the same trajectories, so their errors are correlated.
  std::vector<double> lags;
  for (std::size_t b = 0; b < rate_peak.leave_one_out_time.size(); ++b)
    if (b < power_peak.leave_one_out_time.size())
      lags.push_back(rate_peak.leave_one_out_time[b] - power_peak.leave_one_out_time[b]);
  p.lag = jackknife_spread(rate_peak.time.value - power_peak.time.value, lags);
  if (std::isnan(p.lag.value)) p.lag.error = nan;
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

}  // namespace

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

namespace {

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

/// True when observable unit `unit` makes any column named in `names`.
bool makes_any(const std::string& unit, const std::vector<std::string>& names) {
  for (const auto& info : observable_registry())
    if (info.unit == unit && std::find(names.begin(), names.end(), info.name) != names.end())
      return true;
  return false;
}

/// Folds unit results into blocks in increasing unit order as soon as each block's next unit
/// is there (memory stays bounded); finish() folds what remains past gaps (units skipped by
/// a time limit), still in order.
class BlockFolder {
 public:
  explicit BlockFolder(const WorkLayout& layout)
      : layout_(layout), blocks_(layout.blocks), next_(layout.blocks) {
    for (int b = 0; b < layout.blocks; ++b) next_[b] = b;
  }

  void add(long u, UnitResult&& unit) {
    pending_.emplace(u, std::move(unit));
    const int b = layout_.block_of(u);
    for (auto it = pending_.find(next_[b]); it != pending_.end(); it = pending_.find(next_[b])) {
      fold(b, std::move(it->second));
      pending_.erase(it);
      next_[b] += layout_.blocks;
    }
  }
  void finish() {
    for (auto& [u, unit] : pending_) fold(layout_.block_of(u), std::move(unit));
    pending_.clear();
  }
  /// Blocks that hold trajectories, in block order.
  std::vector<const UnitResult*> blocks() const {
    std::vector<const UnitResult*> out;
    for (const auto& b : blocks_)
      if (b && b->trajectories > 0) out.push_back(&*b);
    return out;
  }
  long trajectories() const {
    long n = 0;
    for (const auto& b : blocks_)
      if (b) n += b->trajectories;
    return n;
  }

 private:
  void fold(int b, UnitResult&& unit) {
    if (!blocks_[b])
      blocks_[b] = std::move(unit);
    else
      blocks_[b]->merge(unit);
  }
  const WorkLayout& layout_;
  std::vector<std::optional<UnitResult>> blocks_;
  std::vector<long> next_;  // next unit index each block expects
  std::map<long, UnitResult> pending_;
};

/// Columns and side outputs from the folded blocks.
EnsembleResult estimate_all(const RunPlan& plan,
                            const std::vector<std::unique_ptr<Observable>>& observables,
                            const std::vector<std::string>& unit_names, const BlockFolder& folder,
                            const std::vector<std::string>* only = nullptr) {
  const auto blocks = folder.blocks();
  if (blocks.empty()) throw InvalidArgument("no work unit finished (time limit too short?)");
  std::vector<BlockStatistics> means;
  std::vector<long> sizes;
  for (const UnitResult* b : blocks) {
    means.push_back(b->means);
    sizes.push_back(b->trajectories);
  }
  EnsembleResult result;
  for (int g = 0; g < plan.grid.points; ++g) result.series.time.push_back(plan.grid.time(g));
  Estimates estimates{result, {}};
  for (std::size_t i = 0; i < observables.size(); ++i) {
    if (only && !makes_any(unit_names[i], *only)) continue;
    std::vector<const BlockRecord*> records;
    if (blocks.front()->records[i])
      for (const UnitResult* b : blocks) records.push_back(b->records[i].get());
    const BlockSums sums(means, plan.offsets[i], std::move(records), sizes, plan.model, plan.grid);
    observables[i]->estimate(sums, estimates);
  }
  if (only) return result;
  const Replicates& power = estimates.curves.at("P_B");
  const auto rate = estimates.curves.find("dS_B_dt");
  if (rate != estimates.curves.end())
    result.peaks = peaks_with_errors(plan.grid, power.full, power.leave_one_out,
                                     &rate->second.full, &rate->second.leave_one_out);
  else
    result.peaks = peaks_with_errors(plan.grid, power.full, power.leave_one_out, nullptr, nullptr);
  return result;
}
/// True when every target column's largest (non-NaN) error over the grid is within bounds.
bool targets_met(const RunPlan& plan, const std::vector<std::unique_ptr<Observable>>& observables,
                 const std::vector<std::string>& unit_names, const BlockFolder& folder) {
  std::vector<std::string> names;
  for (const auto& target : plan.options.target_errors) names.push_back(target.first);
  const EnsembleResult partial = estimate_all(plan, observables, unit_names, folder, &names);
  for (const auto& [name, bound] : plan.options.target_errors) {
    double largest = -1;
    for (double e : partial.series.column(name).error)
      if (!std::isnan(e)) largest = std::max(largest, e);
    if (!(largest >= 0 && largest <= bound)) return false;
  }
  return true;
}

/// Runs what is not in options.completed_units and folds everything; returns the stop reason.
std::string run_and_fold(const RunPlan& plan, const std::vector<std::unique_ptr<Observable>>& observables,
                         const std::vector<std::string>& unit_names, const WorkLayout& layout,
                         BlockFolder& folder, const ProgressCallback& progress) {
  const EnsembleOptions& o = plan.options;
  for (const auto& [u, bytes] : o.completed_units) {
    if (u < 0 || u >= layout.units())
      throw InvalidArgument(fmt::format("completed_units: unit {} is outside 0..{}", u, layout.units() - 1));
    // Every given unit is checked now, before any work: with target errors the later rounds
    // would otherwise read theirs only after minutes of running.
    try {
      (void)load_unit(plan, layout, u, bytes);
    } catch (const InvalidArgument& e) {
      throw InvalidArgument(fmt::format("completed_units: unit {}: {}", u, e.what()));
    }
  }
  const auto start = std::chrono::steady_clock::now();
  std::atomic<bool> timed_out{false};
  const std::function<bool()> keep_going = [&] {
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (o.time_limit > 0 && elapsed > o.time_limit) timed_out = true;
    return !timed_out.load();
  };
  const std::function<void(long, UnitResult&&)> done = [&](long u, UnitResult&& unit) {
    if (o.on_unit_done) o.on_unit_done(u, save_unit(plan, u, unit));
    folder.add(u, std::move(unit));
  };
  long already = 0;
  // Units in [first, last) not yet done, after folding those a checkpoint holds.
  bool missing = false;  // a unit neither given nor allowed to run (options.run_unit)
  auto to_run = [&](long first, long last) {
    std::vector<long> todo;
    for (long u = first; u < last; ++u) {
      const auto it = o.completed_units.find(u);
      if (it == o.completed_units.end()) {
        if (o.run_unit && !o.run_unit(u))
          missing = true;
        else
          todo.push_back(u);
        continue;
      }
      UnitResult unit = load_unit(plan, layout, u, it->second);
      already += unit.trajectories;
      folder.add(u, std::move(unit));
    }
    return todo;
  };
  if (o.target_errors.empty()) {
    run_units(plan, layout, to_run(0, layout.units()), keep_going, done, progress, already);
    folder.finish();
    return timed_out ? "time-limit" : missing ? "incomplete" : "completed";
  }
  // Rounds of B units: after each, decide from rounds 0..r alone (every block complete).
  for (long first = 0; first < layout.units(); first += layout.blocks) {
    const long last = std::min(layout.units(), first + layout.blocks);
    run_units(plan, layout, to_run(first, last), keep_going, done, progress, already);
    already = folder.trajectories();
    if (missing) {  // no decision without the whole round
      folder.finish();
      return "incomplete";
    }
    if (timed_out) {
      folder.finish();
      return "time-limit";
    }
    if (targets_met(plan, observables, unit_names, folder)) return "target-error";
  }
  folder.finish();
  return "completed";
}

}  // namespace

void validate(const EnsembleOptions& options) {
  check_at_least("trajectories", options.trajectories, 1);
  check_at_most("trajectories", options.trajectories, kMaxTrajectories);
  check_at_least("threads", options.threads, 0);
  check_at_most("threads", options.threads, kMaxThreads);
  check_at_least("blocks", options.blocks, 2);
  check_at_most("blocks", options.blocks, kMaxBlocks);
  check_at_least("record_trajectories", options.record_trajectories, 0);
  check_at_least("unit_trajectories", options.unit_trajectories, 0);
  if (!(options.time_limit >= 0) || !std::isfinite(options.time_limit))
    throw InvalidArgument(fmt::format("time_limit must be a finite number >= 0, got {}",
                                      options.time_limit));
  if (!(options.counting_memory_bytes >= 0) || !std::isfinite(options.counting_memory_bytes))
    throw InvalidArgument(fmt::format("counting_memory_bytes must be a finite number >= 0, got {}",
                                      options.counting_memory_bytes));
  validate_observables(options.observables);
}

namespace {

/// The observables of a run and the plan the runner follows (shared by run_ensemble and
/// run_work_units, so that unit results of both fit together).
struct Setup {
  std::vector<std::unique_ptr<Observable>> observables;
  std::vector<std::string> unit_names;
  std::unique_ptr<ProductBasis> basis;
  RunPlan plan;
  Setup(const Model& model, const TimeGrid& grid, const EnsembleOptions& options)
      : plan{model, grid, options, {}, {}, 0, nullptr} {}
};

/// Refuses bad requests (InvalidArgument, naming the option) before any work.
void check_request(const Model& model, const TimeGrid& grid, const EnsembleOptions& options) {
  validate(model);
  validate(grid);
  validate(model, grid);
  validate(options);
  for (double t : options.count_times)
    if (!(t >= 0 && t <= grid.t_max))
      throw InvalidArgument(fmt::format("count_times: {} is outside [0, t_max = {}]", t, grid.t_max));
  for (double t : options.state_times)
    if (!(t >= 0 && t <= grid.t_max))
      throw InvalidArgument(fmt::format("state_times: {} is outside [0, t_max = {}]", t, grid.t_max));
  const std::vector<std::string> names = units_to_run(options);
  for (const auto& [name, bound] : options.target_errors) {
    if (!std::any_of(names.begin(), names.end(),
                     [&](const std::string& unit) { return makes_any(unit, {name}); }))
      throw InvalidArgument(fmt::format("target_errors: column '{}' is not computed", name));
    if (!(bound > 0))
      throw InvalidArgument(fmt::format("target_errors: {} = {} must be > 0", name, bound));
  }
}

std::unique_ptr<Setup> make_setup(const Model& model, const TimeGrid& grid,
                                  const EnsembleOptions& options) {
  check_request(model, grid, options);
  auto setup = std::make_unique<Setup>(model, grid, options);
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

}  // namespace

Sampling parse_sampling(const std::string& name) {
  if (name == "auto") return Sampling::automatic;
  if (name == "trajectories") return Sampling::trajectories;
  if (name == "cascade") return Sampling::cascade;
  throw InvalidArgument(fmt::format(
      "sampling: unknown method '{}' (valid: auto, trajectories, cascade)", name));
}

std::string sector_column_name(double total_j) { return fmt::format("J={}", total_j); }

const char* to_string(Sampling sampling) {
  switch (sampling) {
    case Sampling::automatic: return "auto";
    case Sampling::trajectories: return "trajectories";
    case Sampling::cascade: return "cascade";
  }
  return "?";
}

SamplingChoice choose_sampling(const Model& model, const TimeGrid& grid,
                               const EnsembleOptions& options) {
  if (options.sampling == Sampling::trajectories) return {Sampling::trajectories, ""};
  if (model.nbar != 0.0) {
    if (options.sampling == Sampling::cascade)
      throw InvalidArgument(fmt::format(
          "sampling: cascade needs nbar = 0 (got nbar = {:g}); use trajectories or auto",
          model.nbar));
    return {Sampling::trajectories, ""};
  }
  if (options.sampling == Sampling::automatic && !options.completed_units.empty())
    return {Sampling::trajectories,
            "sampling=trajectories: resuming trajectory work units (a checkpoint)"};
  const CoupledExactCost cost = cascade_ensemble_cost(model, grid, options);
  if (options.sampling == Sampling::cascade ||
      (cost.seconds <= options.cascade_budget_seconds &&
       cost.memory_gib <= options.cascade_max_memory_gib))
    return {Sampling::cascade, "", cost.seconds, cost.memory_gib};
  return {Sampling::trajectories,
          fmt::format("sampling=trajectories: the exact nbar = 0 cascade (--sampling cascade) "
                      "was estimated at {:.3g} s on one core and {:.3g} GiB, beyond the "
                      "automatic budget of {:g} s and {:g} GiB",
                      cost.seconds, cost.memory_gib, options.cascade_budget_seconds,
                      options.cascade_max_memory_gib)};
}

std::map<long, std::string> run_work_units(const Model& model, const TimeGrid& grid,
                                           const EnsembleOptions& options,
                                           const std::function<bool(long unit)>& select,
                                           const ProgressCallback& progress) {
  check_request(model, grid, options);
  if (choose_sampling(model, grid, options).sampling == Sampling::cascade)
    return {};  // nothing is sampled: run_ensemble() computes everything
  const auto setup = make_setup(model, grid, options);
  const WorkLayout layout = work_layout(options);
  std::vector<long> todo;
  for (long u = 0; u < layout.units(); ++u)
    if (select(u)) todo.push_back(u);
  std::map<long, std::string> out;
  run_units(setup->plan, layout, todo, {}, [&](long u, UnitResult&& unit) {
    std::string bytes = save_unit(setup->plan, u, unit);
    if (options.on_unit_done) options.on_unit_done(u, bytes);
    out[u] = std::move(bytes);
  }, progress, 0);
  return out;
}

EnsembleResult run_ensemble(const Model& model, const TimeGrid& grid,
                            const EnsembleOptions& options, const ProgressCallback& progress) {
  check_request(model, grid, options);
  const ScopedThreads threads(options.threads);  // the estimators' and solver's loops too
  const SamplingChoice sampling = choose_sampling(model, grid, options);
  if (sampling.sampling == Sampling::cascade)
    return run_cascade_ensemble(model, grid, options, progress);
  const auto setup = make_setup(model, grid, options);
  const RunPlan& plan = setup->plan;
  const auto& observables = setup->observables;
  const auto& unit_names = setup->unit_names;
  const WorkLayout layout = work_layout(options);
  BlockFolder folder(layout);
  const std::string stop_reason =
      run_and_fold(plan, observables, unit_names, layout, folder, progress);
  if (progress) progress(folder.trajectories(), layout.trajectories);
  EnsembleResult result = estimate_all(plan, observables, unit_names, folder);
  result.trajectories_run = folder.trajectories();
  result.stop_reason = stop_reason;
  if (!sampling.reason.empty()) result.notes.push_back(sampling.reason);
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
