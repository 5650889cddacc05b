#pragma once
// Output files of the CLI: CSV tables, JSON summaries, and atomic writes (temporary file,
// then rename) so that a failed run never leaves a half-written file behind.
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "darkcharge/time_series.hpp"

namespace darkcharge::cli {

/// A file that appears under its final name only when commit() succeeds.
class AtomicFile {
 public:
  /// Opens "<path>.tmp.<pid>" now, so a bad path fails before any computation.
  explicit AtomicFile(std::string path);
  ~AtomicFile();  // removes the temporary file unless committed
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  std::ostream& stream() { return stream_; }
  void commit();  // flushes, closes and renames; throws std::runtime_error on failure

 private:
  std::string path_, temporary_;
  std::ofstream stream_;
  bool committed_ = false;
};

/// "# key=value" metadata lines, a header "t,<name>,<name>_err,...", one row per time.
void write_csv(std::ostream& out, const TimeSeries& series,
               const std::vector<std::string>& metadata);

/// {"name": {"value": v, "error": e}} for every column at the last time.
nlohmann::json final_values(const TimeSeries& series);

}  // namespace darkcharge::cli
