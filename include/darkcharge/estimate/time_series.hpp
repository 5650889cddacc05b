#pragma once
/// @file time_series.hpp
/// The result of a run: observables on the time grid, each with its standard error.
#include <string>
#include <vector>

namespace darkcharge {

struct Column {
  std::string name;            ///< physics.md column name, e.g. "E_B"
  std::vector<double> value;   ///< estimate at each grid time
  std::vector<double> error;   ///< standard error (0 for exact results)
  /// How `error` was estimated: "standard-error", "jackknife" or "exact" (written into
  /// file headers so every file says what its error columns mean).
  std::string error_method = "standard-error";
  /// Why some values or errors are NaN, or any caveat on this column ("" if none).
  std::string note;
};

struct TimeSeries {
  std::vector<double> time;
  std::vector<Column> columns;

  /// The column called `name`; throws InvalidArgument if absent.
  const Column& column(const std::string& name) const;
  bool has(const std::string& name) const;
};

}  // namespace darkcharge
