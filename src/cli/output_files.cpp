#include "output_files.hpp"

#include <cstdio>
#include <stdexcept>

#include <fmt/format.h>
#include <unistd.h>

namespace darkcharge::cli {

AtomicFile::AtomicFile(std::string path)
    : path_(std::move(path)), temporary_(fmt::format("{}.tmp.{}", path_, ::getpid())) {
  stream_.open(temporary_);
  if (!stream_) throw std::runtime_error(fmt::format("cannot write to '{}'", path_));
}

AtomicFile::~AtomicFile() {
  if (!committed_) {
    stream_.close();
    std::remove(temporary_.c_str());
  }
}

void AtomicFile::commit() {
  stream_.flush();
  const bool ok = static_cast<bool>(stream_);
  stream_.close();
  if (!ok || std::rename(temporary_.c_str(), path_.c_str()) != 0)
    throw std::runtime_error(fmt::format("failed to write '{}'", path_));
  committed_ = true;
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
