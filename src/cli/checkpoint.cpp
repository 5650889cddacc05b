#include "checkpoint.hpp"

#include <cerrno>
#include <cstdint>
#include <cstring>

// Boost.CRC: a packaged, tested CRC-32 (Boost is a dependency already), rather than a
// hand-rolled table; it detects every burst error up to 32 bits, so any single damaged
// byte, and all but ~2^-32 of other damage.
#include <boost/crc.hpp>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include "darkcharge/core/byte_stream.hpp"
#include "darkcharge/core/errors.hpp"
#include "output_files.hpp"

namespace darkcharge::cli {
namespace {

const std::string kMagic = "darkcharge-checkpoint 2\n";
// Arguments of a command line: the kernel allows a few MiB (ARG_MAX) at most.
constexpr std::size_t kMaxHeaderBytes = 8u << 20;
constexpr std::size_t kCrcBytes = sizeof(std::uint32_t);

std::uint32_t crc32(const char* data, std::size_t size) {
  boost::crc_32_type crc;
  crc.process_bytes(data, size);
  return crc.checksum();
}

void put_crc(ByteWriter& out) {
  out.put<std::uint32_t>(crc32(out.bytes().data(), out.bytes().size()));
}

const char* file_kind(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

/// Closes the descriptor on every path.
struct Descriptor {
  int fd = -1;
  ~Descriptor() {
    if (fd >= 0) ::close(fd);
  }
};

/// Appends up to `limit` more bytes from fd to `buffer` (fewer at end of file).
void read_more(int fd, std::string& buffer, std::size_t limit, const std::string& path) {
  const std::size_t start = buffer.size();
  buffer.resize(start + limit);
  std::size_t got = 0;
  while (got < limit) {
    const ssize_t n = ::read(fd, &buffer[start + got], limit - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0)
      throw InvalidArgument(fmt::format("resume: cannot read checkpoint '{}': {}", path,
                                        std::strerror(errno)));
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
  }
  buffer.resize(start + got);
}

}  // namespace

void write_checkpoint(const std::string& path, const Checkpoint& checkpoint) {
  ByteWriter out;
  out.bytes() = kMagic;
  out.put<std::uint64_t>(0);  // the file size, filled in below
  out.put<std::uint64_t>(checkpoint.arguments.size());
  for (const auto& a : checkpoint.arguments) out.put_string(a);
  const std::size_t header = out.bytes().size();
  out.put<std::uint32_t>(0);  // the header's CRC, once the size is known
  out.put<std::uint64_t>(checkpoint.units.size());
  for (const auto& [u, bytes] : checkpoint.units) {
    out.put<std::int64_t>(u);
    out.put_string(bytes);
  }
  const std::uint64_t size = out.bytes().size() + kCrcBytes;
  std::memcpy(&out.bytes()[kMagic.size()], &size, sizeof size);
  const std::uint32_t header_crc = crc32(out.bytes().data(), header);
  std::memcpy(&out.bytes()[header], &header_crc, sizeof header_crc);
  put_crc(out);
  AtomicFile file(path);
  file.stream().write(out.bytes().data(), static_cast<std::streamsize>(out.bytes().size()));
  file.commit();
}

Checkpoint read_checkpoint(const std::string& path,
                           const std::function<double(const std::vector<std::string>&)>& max_bytes) {
  auto damaged = [&path](const std::string& why) {
    return InvalidArgument(fmt::format("resume: checkpoint '{}' is damaged ({})", path, why));
  };
  // Look before opening: opening a FIFO blocks until a writer appears, and opening some
  // devices has effects of its own.
  struct stat before {};
  if (::stat(path.c_str(), &before) != 0)
    throw InvalidArgument(fmt::format("resume: cannot read checkpoint '{}': {}", path,
                                      std::strerror(errno)));
  if (!S_ISREG(before.st_mode))
    throw InvalidArgument(fmt::format("resume: checkpoint '{}' is {}, not a regular file", path,
                                      file_kind(before.st_mode)));
  Descriptor file;
  do file.fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  while (file.fd < 0 && errno == EINTR);
  if (file.fd < 0)
    throw InvalidArgument(fmt::format("resume: cannot read checkpoint '{}': {}", path,
                                      std::strerror(errno)));
  struct stat st {};
  if (::fstat(file.fd, &st) != 0 || st.st_dev != before.st_dev || st.st_ino != before.st_ino ||
      !S_ISREG(st.st_mode))
    throw InvalidArgument(fmt::format("resume: checkpoint '{}' changed while it was opened", path));
  const auto size = static_cast<std::uint64_t>(st.st_size);

  std::string text;
  read_more(file.fd, text, std::min<std::uint64_t>(size, kMaxHeaderBytes), path);
  if (text.compare(0, kMagic.size(), kMagic) != 0) {
    if (text.rfind("darkcharge-checkpoint ", 0) == 0)
      throw InvalidArgument(fmt::format(
          "resume: checkpoint '{}' has format '{}', this darkcharge reads '{}'", path,
          text.substr(0, std::min(text.find('\n'), std::size_t(40))),
          kMagic.substr(0, kMagic.size() - 1)));
    throw InvalidArgument(fmt::format("resume: '{}' is not a darkcharge checkpoint", path));
  }
  Checkpoint c;
  try {
    ByteReader r(text.data() + kMagic.size(), text.size() - kMagic.size());
    const auto declared = r.get<std::uint64_t>();
    if (declared != size)
      throw damaged(fmt::format("its header gives {} bytes, the file has {}: truncated or extended",
                                declared, size));
    const auto argc = r.get_count("argument count", r.remaining() / sizeof(std::uint64_t));
    for (std::uint64_t i = 0; i < argc; ++i) c.arguments.push_back(r.get_string());
    const std::size_t header = text.size() - r.remaining();
    if (r.get<std::uint32_t>() != crc32(text.data(), header))
      throw damaged("header CRC-32 does not match");
  } catch (const InvalidArgument& e) {
    const std::string what = e.what();
    if (what.rfind("resume:", 0) == 0) throw;
    throw damaged(fmt::format("header: {}", what));
  }
  // Arguments checked: now the size this run can need, before reading the rest.
  const double limit = max_bytes(c.arguments);
  if (double(size) > limit)
    throw InvalidArgument(fmt::format("resume: checkpoint '{}' is {} bytes, more than the {:.0f} "
                                      "a checkpoint of its run can hold; not reading it",
                                      path, size, limit));
  read_more(file.fd, text, size - text.size() + 1, path);  // one more: a file still growing
  if (text.size() != size)
    throw damaged(fmt::format("{} bytes read, {} expected: changed while read", text.size(), size));
  if (size < kCrcBytes ||
      [&] {
        std::uint32_t stored;
        std::memcpy(&stored, text.data() + size - kCrcBytes, kCrcBytes);
        return stored != crc32(text.data(), size - kCrcBytes);
      }())
    throw damaged("CRC-32 does not match");
  try {
    // The header again, to reach the units (it was checked above).
    ByteReader r(text.data() + kMagic.size(), size - kMagic.size() - kCrcBytes);
    (void)r.get<std::uint64_t>();
    const auto argc = r.get<std::uint64_t>();
    for (std::uint64_t i = 0; i < argc; ++i) (void)r.get_string();
    (void)r.get<std::uint32_t>();
    const auto units = r.get_count("unit count", r.remaining() / 16);
    long previous = -1;
    for (std::uint64_t i = 0; i < units; ++i) {
      const auto u = r.get<std::int64_t>();
      if (u <= previous)
        throw InvalidArgument(fmt::format("unit index {} after {}: not ascending", u, previous));
      previous = u;
      c.units[u] = r.get_string();
    }
    if (!r.at_end()) throw InvalidArgument(fmt::format("{} trailing bytes", r.remaining()));
  } catch (const InvalidArgument& e) {
    throw damaged(e.what());
  }
  return c;
}

}  // namespace darkcharge::cli
