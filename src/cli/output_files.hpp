#pragma once
// Output files of the CLI: CSV tables, JSON summaries, and how they reach the disk.
//
// Every output path is checked before the run (OutputSet::add): a directory, a missing or
// unwritable directory, a read-only file, or two outputs on one file are refused at once.
// A regular file (or a new one) is replaced atomically: written to a temporary file in the
// directory of the resolved target (symlinks followed, so the link stays and its target is
// replaced), then renamed over it. Anything else -- a character device, a FIFO, "-" for
// standard output -- is written directly, never replaced. Temporary files are registered
// with the signal handler (signals.hpp) and removed on every exit path.
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "darkcharge/estimate/time_series.hpp"

namespace darkcharge::cli {

class FdStreamBuffer;
class TemporaryFileGuard;

/// Where an output path leads, decided before anything is written.
struct OutputTarget {
  enum class Kind { standard_output, direct, replace };
  std::string path;      ///< as the user gave it ("-" for standard output)
  std::string resolved;  ///< absolute, symlinks followed (for Kind::replace and direct)
  Kind kind = Kind::replace;
};

/// Resolves and checks one output path; throws InvalidArgument naming `option` and the path
/// if it is a directory, lies in a missing or unwritable directory, or is a read-only file.
OutputTarget check_output_path(const std::string& option, const std::string& path);

/// A file that appears under its final name only when commit() succeeds. Where the file
/// system allows (Linux O_TMPFILE) it is written unnamed, so that even SIGKILL leaves no
/// temporary file, and named "<resolved target>.tmp.<pid>" only for the rename in publish().
/// Elsewhere that temporary file is created at construction (registered for removal on a
/// signal) and removed by the destructor unless committed.
class AtomicFile {
 public:
  explicit AtomicFile(std::string path);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  std::ostream& stream() { return *stream_; }
  /// Flushes and closes the temporary file; throws std::runtime_error naming the file and
  /// the system's reason (e.g. "No space left on device") on any write error.
  void finish();
  /// Renames the finished temporary file over the target; throws on failure.
  void publish();
  void commit() { finish(); publish(); }

 private:
  std::string path_, resolved_, temporary_;  // temporary_: empty while unnamed
  bool unnamed_ = false;
  int fd_ = -1;  // the unnamed file, open until destruction
  std::unique_ptr<TemporaryFileGuard> guard_;
  std::unique_ptr<FdStreamBuffer> buffer_;
  std::unique_ptr<std::ostream> stream_;
  bool published_ = false;
};

/// The outputs of one run, checked together before it and written together after it.
class OutputSet {
 public:
  using Writer = std::function<void(std::ostream&)>;
  OutputSet();
  ~OutputSet();
  /// Checks `path` now (check_output_path) and refuses a second output on the same file
  /// (same resolved path or same device and inode; "-" twice). `write` runs at commit().
  void add(const std::string& option, const std::string& path, Writer write);
  /// Checks a file the run writes itself (the checkpoint) like add(), and refuses anything
  /// but a regular file (it is replaced atomically, possibly many times); commit() skips it.
  void reserve(const std::string& option, const std::string& path);
  /// Writes every regular file to its temporary file, then the direct outputs, then renames
  /// all temporary files. If anything fails, no regular file is replaced and the exception
  /// (naming the file) propagates.
  void commit();

 private:
  struct Entry {
    std::string option;
    OutputTarget target;
    Writer write;
  };
  std::vector<Entry> entries_;
};

/// "# key=value" metadata lines, a header "t,<name>,<name>_err,...", one row per time.
void write_csv(std::ostream& out, const TimeSeries& series,
               const std::vector<std::string>& metadata);

/// {"name": {"value": v, "error": e}} for every column at the last time.
nlohmann::json final_values(const TimeSeries& series);

}  // namespace darkcharge::cli
