#include "file_header.hpp"

#include <chrono>
#include <ctime>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "darkcharge/physics/model.hpp"
#include "darkcharge/physics/protocol.hpp"

namespace darkcharge::cli {
namespace {

std::string g_command_line = "darkcharge";
std::string g_created;  // ISO 8601 UTC, the moment the run started
std::vector<int> g_threads_per_rank;  // empty: one process, the `threads` argument holds

// Shell-quotes an argument only when needed, so the recorded line can be pasted back.
std::string quoted(const std::string& arg) {
  if (!arg.empty() && arg.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                            "0123456789-_.,/=:+@%") == std::string::npos)
    return arg;
  std::string out = "'";
  for (char c : arg) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string list(const std::vector<double>& values) {
  std::string out;
  for (double v : values) out += (out.empty() ? "" : ",") + fmt::format("{:.10g}", v);
  return out.empty() ? "unset" : out;
}

}  // namespace

void record_invocation(int argc, char** argv) {
  g_command_line = "darkcharge";
  for (int i = 1; i < argc; ++i) g_command_line += " " + quoted(argv[i]);
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm utc{};
  gmtime_r(&now, &utc);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &utc);
  g_created = buffer;
}

void record_resumed_run(const std::vector<std::string>& original_arguments) {
  std::string original = "darkcharge";
  for (const auto& a : original_arguments) original += " " + quoted(a);
  g_command_line = original + "; resumed with: " + g_command_line;
}

void record_parallelism(const std::vector<int>& threads_per_rank) {
  g_threads_per_rank = threads_per_rank;
}

namespace {

/// "threads=T" for one process; under MPI the total over the ranks, the rank count and each
/// rank's threads (one number when all ranks agree): "threads=4 ranks=2 threads-per-rank=2".
std::string parallelism(int threads) {
  if (g_threads_per_rank.size() <= 1) return fmt::format("threads={}", threads);
  long total = 0;
  bool same = true;
  for (int t : g_threads_per_rank) {
    total += t;
    same = same && t == g_threads_per_rank.front();
  }
  std::string per_rank;
  if (same)
    per_rank = std::to_string(g_threads_per_rank.front());
  else
    for (int t : g_threads_per_rank) per_rank += (per_rank.empty() ? "" : ",") + std::to_string(t);
  return fmt::format("threads={} ranks={} threads-per-rank={}", total, g_threads_per_rank.size(),
                     per_rank);
}

}  // namespace

std::string error_methods_line(const std::vector<Column>& columns) {
  std::string out = "errors:";
  for (const auto& c : columns) out += fmt::format(" {}={}", c.name, c.error_method);
  return out;
}

std::vector<std::string> file_header(const Options& o, int threads, const std::string& errors,
                                     const std::vector<std::string>& notes) {
  std::vector<std::string> lines = {
      fmt::format("darkcharge {} {}", DARKCHARGE_VERSION, o.command),
      "command: " + g_command_line,
      "created: " + g_created};
  if (o.command == "steady") {
    lines.push_back(fmt::format("nb={} nc={} battery-init={} gamma={:.10g} omega={:.10g} "
                                "temperature={} nbar={}",
                                o.model.n_battery, o.model.n_charger, to_string(o.model.battery_init),
                                o.model.gamma, o.model.omega, list(o.temperatures),
                                list(o.nbar_values)));
  } else {
    lines.push_back(fmt::format(
        "nb={} nc={} nbar={:.10g} temperature={} battery-init={} gamma={:.10g} omega={:.10g}",
        o.model.n_battery, o.model.n_charger, o.model.nbar,
        o.temperature ? fmt::format("{:.10g}", *o.temperature) : "unset",
        to_string(o.model.battery_init), o.model.gamma, o.model.omega));
    lines.push_back(fmt::format("t-max={:.10g} points={}", o.grid.t_max, o.grid.points));
    if (!o.grid.equally_spaced())
      lines.push_back(fmt::format("times={:.10g}", fmt::join(o.grid.times, ",")));
    if (o.protocol)
      lines.push_back(fmt::format("protocol: file={} segments={}", quoted(o.protocol_file),
                                  protocol_json(*o.protocol)));
  }
  const LocalNoise& l = o.model.local;
  lines.push_back(fmt::format(
      "local-noise: charger-decay={:.10g} charger-pumping={:.10g} charger-dephasing={:.10g} "
      "battery-decay={:.10g} battery-pumping={:.10g} battery-dephasing={:.10g}",
      l.charger.decay, l.charger.pumping, l.charger.dephasing, l.battery.decay,
      l.battery.pumping, l.battery.dephasing));
  if (o.command == "simulate")
    lines.push_back(fmt::format("trajectories={} seed={} {}", o.ensemble.trajectories,
                                o.ensemble.seed, parallelism(threads)));
  else if (o.command == "exact" && (o.model.local.any() || runs_protocol(o)))
    lines.push_back("solver=reduced-dicke-density-matrix");
  else if (o.command == "exact")
    lines.push_back(fmt::format("solver=exact-density-matrix max-dimension={}", o.max_dimension));
  else if (o.model.local.any())
    lines.push_back("solver=reduced-dicke-null-space");
  else
    lines.push_back("solver=closed-form-steady-state");
  lines.push_back(errors);
  for (const auto& note : notes) lines.push_back("note: " + note);
  return lines;
}

nlohmann::ordered_json json_header(const Options& o, int threads,
                                   const std::vector<Column>& columns) {
  nlohmann::ordered_json j;
  j["version"] = DARKCHARGE_VERSION;
  j["command"] = o.command;
  j["command_line"] = g_command_line;
  j["created"] = g_created;
  nlohmann::ordered_json p = {{"nb", o.model.n_battery}, {"nc", o.model.n_charger}};
  if (o.command == "steady") {
    p["temperature"] = o.temperatures;
    p["nbar"] = o.nbar_values;
  } else {
    p["nbar"] = o.model.nbar;
    p["temperature"] = o.temperature ? nlohmann::ordered_json(*o.temperature) : nullptr;
  }
  p["battery_init"] = to_string(o.model.battery_init);
  p["gamma"] = o.model.gamma;
  p["omega"] = o.model.omega;
  const auto rates = [](const LocalRates& r) {
    return nlohmann::ordered_json{{"decay", r.decay}, {"pumping", r.pumping}, {"dephasing", r.dephasing}};
  };
  p["local_noise"] = {{"charger", rates(o.model.local.charger)},
                      {"battery", rates(o.model.local.battery)}};
  if (o.command != "steady") {
    p["t_max"] = o.grid.t_max;
    p["points"] = o.grid.points;
    if (!o.grid.equally_spaced()) p["times"] = o.grid.times;
    if (o.protocol)
      p["protocol"] = {{"file", o.protocol_file},
                       {"segments", nlohmann::ordered_json::parse(protocol_json(*o.protocol))}};
  }
  j["parameters"] = p;
  if (o.command == "simulate") {
    j["seed"] = o.ensemble.seed;
    j["trajectories"] = o.ensemble.trajectories;
    if (g_threads_per_rank.size() > 1) {
      long total = 0;
      for (int t : g_threads_per_rank) total += t;
      j["threads"] = total;  // over all ranks; "mpi" in the summary has each rank's
    } else {
      j["threads"] = threads;
    }
  }
  nlohmann::ordered_json methods = nlohmann::ordered_json::object();
  for (const auto& c : columns) methods[c.name] = c.error_method;
  j["error_methods"] = methods;
  return j;
}

}  // namespace darkcharge::cli
