#pragma once
// SIGINT, SIGTERM and SIGHUP in the CLI, and the temporary files they must not leave behind.
//
// While a simulation runs inside a GracefulStop scope, the first signal only sets the flag
// passed as EnsembleOptions::stop: the runner starts no further trajectory and throws
// darkcharge::Interrupted, and main() cleans up and exits 128 + signal (130 for SIGINT, 143
// for SIGTERM). Anywhere else (exact solver, steady state, writing files), or on a second
// signal, the handler removes every registered temporary file itself and exits at once with
// the same code. Only async-signal-safe calls (unlink, write, _exit) are made in the handler.
#include <atomic>
#include <string>

namespace darkcharge::cli {

/// Installs the handlers (idempotent). Call once at start-up.
void install_signal_handlers();

/// Set by the first signal; pass its address as EnsembleOptions::stop.
const std::atomic<bool>& stop_requested();

/// The signal that set stop_requested(), 0 if none.
int received_signal();

/// 128 + signal number: the exit status after an interruption.
int interrupted_exit_code(int signal);

/// "SIGINT", "SIGTERM", "SIGHUP".
const char* signal_name(int signal);

/// While alive, the first signal only requests a stop (the runner polls the flag).
class GracefulStop {
 public:
  GracefulStop();
  ~GracefulStop();
  GracefulStop(const GracefulStop&) = delete;
  GracefulStop& operator=(const GracefulStop&) = delete;
};

/// A temporary file that a signal handler removes if the process dies before it is renamed
/// or removed. Register before creating the file, so no instant exists in which the file is
/// on disk but unknown to the handler.
class TemporaryFileGuard {
 public:
  explicit TemporaryFileGuard(const std::string& path);  // throws if the registry is full
  ~TemporaryFileGuard();                                  // forgets the path (does not unlink)
  TemporaryFileGuard(const TemporaryFileGuard&) = delete;
  TemporaryFileGuard& operator=(const TemporaryFileGuard&) = delete;

 private:
  int slot_;
};

/// Blocks SIGINT, SIGTERM and SIGHUP for the rest of the process: used once every output is
/// complete and only renames remain, so that the outputs appear together; a signal arriving
/// now is discarded when the process exits successfully.
void block_signals_for_commit();

}  // namespace darkcharge::cli
