#pragma once
/// @file ensemble_result.hpp
/// What an ensemble run returns: the columns with errors, the peak features, averaged
/// states, sector populations, emission counts, jump records, and how it was obtained.
#include <string>
#include <vector>

#include "darkcharge/estimate/jackknife.hpp"
#include "darkcharge/estimate/time_series.hpp"
#include "darkcharge/physics/density_matrix.hpp"
#include "darkcharge/run/run_options.hpp"
#include "darkcharge/run/observable.hpp"

namespace darkcharge {

/// Peak features (paper Fig. 2e and Fig. 5) of the reported curves, each with a jackknife
/// error (peak_features.hpp). NaN value and error when a peak is not resolved; the notes
/// say why.
struct PeakSummary {
  Estimate power_max;                   ///< P_B^max
  Estimate power_max_time;              ///< its time
  Estimate entanglement_rate_max;       ///< largest interior local maximum of dS_B/dt
  Estimate entanglement_rate_max_time;  ///< its time
  Estimate lag;                         ///< time(dS_B/dt max) - time(P_B^max)
  std::string power_note;               ///< why P_B^max is NaN ("" if resolved)
  std::string entanglement_note;        ///< why the dS_B/dt maximum (and lag) is NaN
};

/// Name of the EnsembleResult::sectors column of total J: "J=<value>", e.g. "J=3.5".
std::string sector_column_name(double total_j);

struct EnsembleResult {
  TimeSeries series;
  PeakSummary peaks;
  /// Averaged state per grid time (trajectories: at every time when S_B is computed;
  /// cascade: only at EnsembleOptions::state_times, empty elsewhere).
  std::vector<DensityMatrix> density;
  /// Population of each total-J sector (columns named by sector_column_name(); jackknife
  /// errors). Total J is conserved, so these stay at their initial values: a built-in
  /// consistency check.
  TimeSeries sectors;
  /// P(n, t): probability that n quanta were emitted by time t, at each of
  /// EnsembleOptions::count_times (rows with P > 0), with standard errors.
  struct EmissionCount {
    double time;
    long emitted;
    Estimate probability;
  };
  std::vector<EmissionCount> emission_counts;
  /// The jumps of the first EnsembleOptions::record_trajectories trajectories, in
  /// trajectory and time order.
  struct RecordedJump {
    long trajectory;
    Jump jump;
  };
  std::vector<RecordedJump> jumps;
  /// Trajectories in the result, and why the run stopped: "completed", "target-error"
  /// (every EnsembleOptions::target_errors bound met), "time-limit", "incomplete" (units
  /// excluded by EnsembleOptions::run_unit), or "exact" (Sampling::cascade: nothing was
  /// sampled, trajectories_run is 0).
  long trajectories_run = 0;
  std::string stop_reason;
  /// How the result was obtained (Sampling::trajectories or Sampling::cascade) and what
  /// the user should know about it (e.g. why the cascade was or was not taken).
  Sampling sampling = Sampling::trajectories;
  std::vector<std::string> notes;
};

}  // namespace darkcharge
