#include "signals.hpp"

#include <csignal>
#include <cstring>
#include <stdexcept>

#include <fmt/format.h>
#include <limits.h>
#include <signal.h>
#include <unistd.h>

namespace darkcharge::cli {
namespace {

constexpr int kHandled[] = {SIGINT, SIGTERM, SIGHUP};

std::atomic<bool> g_stop{false};
std::atomic<int> g_signal{0};
std::atomic<int> g_graceful_depth{0};

// Fixed storage the handler can read without allocating. A slot is published (state 1)
// only after its path is fully written, and cleared before it is reused.
constexpr int kSlots = 32;
struct Slot {
  std::atomic<int> used{0};
  char path[PATH_MAX];
};
Slot g_slots[kSlots];

void write_stderr(const char* text) {
  const std::size_t length = std::strlen(text);
  std::size_t done = 0;
  while (done < length) {
    const ssize_t n = ::write(STDERR_FILENO, text + done, length - done);
    if (n <= 0) return;
    done += static_cast<std::size_t>(n);
  }
}

void remove_registered_files() {
  for (auto& slot : g_slots)
    if (slot.used.load(std::memory_order_acquire) == 1) ::unlink(slot.path);
}

extern "C" void on_signal(int signal) {
  const bool first = !g_stop.exchange(true);
  if (first) g_signal.store(signal);
  if (first && g_graceful_depth.load() > 0) {  // the runner stops at a trajectory boundary
    write_stderr("\ndarkcharge: stopping after the running trajectories; signal again to stop "
                 "at once\n");
    return;
  }
  remove_registered_files();
  write_stderr("darkcharge: interrupted by ");
  write_stderr(signal_name(signal));
  write_stderr("; stopped at once, no output written\n");
  ::_exit(interrupted_exit_code(signal));
}

}  // namespace

void install_signal_handlers() {
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  for (int s : kHandled) sigaddset(&action.sa_mask, s);  // one handler at a time
  action.sa_flags = SA_RESTART;
  for (int s : kHandled) ::sigaction(s, &action, nullptr);
  // A closed pipe on standard output is then a write error (EPIPE) that is reported and
  // cleaned up after, instead of a silent death that would leave temporary files.
  ::signal(SIGPIPE, SIG_IGN);
}

const std::atomic<bool>& stop_requested() { return g_stop; }

int received_signal() { return g_signal.load(); }

int interrupted_exit_code(int signal) { return 128 + signal; }

const char* signal_name(int signal) {
  switch (signal) {
    case SIGINT: return "SIGINT";
    case SIGTERM: return "SIGTERM";
    case SIGHUP: return "SIGHUP";
    default: return "a signal";
  }
}

GracefulStop::GracefulStop() { ++g_graceful_depth; }
GracefulStop::~GracefulStop() { --g_graceful_depth; }

TemporaryFileGuard::TemporaryFileGuard(const std::string& path) : slot_(-1) {
  if (path.size() >= PATH_MAX)
    throw std::runtime_error(fmt::format("path too long: '{}'", path));
  for (int i = 0; i < kSlots && slot_ < 0; ++i) {
    int expected = 0;
    if (g_slots[i].used.compare_exchange_strong(expected, 2)) slot_ = i;  // 2: being written
  }
  if (slot_ < 0) throw std::runtime_error("too many temporary files open at once");
  std::memcpy(g_slots[slot_].path, path.c_str(), path.size() + 1);
  g_slots[slot_].used.store(1, std::memory_order_release);
}

TemporaryFileGuard::~TemporaryFileGuard() { g_slots[slot_].used.store(0); }

void block_signals_for_commit() {
  sigset_t set;
  sigemptyset(&set);
  for (int s : kHandled) sigaddset(&set, s);
  ::sigprocmask(SIG_BLOCK, &set, nullptr);
}

}  // namespace darkcharge::cli
