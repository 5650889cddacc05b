// The CLI's outputs, bounds and interruption, on the audit's cases: devices, FIFOs
// and symlinks are written through, never replaced; bad paths and clashes are refused before
// running; write errors are reported; numbers are strict; hopeless runs are refused with the
// option that controls them; signals leave no temporary file. Every file and device node is
// created inside the test's own temporary directory (CI runs as root: never the system's).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <gtest/gtest.h>
#include <climits>
#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "cli_process.hpp"

namespace darkcharge::testing {
namespace {

const std::vector<std::string> kSmallRun = {"simulate", "-n", "20", "--points", "11", "-q"};

bool is_char_device(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0 && S_ISCHR(st.st_mode);
}

/// A character device node with the numbers of /dev/null (1, 3) or /dev/full (1, 7), made in
/// the test directory; false if this process may not (not root).
bool make_device(const std::string& path, unsigned minor) {
  return ::mknod(path.c_str(), S_IFCHR | 0666, makedev(1, minor)) == 0;
}

void write_text(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

#define EXPECT_NO_TEMPORARY_FILES(dir) \
  EXPECT_TRUE(temporary_files_in(dir).empty()) << "left: " << temporary_files_in(dir).front()

TEST(CliSafety, NullDeviceNodeStaysACharacterDevice) {
  TemporaryDirectory dir;
  if (!make_device(dir / "null-node", 3)) GTEST_SKIP() << "mknod needs root";
  const ProcessResult r = run_darkcharge(with(kSmallRun, {"-o", "null-node"}), dir.path());
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(is_char_device(dir / "null-node"));
  EXPECT_NO_TEMPORARY_FILES(dir.path());
}

/// Reads a FIFO while a child runs. The read end is opened non-blocking first, so neither
/// side waits for the other to open, and the test cannot hang if the FIFO is never opened
/// for writing (e.g. replaced by a regular file).
class FifoReader {
 public:
  explicit FifoReader(const std::string& path)
      : fd_(::open(path.c_str(), O_RDONLY | O_NONBLOCK)), thread_([this] { loop(); }) {}
  ~FifoReader() { finish(); }
  /// Call after the writer has ended: drains what is left and returns everything read.
  const std::string& finish() {
    writer_done_ = true;
    if (thread_.joinable()) thread_.join();
    if (fd_ >= 0) ::close(fd_), fd_ = -1;
    return data_;
  }
  bool opened() const { return fd_ >= 0; }

 private:
  void loop() {
    char buffer[4096];
    while (fd_ >= 0) {
      const bool last_round = writer_done_;  // read at least once after the writer ended
      const ssize_t n = ::read(fd_, buffer, sizeof buffer);
      if (n > 0) {
        data_.append(buffer, static_cast<std::size_t>(n));
        continue;
      }
      if (last_round) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
  int fd_;
  std::atomic<bool> writer_done_{false};
  std::string data_;
  std::thread thread_;
};

TEST(CliSafety, FifoReceivesTheCsvAndStaysAFifo) {
  TemporaryDirectory dir;
  ASSERT_EQ(::mkfifo((dir / "fifo").c_str(), 0644), 0);
  FifoReader reader(dir / "fifo");
  ASSERT_TRUE(reader.opened());
  const ProcessResult r = run_darkcharge(with(kSmallRun, {"-o", "fifo"}), dir.path());
  const std::string received = reader.finish();
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(received.find("\nt,E_B,E_B_err"), std::string::npos) << received;
  struct stat st {};
  ASSERT_EQ(::lstat((dir / "fifo").c_str(), &st), 0);
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
  EXPECT_NO_TEMPORARY_FILES(dir.path());
}

TEST(CliSafety, SymlinkIsKeptAndItsTargetReplaced) {
  TemporaryDirectory dir;
  write_text(dir / "target.csv", "old\n");
  ASSERT_EQ(::symlink("target.csv", (dir / "link.csv").c_str()), 0);
  ASSERT_EQ(::symlink("new.csv", (dir / "dangling.json").c_str()), 0);  // target missing
  const ProcessResult r =
      run_darkcharge(with(kSmallRun, {"-o", "link.csv", "--summary", "dangling.json"}), dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  char target[256] = {};
  ASSERT_GT(::readlink((dir / "link.csv").c_str(), target, sizeof target - 1), 0);
  EXPECT_STREQ(target, "target.csv");
  EXPECT_NE(read_file(dir / "target.csv").find("t,E_B"), std::string::npos);
  EXPECT_NE(read_file(dir / "new.csv").find("\"parameters\""), std::string::npos);
  struct stat st {};
  ASSERT_EQ(::lstat((dir / "dangling.json").c_str(), &st), 0);
  EXPECT_TRUE(S_ISLNK(st.st_mode));
  EXPECT_NO_TEMPORARY_FILES(dir.path());
}

TEST(CliSafety, ReadOnlyFileIsRefusedAndKept) {
  TemporaryDirectory dir;
  write_text(dir / "ro.csv", "keep\n");
  ASSERT_EQ(::chmod((dir / "ro.csv").c_str(), 0444), 0);
  const ProcessResult r = run_darkcharge(with(kLongRun, {"-o", "ro.csv"}), dir.path());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--output 'ro.csv'"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("read-only"), std::string::npos) << r.err;
  EXPECT_LT(r.seconds, 10);
  EXPECT_EQ(read_file(dir / "ro.csv"), "keep\n");
  struct stat st {};
  ASSERT_EQ(::stat((dir / "ro.csv").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0444u);
  EXPECT_NO_TEMPORARY_FILES(dir.path());
}

TEST(CliSafety, TwoOutputsOnOneFileAreRefusedBeforeRunning) {
  TemporaryDirectory dir;
  write_text(dir / "existing.csv", "x\n");
  ASSERT_EQ(::link((dir / "existing.csv").c_str(), (dir / "hard.csv").c_str()), 0);
  ASSERT_EQ(::symlink("existing.csv", (dir / "soft.csv").c_str()), 0);
  const std::vector<std::vector<std::string>> cases = {
      {"-o", "same.csv", "--summary", "same.csv"},
      {"-o", "same.csv", "--state-times", "1", "--state-output", "./same.csv"},
      {"-o", "same.csv", "--sectors-output", dir / "same.csv"},
      {"-o", "existing.csv", "--summary", "hard.csv"},
      {"-o", "soft.csv", "--summary", "existing.csv"},
      {"-o", "-", "--summary", "-"},
      {"--summary", "-"},  // the CSV goes to standard output by default
  };
  for (const auto& c : cases) {
    const ProcessResult r = run_darkcharge(with(kLongRun, c), dir.path());
    EXPECT_EQ(r.exit_code, 2) << c[1] << " " << c.back();
    EXPECT_NE(r.err.find("both write to"), std::string::npos) << r.err;
    EXPECT_LT(r.seconds, 10) << "refused only after running";
    EXPECT_FALSE(file_exists(dir / "same.csv"));
  }
  const ProcessResult exact = run_darkcharge(
      {"exact", "--nb", "1", "--nc", "2", "-o", "e.csv", "--summary", "e.csv"}, dir.path());
  EXPECT_EQ(exact.exit_code, 2);
  EXPECT_FALSE(file_exists(dir / "e.csv"));
  EXPECT_EQ(read_file(dir / "existing.csv"), "x\n");
  EXPECT_NO_TEMPORARY_FILES(dir.path());
}

TEST(CliSafety, DirectoriesAndMissingDirectoriesAreRefusedAtOnce) {
  TemporaryDirectory dir;
  ASSERT_EQ(::mkdir((dir / "sub").c_str(), 0755), 0);
  const struct {
    std::vector<std::string> args;
    const char* must_mention;
  } cases[] = {
      {{"-o", "."}, "is a directory"},
      {{"-o", "sub"}, "is a directory"},
      {{"-o", "new/"}, "is a directory"},
      {{"--summary", "sub"}, "--summary 'sub'"},
      {{"-o", "missing/x.csv"}, "'missing' does not exist"},
      {{"-o", ""}, "--output"},
  };
  for (const auto& c : cases) {
    const ProcessResult r = run_darkcharge(with(kLongRun, c.args), dir.path());
    EXPECT_EQ(r.exit_code, 2) << c.args[1];
    EXPECT_NE(r.err.find(c.must_mention), std::string::npos) << r.err;
    EXPECT_LT(r.seconds, 10);
  }
  const ProcessResult steady = run_darkcharge({"steady", "-o", "sub"}, dir.path());
  EXPECT_EQ(steady.exit_code, 2);
  EXPECT_NO_TEMPORARY_FILES(dir.path());
}

TEST(CliSafety, WriteErrorOnAFullDeviceIsReportedAndNothingElseAppears) {
  TemporaryDirectory dir;
  if (!make_device(dir / "full-node", 7)) GTEST_SKIP() << "mknod needs root";
  // The CSV and the summary appear together or not at all: whichever one fails, the other
  // (a regular file) must not be created.
  for (const auto& args : {std::vector<std::string>{"-o", "full-node", "--summary", "s.json"},
                           std::vector<std::string>{"-o", "c.csv", "--summary", "full-node"}}) {
    const ProcessResult r = run_darkcharge(with(kSmallRun, args), dir.path());
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_NE(r.err.find("'full-node'"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("No space left on device"), std::string::npos) << r.err;
    EXPECT_FALSE(file_exists(dir / "s.json"));
    EXPECT_FALSE(file_exists(dir / "c.csv"));
    EXPECT_TRUE(is_char_device(dir / "full-node"));
  }
  EXPECT_NO_TEMPORARY_FILES(dir.path());
}

TEST(CliSafety, DashIsStandardOutput) {
  TemporaryDirectory dir;
  const ProcessResult r = run_darkcharge(with(kSmallRun, {"-o", "-"}), dir.path());
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("\nt,E_B,E_B_err"), std::string::npos);
  EXPECT_FALSE(file_exists(dir / "-"));
  const ProcessResult steady = run_darkcharge({"steady", "-o", "-"}, dir.path());
  EXPECT_EQ(steady.exit_code, 0) << steady.err;
  EXPECT_NE(steady.out.find("T,nbar,E_B"), std::string::npos);
  EXPECT_FALSE(file_exists(dir / "-"));
}

/// Sends `signal` during a long run and checks the exit status, message and that nothing was written.
void expect_clean_interruption(int signal, int expected_exit, const char* name) {
  TemporaryDirectory dir;
  const std::vector<std::string> args = with(kLongRun, {"-o", "out.csv", "--summary", "out.json", "--threads", "2"});
  // One second is far past start-up; a signal even during start-up must end the same way.
  const ProcessResult r = run_darkcharge(args, dir.path(), 60, [&](pid_t pid) {
    std::this_thread::sleep_for(std::chrono::seconds(1));
    ::kill(pid, signal);
  });
  EXPECT_TRUE(r.exited) << "killed by signal " << r.signal;
  EXPECT_EQ(r.exit_code, expected_exit) << r.err;
  EXPECT_NE(r.err.find(std::string("interrupted by ") + name), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("no output written"), std::string::npos) << r.err;
  EXPECT_LT(r.seconds, 30);
  EXPECT_FALSE(file_exists(dir / "out.csv"));
  EXPECT_FALSE(file_exists(dir / "out.json"));
  EXPECT_NO_TEMPORARY_FILES(dir.path());
}

TEST(CliSafety, SigintStopsTheRunWithExit130) { expect_clean_interruption(SIGINT, 130, "SIGINT"); }
TEST(CliSafety, SigtermStopsTheRunWithExit143) { expect_clean_interruption(SIGTERM, 143, "SIGTERM"); }
TEST(CliSafety, SighupStopsTheRunWithExit129) { expect_clean_interruption(SIGHUP, 129, "SIGHUP"); }

TEST(CliSafety, SigkillDuringTheRunLeavesNoFile) {
  // SIGKILL cannot be handled: nothing may be on disk while the trajectories run
  // (temporary files exist only while the finished outputs are written).
  TemporaryDirectory dir;
  const ProcessResult r = run_darkcharge(
      with(kLongRun, {"-o", "out.csv", "--summary", "out.json"}), dir.path(), 60, [](pid_t pid) {
        std::this_thread::sleep_for(std::chrono::seconds(1));
        ::kill(pid, SIGKILL);
      });
  EXPECT_EQ(r.signal, SIGKILL);
  EXPECT_FALSE(file_exists(dir / "out.csv"));
  EXPECT_FALSE(file_exists(dir / "out.json"));
  EXPECT_NO_TEMPORARY_FILES(dir.path());
}

/// Whether process `pid` holds a temporary file of `directory` open: named "*.tmp*", or
/// unnamed (O_TMPFILE: its /proc link reads "<directory>/#<inode> (deleted)").
bool holds_temporary_file(pid_t pid, const std::string& directory) {
  if (!temporary_files_in(directory).empty()) return true;
  char real[PATH_MAX];
  if (!::realpath(directory.c_str(), real)) return false;
  const std::string fds = "/proc/" + std::to_string(pid) + "/fd";
  DIR* d = ::opendir(fds.c_str());
  if (!d) return false;
  bool found = false;
  while (const dirent* e = ::readdir(d)) {
    char target[PATH_MAX];
    const ssize_t n = ::readlink((fds + "/" + e->d_name).c_str(), target, sizeof target - 1);
    if (n <= 0) continue;
    const std::string link(target, std::size_t(n));
    found = found || (link.rfind(std::string(real) + "/", 0) == 0 &&
                      link.find("(deleted)") != std::string::npos);
  }
  ::closedir(d);
  return found;
}

/// The summary is finished into its temporary file first; the CSV then goes to a FIFO no
/// one reads, so the process waits, temporary file open, for `signal`.
ProcessResult signal_while_writing(const TemporaryDirectory& dir, int signal, bool& saw_temporary) {
  EXPECT_EQ(::mkfifo((dir / "fifo").c_str(), 0644), 0);
  saw_temporary = false;
  return run_darkcharge(
      with(kSmallRun, {"-o", "fifo", "--summary", "s.json"}), dir.path(), 60, [&](pid_t pid) {
        for (int i = 0; i < 2000 && !saw_temporary; ++i) {
          saw_temporary = holds_temporary_file(pid, dir.path());
          std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
        ::kill(pid, signal);
      });
}

TEST(CliSafety, SignalWhileWritingRemovesTheTemporaryFiles) {
  TemporaryDirectory dir;
  bool saw_temporary = false;
  const ProcessResult r = signal_while_writing(dir, SIGTERM, saw_temporary);
  EXPECT_TRUE(saw_temporary);
  EXPECT_EQ(r.exit_code, 143) << r.err;
  EXPECT_NE(r.err.find("interrupted by SIGTERM"), std::string::npos) << r.err;
  EXPECT_FALSE(file_exists(dir / "s.json"));
  EXPECT_NO_TEMPORARY_FILES(dir.path());
}

TEST(CliSafety, SigkillWhileWritingLeavesNoTemporaryFile) {
  // No handler runs on SIGKILL: the temporary file must be unnamed (O_TMPFILE) to vanish.
  TemporaryDirectory dir;
  bool saw_temporary = false;
  const ProcessResult r = signal_while_writing(dir, SIGKILL, saw_temporary);
  EXPECT_TRUE(saw_temporary);
  EXPECT_EQ(r.signal, SIGKILL);
  EXPECT_FALSE(file_exists(dir / "s.json"));
  EXPECT_NO_TEMPORARY_FILES(dir.path());
}

TEST(CliSafety, NumbersAreStrictDecimal) {
  TemporaryDirectory dir;
  // "010" is ten (decimal, not octal 8); "+3" and "0009" are accepted as 3 and 9.
  const ProcessResult r = run_darkcharge(
      with(kSmallRun, {"--nb", "010", "--nc", "+3", "--seed", "0009"}), dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("# nb=10 nc=3 "), std::string::npos) << r.out.substr(0, 300);
  EXPECT_NE(r.out.find(" seed=9 "), std::string::npos);
}

// The audit's inputs, each refused before running, naming the option to change.
TEST(CliSafety, AuditCasesAreRefusedNamingTheOption) {
  TemporaryDirectory dir;
  const struct {
    std::vector<std::string> args;
    const char* must_mention;
  } cases[] = {
      {{"simulate", "--seed", "-1"}, "--seed"},
      {{"simulate", "--seed", "18446744073709551616"}, "--seed"},
      {{"simulate", "--seed", "99999999999999999999999"}, "--seed"},
      {{"simulate", "--trajectories", "99999999999999999999"}, "--trajectories"},
      {{"simulate", "--nb", "2147483647", "--nc", "2147483647"}, "--nb"},
      {{"exact", "--nb", "2147483647", "--nc", "2147483647"}, "--nb"},
      {{"simulate", "--threads", "50000"}, "--threads"},
      {{"simulate", "--threads", "70000"}, "--threads"},
      {{"simulate", "--points", "1000000000"}, "--points"},
      {{"simulate", "--nb", "0x10"}, "--nb"},
      {{"simulate", "--nbar", "0x1p3"}, "--nbar"},
      {{"simulate", "--nbar", "1e400"}, "--nbar"},
      {{"simulate", "--t-max", "1e999"}, "--t-max"},
      // Memory: limits given explicitly so the case does not depend on this machine's RAM.
      // Trajectory memory (at nbar = 0 the default is the exact cascade, far smaller).
      {{"simulate", "--points", "1000000", "--trajectories", "100", "--max-memory", "8",
        "--sampling", "trajectories"},
       "--max-memory"},
      {{"simulate", "--nb", "100", "--nc", "100", "--state-times", "0.1", "--state-output",
        "st.csv", "--max-memory", "2", "--sampling", "trajectories"},
       "--max-memory"},
      {{"simulate", "--nb", "20000", "--nc", "1", "--nbar", "1"}, "--observables"},
      // Time: ~1.7e12 jumps (nbar = 1e6, 10^4 trajectories; --sampling auto solves this
      // small case exactly instead, in milliseconds); exact over t = 1e9.
      {{"simulate", "--nbar", "1e6", "--t-max", "2", "--sampling", "trajectories"},
       "--max-cpu-hours"},
      {{"exact", "--method", "product", "--t-max", "1e9"}, "--max-cpu-hours"},
      {{"exact", "--method", "product", "--nb", "100", "--nc", "100"}, "--max-dimension"},
      {{"exact", "--max-dimension", "99999999999999999999"}, "--max-dimension"},
      // Rates that overflow double arithmetic (were nan, or a message naming nothing).
      {{"simulate", "--gamma", "1e300"}, "--gamma"},
      {{"simulate", "--temperature", "1e308"}, "--temperature"},
      {{"exact", "--nbar", "1e300"}, "--nbar"},
      {{"steady", "--nbar", "1e300"}, "--nbar"},
      {{"steady", "--nb", "500", "--nc", "500", "--nbar", "0.1", "--observables", "W_B"},
       "--observables"},
  };
  for (const auto& c : cases) {
    const ProcessResult r = run_darkcharge(with(c.args, {"-o", "out.csv"}), dir.path(), 60);
    const std::string what = c.args[1] + " " + c.args[2];
    EXPECT_EQ(r.exit_code, 2) << what << ": " << r.err;
    EXPECT_NE(r.err.find(c.must_mention), std::string::npos) << what << ": " << r.err;
    EXPECT_LT(r.seconds, 10) << what << " was not refused before running";
    EXPECT_FALSE(file_exists(dir / "out.csv")) << what;
  }
  EXPECT_NO_TEMPORARY_FILES(dir.path());
}

TEST(CliSafety, SteadyBeyondTheTableLimitSaysWhyColumnsAreLeftOut) {
  TemporaryDirectory dir;
  const ProcessResult r = run_darkcharge({"steady", "--nb", "2000", "--nc", "2000"}, dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("# note: W_B, W_B_sym, S_B left out"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find(",W_B,"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("note: W_B, W_B_sym, S_B left out"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace darkcharge::testing
