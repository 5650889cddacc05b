#pragma once
// The outputs of a simulate or exact run: which files, checked before the run and written
// together after it, and the header lines, notes and JSON summary that make each file say
// what produced it.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli_options.hpp"
#include "darkcharge/ensemble/ensemble.hpp"
#include "darkcharge/estimate/time_series.hpp"
#include "output_files.hpp"

namespace darkcharge::cli {

/// The outputs of a simulate or exact run, checked now and written by commit() from what
/// the lambdas capture (filled in after the run).
struct RunOutputs {
  EnsembleResult result;
  TimeSeries series;
  std::vector<std::string> meta;
  nlohmann::ordered_json summary;
  std::vector<std::string> notes;
  int threads = 0;
  OutputSet files;
};

/// Every output file the options ask for (--output, --summary, --state-output, ...), checked
/// now and added to r.files; their contents come from `r` when r.files.commit() runs.
void plan_outputs(const Options& o, RunOutputs& r);

/// The side outputs and the options they need, refused before any work.
void check_output_options(const Options& o);

/// The header lines of the main CSV: file_header() plus, for simulate, how many
/// trajectories ran and why the run stopped (completed, target-error, time-limit).
std::vector<std::string> csv_header(const Options& o, const RunOutputs& r);

/// The JSON summary of a run: the file header, wall time and final values.
nlohmann::ordered_json summary(const Options& o, const TimeSeries& series, int threads,
                               double wall_seconds);

/// The curve maxima of a run (P_B_max, dS_B_dt_max, their times and lag) for the summary.
nlohmann::json peaks_json(const PeakSummary& p);

/// One note per column that holds nan, so that no nan reaches a file unexplained.
std::vector<std::string> nan_notes(const TimeSeries& series);

}  // namespace darkcharge::cli
