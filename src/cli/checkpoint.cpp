#include "checkpoint.hpp"

#include <cstdint>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "darkcharge/core/byte_stream.hpp"
#include "darkcharge/core/errors.hpp"
#include "output_files.hpp"

namespace darkcharge::cli {
namespace {

const std::string kMagic = "darkcharge-checkpoint 1\n";

}  // namespace

void write_checkpoint(const std::string& path, const Checkpoint& checkpoint) {
  ByteWriter out;
  out.put<std::uint64_t>(checkpoint.arguments.size());
  for (const auto& a : checkpoint.arguments) out.put_string(a);
  out.put<std::uint64_t>(checkpoint.units.size());
  for (const auto& [u, bytes] : checkpoint.units) {
    out.put<std::int64_t>(u);
    out.put_string(bytes);
  }
  AtomicFile file(path);
  file.stream() << kMagic;
  file.stream().write(out.bytes().data(), static_cast<std::streamsize>(out.bytes().size()));
  file.commit();
}

Checkpoint read_checkpoint(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InvalidArgument(fmt::format("resume: cannot read checkpoint '{}'", path));
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string text = ss.str();
  if (text.compare(0, kMagic.size(), kMagic) != 0)
    throw InvalidArgument(fmt::format("resume: '{}' is not a darkcharge checkpoint", path));
  try {
    ByteReader r(text.data() + kMagic.size(), text.size() - kMagic.size());
    Checkpoint c;
    const auto argc = r.get<std::uint64_t>();
    if (argc > r.remaining()) throw InvalidArgument("bad argument count");
    for (std::uint64_t i = 0; i < argc; ++i) c.arguments.push_back(r.get_string());
    const auto units = r.get<std::uint64_t>();
    if (units > r.remaining()) throw InvalidArgument("bad unit count");
    for (std::uint64_t i = 0; i < units; ++i) {
      const long u = r.get<std::int64_t>();
      c.units[u] = r.get_string();
    }
    if (!r.at_end()) throw InvalidArgument("trailing bytes");
    return c;
  } catch (const InvalidArgument& e) {
    throw InvalidArgument(fmt::format("resume: checkpoint '{}' is damaged ({})", path, e.what()));
  }
}

}  // namespace darkcharge::cli
