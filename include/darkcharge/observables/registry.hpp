#pragma once
/// @file observable_registry.hpp
/// Every column darkcharge can output, written once: name, help text, error method, cost,
/// and the observable unit that computes it. The CLI's --observables list and help, the
/// Python module and the README column table all read this, so they cannot disagree.
#include <memory>
#include <string>
#include <vector>

#include "darkcharge/run/observable.hpp"
#include "darkcharge/run/run_options.hpp"

namespace darkcharge {

struct ObservableInfo {
  std::string name;          ///< column name (physics.md)
  std::string unit;          ///< the observable unit computing it (several columns may share one)
  std::string help;          ///< one line for --help and the README
  std::string error_method;  ///< "standard-error" or "jackknife"
  std::string cost;          ///< what it costs per trajectory and output time
  bool exact = false;        ///< also computed by the exact solver (`darkcharge exact`)
  /// In the default column set (no --observables). The jump-record statistics are not:
  /// they would cost the paper's default run ~60% more time for columns it does not use.
  bool in_default = true;
  /// Why the column can hold nan (front ends print it wherever a value is nan).
  std::string nan_reason = "numerically undefined there";
  /// Computed exactly only by `exact --method product` (ExactOptions::counting), not by the
  /// coupled-basis solver.
  bool exact_product_only = false;
};

/// ObservableInfo::nan_reason of column `name`, or the generic reason for other columns.
std::string nan_reason(const std::string& name);

/// The largest width 2 min(j_C, j_B) + 1 at which trajectory estimates of S_B and dS_B_dt
/// were validated (coverage, bench/README.md): beyond it sampling noise biases the trace norm
/// of rho^{T_B} upward by more than the jackknife removes, so trajectory runs withdraw them
/// (NaN with the reason) and leave them out of the default columns (the exact nbar = 0
/// cascade gives them exactly at any width). Within it the collective path also leaves out
/// the times whose visited blocks the sample covers too thinly (more than 2 product levels
/// per trajectory; src/observables/negativity_estimate.hpp).
constexpr int kValidatedEntanglementWidth = 21;

/// All columns, in output order.
const std::vector<ObservableInfo>& observable_registry();
/// Column names in output order (of `simulate`, or of `exact` when exact_only).
std::vector<std::string> observable_names(bool exact_only = false);
/// The entry called `name`; throws InvalidArgument naming it and the valid names.
const ObservableInfo& observable_info(const std::string& name);
/// Throws InvalidArgument for the first unknown name.
void validate_observables(const std::vector<std::string>& names);

/// Creates the unit called `unit` (ObservableInfo::unit, or "sectors", "emission_counts",
/// "jump_record" for side outputs).
std::unique_ptr<Observable> make_observable(const std::string& unit,
                                            const ObservableContext& context);

/// The observable units a run computes, in registry order: those of options.observables
/// (or, when empty, every default column allowed by the ergotropy/entanglement switches),
/// always P_B (the peak summary), then the side outputs the options ask for. Every sampler
/// (trajectories, cascade) follows it.
std::vector<std::string> units_to_run(const EnsembleOptions& options);

/// True when observable unit `unit` makes any column named in `names`.
bool unit_makes_any(const std::string& unit, const std::vector<std::string>& names);

/// True when `requested` is empty (all) or names any of `names`.
bool requests_any(const std::vector<std::string>& requested,
                  const std::vector<std::string>& names);

/// Keeps the columns named in `wanted` (all if empty), in the series' order.
TimeSeries select_columns(const TimeSeries& series, const std::vector<std::string>& wanted);

/// The README's column table (markdown), generated from the registry.
std::string observables_markdown_table();

}  // namespace darkcharge
