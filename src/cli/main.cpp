// darkcharge: the command-line front end. Parses options, runs the library, writes files.
// All printing and exiting happens here; the library never does either. main() parses the
// command line and turns errors and signals into messages and exit statuses; the
// subcommands live in commands.cpp and steady_command.cpp, their outputs in run_outputs.cpp.
#include <exception>

#include <fmt/format.h>

#include "cli_options.hpp"
#include "commands.hpp"
#include "darkcharge/core/errors.hpp"
#include "file_header.hpp"
#include "mpi_run.hpp"
#include "signals.hpp"

int main(int argc, char** argv) {
  using namespace darkcharge;
  cli::MpiSession mpi(&argc, &argv);
  const bool prints = cli::mpi_rank() == 0;  // one message for all ranks
  cli::record_invocation(argc, argv);
  cli::install_signal_handlers();
  cli::Options options;
  options.arguments.assign(argv + 1, argv + argc);
  auto app = cli::make_app(options);
  try {
    app->parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app->exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app->exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app->exit(e);
  } catch (const CLI::ParseError& e) {
    if (prints)
      fmt::print(stderr, "darkcharge: error: {}\nRun 'darkcharge {}--help' for usage.\n",
                 e.what(), options.command.empty() ? "" : options.command + " ");
    return 2;
  }
  try {
    return cli::run(options);
  } catch (const Interrupted&) {
    return cli::report_interruption();
  } catch (const InvalidArgument& e) {
    if (prints) fmt::print(stderr, "darkcharge: error: {}\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    if (prints) fmt::print(stderr, "darkcharge: error: {}\n", e.what());
    return 1;
  }
}
