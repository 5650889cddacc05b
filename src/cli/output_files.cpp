#include "output_files.hpp"

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <streambuf>

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include "darkcharge/core/errors.hpp"
#include "signals.hpp"

namespace darkcharge::cli {

/// An output stream buffer on a file descriptor that remembers the first write error
/// (errno), so that "No space left on device" can be reported with the file's name.
class FdStreamBuffer : public std::streambuf {
 public:
  /// Writes to `fd`; closes it in finish() or the destructor when `owned`.
  FdStreamBuffer(int fd, bool owned) : fd_(fd), owned_(owned), buffer_(1 << 16) {
    setp(buffer_.data(), buffer_.data() + buffer_.size());
  }
  ~FdStreamBuffer() override {
    if (owned_ && fd_ >= 0) ::close(fd_);
  }
  FdStreamBuffer(const FdStreamBuffer&) = delete;
  FdStreamBuffer& operator=(const FdStreamBuffer&) = delete;

  /// Writes what is buffered, optionally fsyncs, closes an owned descriptor; returns the
  /// first error (errno) of the whole life of the buffer, 0 if none.
  int finish(bool sync_to_disk) {
    drain();
    if (error_ == 0 && sync_to_disk && ::fsync(fd_) != 0) error_ = errno;
    if (owned_ && fd_ >= 0) {
      if (::close(fd_) != 0 && error_ == 0) error_ = errno;
      fd_ = -1;
    }
    return error_;
  }

 protected:
  int_type overflow(int_type c) override {
    if (!drain()) return traits_type::eof();
    if (!traits_type::eq_int_type(c, traits_type::eof())) {
      *pptr() = traits_type::to_char_type(c);
      pbump(1);
    }
    return traits_type::not_eof(c);
  }
  int sync() override { return drain() ? 0 : -1; }

 private:
  bool drain() {
    const char* p = pbase();
    while (error_ == 0 && fd_ >= 0 && p < pptr()) {
      const ssize_t n = ::write(fd_, p, static_cast<std::size_t>(pptr() - p));
      if (n > 0) p += n;
      else if (n < 0 && errno == EINTR) continue;
      else error_ = n < 0 ? errno : EIO;
    }
    setp(buffer_.data(), buffer_.data() + buffer_.size());
    return error_ == 0;
  }

  int fd_;
  bool owned_;
  std::vector<char> buffer_;
  int error_ = 0;
};

namespace {

std::string directory_of(const std::string& path) {
  const auto slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

std::string base_name_of(const std::string& path) {
  const auto slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string real_path(const std::string& path) {
  char buffer[PATH_MAX];
  if (!::realpath(path.c_str(), buffer)) return path;
  return buffer;
}

[[noreturn]] void refuse(const std::string& option, const std::string& path,
                         const std::string& why) {
  throw InvalidArgument(fmt::format("{} '{}': {}", option, path, why));
}

/// Follows a chain of symbolic links (also dangling ones) to the path they finally name.
std::string follow_links(const std::string& option, const std::string& path) {
  std::string p = path;
  for (int hops = 0; hops < 40; ++hops) {
    struct stat st {};
    if (::lstat(p.c_str(), &st) != 0 || !S_ISLNK(st.st_mode)) return p;
    char target[PATH_MAX];
    const ssize_t n = ::readlink(p.c_str(), target, sizeof target - 1);
    if (n < 0) refuse(option, path, std::string("cannot read symbolic link: ") + std::strerror(errno));
    target[n] = '\0';
    p = target[0] == '/' ? std::string(target) : directory_of(p) + "/" + target;
  }
  refuse(option, path, "too many levels of symbolic links");
}

void check_directory(const std::string& option, const std::string& path, const std::string& dir) {
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0)
    refuse(option, path, fmt::format("directory '{}' does not exist", dir));
  if (!S_ISDIR(st.st_mode)) refuse(option, path, fmt::format("'{}' is not a directory", dir));
  if (::access(dir.c_str(), W_OK | X_OK) != 0)
    refuse(option, path, fmt::format("directory '{}' is not writable: {}", dir, std::strerror(errno)));
}

struct FileIdentity {
  bool exists = false;
  dev_t device = 0;
  ino_t inode = 0;
};

FileIdentity identity_of(const std::string& resolved) {
  struct stat st {};
  if (::stat(resolved.c_str(), &st) != 0) return {};
  return {true, st.st_dev, st.st_ino};
}

bool same_file(const OutputTarget& a, const OutputTarget& b) {
  using Kind = OutputTarget::Kind;
  if (a.kind == Kind::standard_output || b.kind == Kind::standard_output)
    return a.kind == b.kind;
  if (a.resolved == b.resolved) return true;
  const FileIdentity x = identity_of(a.resolved), y = identity_of(b.resolved);
  return x.exists && y.exists && x.device == y.device && x.inode == y.inode;
}

std::string describe(const OutputTarget& t) {
  return t.kind == OutputTarget::Kind::standard_output ? "standard output"
                                                       : fmt::format("'{}'", t.path);
}

/// Opens a file descriptor for a direct output; standard output is not opened.
int open_direct(const OutputTarget& t) {
  if (t.kind == OutputTarget::Kind::standard_output) return STDOUT_FILENO;
  int fd;
  do fd = ::open(t.resolved.c_str(), O_WRONLY | O_CLOEXEC);  // never O_CREAT: never a new file
  while (fd < 0 && errno == EINTR);
  if (fd < 0)
    throw std::runtime_error(fmt::format("cannot open '{}': {}", t.path, std::strerror(errno)));
  return fd;
}

void write_direct(const OutputTarget& t, const OutputSet::Writer& write) {
  const int fd = open_direct(t);
  FdStreamBuffer buffer(fd, fd != STDOUT_FILENO);
  std::ostream out(&buffer);
  write(out);
  if (const int error = buffer.finish(false))
    throw std::runtime_error(fmt::format("failed to write {}: {}", describe(t), std::strerror(error)));
}

}  // namespace

OutputTarget check_output_path(const std::string& option, const std::string& path) {
  if (path == "-") return {path, "", OutputTarget::Kind::standard_output};
  if (path.empty()) refuse(option, path, "empty file name");
  if (path.back() == '/') refuse(option, path, "is a directory");
  const std::string followed = follow_links(option, path);
  struct stat st {};
  if (::stat(followed.c_str(), &st) != 0) {  // a new file
    if (errno != ENOENT)
      refuse(option, path, std::strerror(errno));
    const std::string dir = directory_of(followed);
    check_directory(option, path, dir);
    return {path, real_path(dir) + "/" + base_name_of(followed), OutputTarget::Kind::replace};
  }
  const std::string resolved = real_path(followed);
  if (S_ISDIR(st.st_mode)) refuse(option, path, "is a directory");
  if (S_ISSOCK(st.st_mode)) refuse(option, path, "is a socket");
  // A file without any write permission stays as it is, also for root, who could replace it.
  if ((st.st_mode & (S_IWUSR | S_IWGRP | S_IWOTH)) == 0 || ::access(resolved.c_str(), W_OK) != 0)
    refuse(option, path, "file is read-only; not replacing it");
  if (!S_ISREG(st.st_mode)) return {path, resolved, OutputTarget::Kind::direct};
  check_directory(option, path, directory_of(resolved));
  return {path, resolved, OutputTarget::Kind::replace};
}

namespace {

/// An unnamed file in `directory` (Linux O_TMPFILE), or -1 where the file system or kernel
/// lacks it. Linking it later needs /proc/self/fd (linkat with AT_EMPTY_PATH needs a
/// capability), so without /proc it is not used either.
int open_unnamed(const std::string& directory) {
#ifdef O_TMPFILE
  if (::access("/proc/self/fd", X_OK) != 0) return -1;
  int fd;
  do fd = ::open(directory.c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0666);
  while (fd < 0 && errno == EINTR);
  return fd;
#else
  (void)directory;
  return -1;
#endif
}

}  // namespace

AtomicFile::AtomicFile(std::string path) : path_(std::move(path)) {
  const OutputTarget target = check_output_path("output", path_);
  if (target.kind != OutputTarget::Kind::replace)
    throw std::runtime_error(fmt::format("'{}' is not a regular file; cannot replace it", path_));
  resolved_ = target.resolved;
  struct stat existing {};
  const bool replaces = ::stat(resolved_.c_str(), &existing) == 0;
  // Unnamed while written: a process killed by SIGKILL (no handler runs) leaves nothing
  // behind. It gets the name "<target>.tmp.<pid>" only in publish(), for the instant
  // before the rename. Elsewhere a named temporary file, removed on every other exit path.
  int fd = open_unnamed(directory_of(resolved_));
  unnamed_ = fd >= 0;
  for (int attempt = 0; fd < 0 && attempt < 100; ++attempt) {
    temporary_ = fmt::format("{}.tmp.{}", resolved_, ::getpid());
    if (attempt > 0) temporary_ += fmt::format(".{}", attempt);
    guard_ = std::make_unique<TemporaryFileGuard>(temporary_);
    fd = ::open(temporary_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0) guard_.reset();
    if (fd < 0 && errno != EEXIST) break;
  }
  if (fd < 0)
    throw std::runtime_error(fmt::format("cannot write to '{}': {}", path_, std::strerror(errno)));
  if (replaces) (void)::fchmod(fd, existing.st_mode & 07777);  // the new file keeps the old mode
  if (unnamed_) fd_ = fd;  // kept open until linked: closing it would delete the file
  buffer_ = std::make_unique<FdStreamBuffer>(fd, !unnamed_);
  stream_ = std::make_unique<std::ostream>(buffer_.get());
}

AtomicFile::~AtomicFile() {
  if (fd_ >= 0) ::close(fd_);
  if (published_ || temporary_.empty()) return;
  ::unlink(temporary_.c_str());
}

void AtomicFile::finish() {
  // fsync before the rename, so that a crash never publishes a file with missing data.
  if (const int error = buffer_->finish(true))
    throw std::runtime_error(fmt::format("failed to write '{}': {}", path_, std::strerror(error)));
}

void AtomicFile::publish() {
  if (unnamed_) {  // give the unnamed file a name next to the target, then rename that
    const std::string proc = fmt::format("/proc/self/fd/{}", fd_);
    for (int attempt = 0; temporary_.empty() && attempt < 100; ++attempt) {
      std::string name = fmt::format("{}.tmp.{}", resolved_, ::getpid());
      if (attempt > 0) name += fmt::format(".{}", attempt);
      guard_ = std::make_unique<TemporaryFileGuard>(name);
      if (::linkat(AT_FDCWD, proc.c_str(), AT_FDCWD, name.c_str(), AT_SYMLINK_FOLLOW) == 0) {
        temporary_ = name;
      } else {
        guard_.reset();
        if (errno != EEXIST)
          throw std::runtime_error(fmt::format("failed to write '{}': cannot link '{}': {}",
                                               path_, name, std::strerror(errno)));
      }
    }
    if (temporary_.empty())
      throw std::runtime_error(fmt::format("failed to write '{}': no free temporary name", path_));
  }
  if (::rename(temporary_.c_str(), resolved_.c_str()) != 0)
    throw std::runtime_error(fmt::format("failed to write '{}': cannot rename '{}': {}", path_,
                                         temporary_, std::strerror(errno)));
  published_ = true;
}

OutputSet::OutputSet() = default;
OutputSet::~OutputSet() = default;

void OutputSet::add(const std::string& option, const std::string& path, Writer write) {
  OutputTarget target = check_output_path(option, path);
  for (const auto& e : entries_)
    if (same_file(e.target, target))
      throw InvalidArgument(fmt::format("{} and {} both write to {}; give them different files",
                                        e.option, option, describe(target)));
  entries_.push_back({option, std::move(target), std::move(write)});
}

void OutputSet::reserve(const std::string& option, const std::string& path) {
  const OutputTarget target = check_output_path(option, path);
  if (target.kind != OutputTarget::Kind::replace)
    throw InvalidArgument(fmt::format("{}: {} must be a regular file (it is replaced atomically)",
                                      option, describe(target)));
  add(option, path, nullptr);
}

void OutputSet::commit() {
  std::vector<std::unique_ptr<AtomicFile>> files;
  for (const auto& e : entries_)
    if (e.write && e.target.kind == OutputTarget::Kind::replace) {
      files.push_back(std::make_unique<AtomicFile>(e.target.path));
      e.write(files.back()->stream());
      files.back()->finish();
    }
  for (const auto& e : entries_)
    if (e.write && e.target.kind != OutputTarget::Kind::replace) write_direct(e.target, e.write);
  block_signals_for_commit();  // from here on, the files appear together
  for (auto& f : files) f->publish();
}

void write_csv(std::ostream& out, const TimeSeries& series,
               const std::vector<std::string>& metadata) {
  for (const auto& line : metadata) out << "# " << line << '\n';
  out << 't';
  for (const auto& c : series.columns) out << ',' << c.name << ',' << c.name << "_err";
  out << '\n';
  for (std::size_t i = 0; i < series.time.size(); ++i) {
    out << fmt::format("{:.10g}", series.time[i]);
    for (const auto& c : series.columns)
      out << fmt::format(",{:.10g},{:.3g}", c.value[i], c.error[i]);
    out << '\n';
  }
}

nlohmann::json final_values(const TimeSeries& series) {
  nlohmann::json values = nlohmann::json::object();
  for (const auto& c : series.columns)
    values[c.name] = {{"value", c.value.back()}, {"error", c.error.back()}};
  return values;
}

}  // namespace darkcharge::cli
