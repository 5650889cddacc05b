#pragma once
// The coverage panel: cases with exact references, and the tally of how often
// a run's error bars cover the exact value. Shared by bench/coverage.cpp (the published
// table, >= 100 seeds per case) and tests/test_coverage.cpp (fast fixed-seed versions).
#include <map>
#include <string>
#include <vector>

#include "darkcharge/ensemble/ensemble.hpp"
#include "darkcharge/physics/model.hpp"
#include "darkcharge/core/time_grid.hpp"
#include "darkcharge/estimate/time_series.hpp"

namespace darkcharge::coverage {

struct PanelCase {
  std::string name;
  Model model;
  TimeGrid grid;
  long trajectories;           ///< per seed (kept small so that 100 seeds are affordable)
  std::string reference_file;  ///< file in tests/data; "" = the product-basis exact solver
  double reference_accuracy;   ///< absolute accuracy of the reference values
  /// Columns beyond the default ones (EnsembleOptions::observables) that the reference has
  /// (N_em, N_abs, F_em make the product solver integrate its counting statistics).
  std::vector<std::string> extra_columns = {};
};

/// Options for a run of case c: its trajectories and, with extra columns, every default
/// column plus those.
EnsembleOptions run_options(const PanelCase& c, long trajectories);

/// The panel (N_B = 100, N_C = 1000 is left out: it needs the coupled-basis exact solver)
/// plus three boundary cases where an exact value sits on a column's physical bound.
std::vector<PanelCase> panel();

/// Exact columns on the case's grid (same names as simulate(); dS_B_dt by the same finite
/// differences of the exact S_B) and the exact peak summary.
struct Reference {
  TimeSeries series;
  PeakSummary peaks;
};
Reference reference(const PanelCase& c);

/// One cell of the table: checks where |estimate - exact| <= 2 error (+ reference accuracy),
/// checks where the run gave no error (NaN: flagged as unresolved), and the sum of z.
struct Tally {
  long covered = 0;
  long checked = 0;  ///< with a finite error
  long flagged = 0;  ///< NaN estimate or error where the exact value is finite
  double sum_z = 0;  ///< sum of (estimate - exact) / error, clipped to [-10, 10], error > 0
  long z_count = 0;
  double sum_error = 0, sum_value = 0, sum_value2 = 0;  ///< of the checks
  void add(double estimate, double error, double exact, double accuracy);
  double coverage() const { return checked ? double(covered) / checked : 1.0; }
};

/// Per column (and per peak feature, named "peak:<field>"), one tally per output time
/// (peak features: a single entry).
using CaseTally = std::map<std::string, std::vector<Tally>>;

/// Adds one run to the tally.
void score(const EnsembleResult& run, const Reference& exact, double accuracy, CaseTally& tally);

}  // namespace darkcharge::coverage
