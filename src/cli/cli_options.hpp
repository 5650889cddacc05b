#pragma once
// Command-line options of the darkcharge tool and their parsing (CLI11).
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "darkcharge/ensemble/ensemble.hpp"
#include "darkcharge/physics/model.hpp"
#include "darkcharge/physics/protocol.hpp"
#include "darkcharge/core/time_grid.hpp"

namespace darkcharge::cli {

/// Largest --max-dimension accepted: d^2 complex numbers must stay addressable.
constexpr long kMaxExactDimension = 1'000'000;

struct Options {
  std::string command;                 // "simulate" or "exact"
  Model model;                         // defaults: the paper's Fig. 2a case, N_B = 2, R = 5
  std::optional<double> temperature;   // if given, nbar is derived from it
  // Local (single-spin) rates: --local-* for both ensembles, --charger-*/--battery-* override.
  std::optional<double> local_decay, local_pumping, local_dephasing;
  std::string battery_init = "thermal";
  TimeGrid grid{2.0, 201};
  std::optional<double> t_max;         // --t-max; unset: default_t_max(model) (time_scale.hpp)
  std::vector<double> times;           // --times: explicit output times (replace t-max, points)
  std::string protocol_file;           // --protocol: JSON list of segments
  std::optional<Protocol> protocol;    // parsed by finalize() on top of `model`
  EnsembleOptions ensemble;
  std::string output;                  // empty: CSV to stdout
  std::string summary;                 // empty: no JSON summary
  std::vector<std::string> observables;  // empty: all columns
  std::vector<double> state_times;     // times at which to write the averaged state
  std::string state_output;            // battery reduced state, t,j_B,m_B,population
  std::string joint_state_output;      // joint state blocks in the product basis
  std::string sectors_output;          // total-J sector populations
  std::string counts_output;           // P(n, t) of emitted quanta at --state-times
  std::string jumps_output;            // jump records of the first --record-trajectories
  std::vector<double> temperatures;    // steady: sweep over T
  std::vector<double> nbar_values;     // steady: sweep over nbar
  long max_dimension = 2000;           // exact --method product: largest dimension
  std::string sampling = "auto";       // simulate: "auto", "trajectories" or "cascade"
  std::string exact_method = "coupled";  // exact: "coupled" (default) or "product"
  std::optional<double> max_memory_gib;  // refuse larger memory estimates (default: RAM)
  double max_cpu_hours = 24;           // refuse larger CPU-time estimates
  double max_seconds = 3600.0;         // exact --method coupled: refuse longer estimates
  std::vector<std::string> arguments;  // argv[1..], stored in checkpoints
  std::string checkpoint;              // simulate: checkpoint file
  double checkpoint_every = 60;        // seconds between checkpoint writes (0: every unit)
  std::vector<std::string> target_error;  // "COLUMN=X" items
  double time_limit = 0;               // seconds; 0: none
  std::string resume_file;             // resume: the checkpoint to continue
  std::optional<double> resume_time_limit;  // resume: replaces the run's --time-limit
  bool quiet = false;
};

/// Builds the CLI11 application bound to `options`.
std::unique_ptr<CLI::App> make_app(Options& options);

/// Every column name darkcharge can output, in output order.
const std::vector<std::string>& all_observables();

/// True when --protocol holds more than a plain model (several segments, or a reservoir on
/// one ensemble): `exact` runs it with solve_exact_protocol().
bool runs_protocol(const Options& o);

/// Derives dependent fields (nbar from temperature, battery init) after parsing.
void finalize(Options& options);

}  // namespace darkcharge::cli
