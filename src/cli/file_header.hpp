#pragma once
// The self-description every output file starts with: version and subcommand, the command
// line, a UTC timestamp, the parameters, and per column how its error was estimated.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli_options.hpp"
#include "darkcharge/estimate/time_series.hpp"

namespace darkcharge::cli {

/// Remembers the command line and the start time (call once, first thing in main).
void record_invocation(int argc, char** argv);

/// For `resume`: the run continues the simulate command a checkpoint holds, so the recorded
/// command line becomes that command followed by the resume that finished it ("darkcharge
/// simulate ...; resumed with: darkcharge resume ..."). Call after record_invocation().
void record_resumed_run(const std::vector<std::string>& original_arguments);

/// How a run's work was spread: MPI ranks and the threads of each (a one-process run has
/// ranks = 1 and one entry). Set by the CLI before the headers are written.
void record_parallelism(const std::vector<int>& threads_per_rank);

/// "errors: E_B=standard-error, W_B=jackknife, ..." for these columns.
std::string error_methods_line(const std::vector<Column>& columns);

/// Header lines (without "# "): version and subcommand, command line, timestamp, model,
/// grid and run parameters, then `errors` (from error_methods_line, or a sentence for
/// files without error columns) and any notes.
std::vector<std::string> file_header(const Options& o, int threads, const std::string& errors,
                                     const std::vector<std::string>& notes = {});

/// The same facts as JSON fields (version, command, command_line, created, parameters,
/// run settings) for the summary file; error methods go under "error_methods".
nlohmann::ordered_json json_header(const Options& o, int threads,
                                   const std::vector<Column>& columns);

}  // namespace darkcharge::cli
