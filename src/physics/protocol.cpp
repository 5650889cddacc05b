#include "darkcharge/physics/protocol.hpp"

#include <algorithm>
#include <cmath>
#include <optional>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "darkcharge/core/errors.hpp"

namespace darkcharge {
namespace {

using Json = nlohmann::json;

/// The local-rate keys: shared ("local_*") first, then per ensemble, which override them.
struct RateKey {
  const char* key;
  double LocalRates::*rate;
};
constexpr RateKey kRateKeys[] = {{"decay", &LocalRates::decay},
                                 {"pumping", &LocalRates::pumping},
                                 {"dephasing", &LocalRates::dephasing}};

/// Where a message points: "<source>: segment <k>" or "<source>: segment <k>, key '<key>'".
struct Where {
  const std::string& source;
  std::size_t segment;  // 1-based
  std::string at(const std::string& key) const {
    return fmt::format("{}: segment {}, key '{}'", source, segment, key);
  }
};

/// The value of a numeric key: finite, and > 0 (positive) or >= 0.
double number(const Json& object, const std::string& key, const Where& where, bool positive) {
  const Json& v = object.at(key);
  // Python's exact(protocol=...) passes non-finite floats as these strings (JSON has no NaN).
  if (v.is_string() && (v == "NaN" || v == "Infinity" || v == "-Infinity"))
    throw InvalidArgument(fmt::format("{}: must be a finite number {} 0, got {}", where.at(key),
                                      positive ? ">" : ">=", v.get<std::string>()));
  if (!v.is_number())
    throw InvalidArgument(fmt::format("{}: expected a number, got {}", where.at(key), v.dump()));
  const double x = v.get<double>();
  if (!std::isfinite(x) || (positive ? !(x > 0) : !(x >= 0)))
    throw InvalidArgument(fmt::format("{}: must be a finite number {} 0, got {}", where.at(key),
                                      positive ? ">" : ">=", v.dump()));
  return x;
}

ProtocolSegment parse_segment(const Json& object, const Model& base, const Where& where) {
  if (!object.is_object())
    throw InvalidArgument(fmt::format("{}: segment {}: expected an object such as {{\"duration\": 1}}, got {}",
                                      where.source, where.segment, object.dump()));
  const std::vector<std::string>& known = protocol_keys();
  for (const auto& item : object.items())
    if (std::find(known.begin(), known.end(), item.key()) == known.end())
      throw InvalidArgument(fmt::format("{}: unknown key (known: {})", where.at(item.key()),
                                        fmt::join(known, ", ")));
  if (!object.contains("duration"))
    throw InvalidArgument(fmt::format("{}: missing (every segment needs a duration > 0)",
                                      where.at("duration")));
  ProtocolSegment segment;
  segment.model = base;
  Model& model = segment.model;
  segment.duration = number(object, "duration", where, true);
  if (object.contains("reservoir")) {
    const Json& v = object.at("reservoir");
    if (!v.is_string())
      throw InvalidArgument(fmt::format("{}: expected 'both', 'battery', 'charger' or 'none', got {}",
                                        where.at("reservoir"), v.dump()));
    try {
      model.reservoir = parse_reservoir(v.get<std::string>());
    } catch (const InvalidArgument&) {
      throw InvalidArgument(fmt::format("{}: expected 'both', 'battery', 'charger' or 'none', got {}",
                                        where.at("reservoir"), v.dump()));
    }
  }
  if (object.contains("nbar") && object.contains("temperature"))
    throw InvalidArgument(fmt::format("{}: give nbar or temperature, not both", where.at("temperature")));
  if (object.contains("nbar")) model.nbar = number(object, "nbar", where, false);
  if (object.contains("temperature"))
    model.nbar = nbar_from_temperature(number(object, "temperature", where, false), base.omega);
  if (object.contains("gamma")) model.gamma = number(object, "gamma", where, true);
  for (const RateKey& r : kRateKeys) {
    const std::string shared = std::string("local_") + r.key;
    if (object.contains(shared))
      model.local.charger.*r.rate = model.local.battery.*r.rate = number(object, shared, where, false);
  }
  for (const RateKey& r : kRateKeys) {
    const std::string charger = std::string("charger_") + r.key, battery = std::string("battery_") + r.key;
    if (object.contains(charger)) model.local.charger.*r.rate = number(object, charger, where, false);
    if (object.contains(battery)) model.local.battery.*r.rate = number(object, battery, where, false);
  }
  try {
    validate(model);
    TimeGrid grid{segment.duration, 2};
    validate(model, grid);
  } catch (const InvalidArgument& e) {
    throw InvalidArgument(fmt::format("{}: segment {}: {}", where.source, where.segment, e.what()));
  }
  return segment;
}

nlohmann::ordered_json rates_json(const LocalRates& r) {
  return nlohmann::ordered_json{{"decay", r.decay}, {"pumping", r.pumping}, {"dephasing", r.dephasing}};
}

/// Ascending union of `times` and the boundaries; a time within `tolerance` of a boundary
/// is that boundary.
std::vector<double> merge(std::vector<double> times, const std::vector<double>& boundaries, double tolerance) {
  for (double& t : times)
    for (double b : boundaries)
      if (std::fabs(t - b) <= tolerance) t = b;
  times.insert(times.end(), boundaries.begin(), boundaries.end());
  std::sort(times.begin(), times.end());
  times.erase(std::unique(times.begin(), times.end()), times.end());
  return times;
}

}  // namespace

double Protocol::total_duration() const {
  return segments.empty() ? 0.0 : segments.back().start + segments.back().duration;
}

std::vector<double> Protocol::boundaries() const {
  std::vector<double> out;
  for (const ProtocolSegment& s : segments) out.push_back(s.start);
  out.push_back(total_duration());
  return out;
}

const std::vector<std::string>& protocol_keys() {
  static const std::vector<std::string> keys = {
      "duration",          "reservoir",        "nbar",           "temperature",     "gamma",
      "local_decay",       "local_pumping",    "local_dephasing", "charger_decay",  "charger_pumping",
      "charger_dephasing", "battery_decay",    "battery_pumping", "battery_dephasing"};
  return keys;
}

Protocol parse_protocol(const std::string& json_text, const Model& base, const std::string& source) {
  validate(base);
  Json list;
  try {
    list = Json::parse(json_text);
  } catch (const Json::exception& e) {
    throw InvalidArgument(fmt::format("{}: not valid JSON ({}); expected a list of segments such "
                                      "as [{{\"duration\": 4}}, {{\"duration\": 10, \"reservoir\": "
                                      "\"battery\"}}] (NaN and Infinity are not JSON numbers)",
                                      source, e.what()));
  }
  if (!list.is_array())
    throw InvalidArgument(fmt::format("{}: expected a list of segments [{{\"duration\": ...}}, ...], got {}",
                                      source, list.is_object() ? "an object" : list.dump()));
  if (list.empty())
    throw InvalidArgument(fmt::format("{}: empty list: a protocol needs at least one segment", source));
  Protocol protocol;
  double start = 0;
  for (std::size_t k = 0; k < list.size(); ++k) {
    ProtocolSegment segment = parse_segment(list[k], base, Where{source, k + 1});
    segment.start = start;
    start += segment.duration;
    if (!std::isfinite(start))
      throw InvalidArgument(fmt::format("{}: segment {}, key 'duration': the total duration overflows",
                                        source, k + 1));
    protocol.segments.push_back(segment);
  }
  return protocol;
}

std::string protocol_json(const Protocol& protocol) {
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (const ProtocolSegment& s : protocol.segments) {
    nlohmann::ordered_json segment = nlohmann::ordered_json::object();
    segment["start"] = s.start;
    segment["duration"] = s.duration;
    segment["reservoir"] = to_string(s.model.reservoir);
    segment["gamma"] = s.model.gamma;
    segment["nbar"] = s.model.nbar;
    segment["charger"] = rates_json(s.model.local.charger);
    segment["battery"] = rates_json(s.model.local.battery);
    list.push_back(segment);
  }
  return list.dump();
}

bool is_plain_model(const Protocol& protocol) {
  return protocol.segments.size() == 1 && protocol.segments[0].model.reservoir == ReservoirCoupling::both;
}

TimeGrid protocol_time_grid(const Protocol& protocol, int points) {
  const double t_max = protocol.total_duration();
  TimeGrid equal{t_max, points};
  validate(equal);
  if (protocol.segments.size() == 1) return equal;
  std::vector<double> times(points);
  for (int g = 0; g < points; ++g) times[g] = equal.time(g);
  TimeGrid grid = TimeGrid::at_times(merge(times, protocol.boundaries(), 1e-12 * t_max));
  validate(grid);
  return grid;
}

TimeGrid protocol_time_grid(const Protocol& protocol, const std::vector<double>& times) {
  const double t_max = protocol.total_duration();
  if (times.empty() || times.front() != 0)
    throw InvalidArgument("times: explicit output times must start at 0");
  for (std::size_t i = 0; i < times.size(); ++i) {
    if (!std::isfinite(times[i]) || (i > 0 && !(times[i] > times[i - 1])))
      throw InvalidArgument(fmt::format("times: must be finite and strictly ascending, got {} after {}",
                                        times[i], i > 0 ? times[i - 1] : 0.0));
    if (times[i] > t_max * (1 + 1e-12))
      throw InvalidArgument(fmt::format("times: {} is beyond the protocol's total duration {}", times[i], t_max));
  }
  TimeGrid grid = TimeGrid::at_times(merge(times, protocol.boundaries(), 1e-12 * t_max));
  validate(grid);
  return grid;
}

std::vector<int> segment_at_points(const Protocol& protocol, const TimeGrid& grid) {
  std::vector<int> out(grid.points, 0);
  const int last = static_cast<int>(protocol.segments.size()) - 1;
  int k = 0;
  for (int g = 0; g < grid.points; ++g) {
    while (k < last && grid.time(g) >= protocol.segments[k + 1].start) ++k;
    out[g] = k;
  }
  return out;
}

void validate(const Protocol& protocol) {
  if (protocol.segments.empty()) throw InvalidArgument("protocol: no segments");
  const Model& first = protocol.segments[0].model;
  double start = 0;
  for (std::size_t k = 0; k < protocol.segments.size(); ++k) {
    const ProtocolSegment& s = protocol.segments[k];
    try {
      validate(s.model);
    } catch (const InvalidArgument& e) {
      throw InvalidArgument(fmt::format("protocol: segment {}: {}", k + 1, e.what()));
    }
    if (!(s.duration > 0 && std::isfinite(s.duration)) || s.start != start)
      throw InvalidArgument(fmt::format("protocol: segment {}: start {} and duration {} (the "
                                        "duration must be > 0 and the start the sum of the "
                                        "earlier durations, {})", k + 1, s.start, s.duration, start));
    start += s.duration;
    if (s.model.n_battery != first.n_battery || s.model.n_charger != first.n_charger ||
        s.model.omega != first.omega || s.model.battery_init != first.battery_init)
      throw InvalidArgument(fmt::format(
          "protocol: segment {} changes N_B, N_C, omega or the battery's initial state (only "
          "the reservoir, nbar, gamma and the local rates change between segments)", k + 1));
  }
}

void check_protocol_grid(const Protocol& protocol, const TimeGrid& grid) {
  validate(grid);
  const std::vector<double> boundaries = protocol.boundaries();
  if (grid.t_max != protocol.total_duration())
    throw InvalidArgument(fmt::format("grid: t_max = {} is not the protocol's total duration {} "
                                      "(build the grid with protocol_time_grid)",
                                      grid.t_max, protocol.total_duration()));
  for (double b : boundaries) {
    const int g = grid.first_index_not_before(b);
    if (g >= grid.points || grid.time(g) != b)
      throw InvalidArgument(fmt::format("grid: the segment boundary t = {} is not an output time "
                                        "(build the grid with protocol_time_grid)", b));
  }
}

}  // namespace darkcharge
