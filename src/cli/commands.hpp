#pragma once
// The subcommands of the command-line tool: simulate, exact, steady and resume, each run from
// parsed options, and the report after a signal stopped a run.
#include "cli_options.hpp"

namespace darkcharge::cli {

/// Runs the parsed command; returns the exit status. Throws InvalidArgument for inputs the
/// user must change and Interrupted when a signal stopped the run.
int run(Options& o);

/// `darkcharge steady`: one row per temperature (steady_command.cpp).
int run_steady(Options& o);

/// The message and exit status (128 + signal: 130 SIGINT, 143 SIGTERM, 129 SIGHUP) after a
/// signal stopped the run, saving the checkpoint first if there is one.
int report_interruption();

}  // namespace darkcharge::cli
