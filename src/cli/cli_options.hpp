#pragma once
// Command-line options of the darkcharge tool and their parsing (CLI11).
#include <memory>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include "darkcharge/ensemble.hpp"
#include "darkcharge/model.hpp"
#include "darkcharge/time_grid.hpp"

namespace darkcharge::cli {

struct Options {
  std::string command;                 // "simulate" or "exact"
  Model model;                         // defaults: the paper's Fig. 2a case, N_B = 2, R = 5
  std::optional<double> temperature;   // if given, nbar is derived from it
  std::string battery_init = "thermal";
  TimeGrid grid{2.0, 201};
  EnsembleOptions ensemble;
  std::string output;                  // empty: CSV to stdout
  std::string summary;                 // empty: no JSON summary
  bool quiet = false;
};

/// Builds the CLI11 application bound to `options`.
std::unique_ptr<CLI::App> make_app(Options& options);

/// Derives dependent fields (nbar from temperature, battery init) after parsing.
void finalize(Options& options);

}  // namespace darkcharge::cli
