#pragma once
/// @file protocol.hpp
/// A protocol: the master equation changed in time, as a list of segments run one after the
/// other (physics.md, "Protocols"). Each segment has a duration and its own model -- the
/// reservoir's coupling (both ensembles, the battery or the charger alone, none), nbar,
/// gamma and the single-spin rates -- and the state carries over its boundaries unchanged.
///
/// The front ends read a protocol as JSON, a list of segments:
///   [{"duration": 4}, {"duration": 0.05, "battery_dephasing": 100},
///    {"duration": 10, "reservoir": "battery", "battery_decay": 0.01}]
/// A key left out takes the base model's value (the command line's or the Python call's),
/// not the previous segment's. parse_protocol() is the one parser and validator both front
/// ends call, so they refuse the same input with the same message.
#include <string>
#include <vector>

#include "darkcharge/core/time_grid.hpp"
#include "darkcharge/physics/model.hpp"

namespace darkcharge {

/// One segment of a protocol: the full model during [start, start + duration].
struct ProtocolSegment {
  double start = 0;     ///< time at which the segment begins (the sum of earlier durations)
  double duration = 0;  ///< > 0, finite
  Model model;          ///< the base model with the segment's keys applied (reservoir included)
};

struct Protocol {
  std::vector<ProtocolSegment> segments;

  /// Total duration: the end of the last segment (the run's t_max).
  double total_duration() const;
  /// 0, the segments' boundaries, and the total duration (segments + 1 times, ascending).
  std::vector<double> boundaries() const;
};

/// The keys a segment may hold, in the order of protocol_json().
const std::vector<std::string>& protocol_keys();

/// Parses and validates a protocol from JSON text (a non-empty list of segment objects) on
/// top of `base` (the front end's model: keys left out take its values). `source` names the
/// input in messages ("protocol file 'run.json'", "protocol"). Throws InvalidArgument naming
/// the source, the segment (1-based) and the key for: text that is not JSON, a value that is
/// not a list of objects, an empty list, an unknown key, a missing/zero/negative/non-finite
/// duration, nbar and temperature both given, a negative or non-finite rate, gamma <= 0, an
/// unknown reservoir, or a segment whose model validate() refuses.
/// Local rates: "local_decay" etc. set both ensembles' rate; "charger_decay",
/// "battery_decay" etc. override it for one ensemble (the rule of resolve_local_noise).
/// "temperature" gives nbar = nbar_from_temperature(T, base.omega).
Protocol parse_protocol(const std::string& json_text, const Model& base,
                        const std::string& source = "protocol");

/// The resolved segments as JSON text (a list of objects with start, duration, reservoir,
/// gamma, nbar and the six local rates): what the CSV header, the JSON summary and Python's
/// result record.
std::string protocol_json(const Protocol& protocol);

/// True when the protocol is one segment with the shared reservoir: it is then the plain
/// model segments[0].model run to total_duration(), which every engine runs.
bool is_plain_model(const Protocol& protocol);

/// The output grid of a protocol run: `points` equally spaced times over [0, total
/// duration] plus every boundary (a time within 1e-12 x total duration of a boundary
/// becomes the boundary). One segment: exactly TimeGrid{total duration, points}.
TimeGrid protocol_time_grid(const Protocol& protocol, int points);
/// The same from explicit times (ascending from 0, none beyond the total duration) plus
/// every boundary. Throws InvalidArgument naming `times` otherwise.
TimeGrid protocol_time_grid(const Protocol& protocol, const std::vector<double>& times);

/// For each time of `grid` (built by protocol_time_grid()), the index of the segment whose
/// model holds there: a boundary belongs to the segment that starts at it (its right-hand
/// limit, as solve_exact_protocol()), the end to the last segment.
std::vector<int> segment_at_points(const Protocol& protocol, const TimeGrid& grid);

/// Throws InvalidArgument (naming `protocol`) for a protocol no engine can run: no
/// segments, a segment whose model validate() refuses, a duration not > 0 or a start not the
/// sum of the earlier durations, or segments that differ in N_B, N_C, omega or the battery's
/// initial state (only the reservoir, nbar, gamma and the local rates change between
/// segments). parse_protocol() returns protocols that pass.
void validate(const Protocol& protocol);

/// Throws InvalidArgument unless `grid` ends at the total duration and holds every boundary
/// (as protocol_time_grid() builds it).
void check_protocol_grid(const Protocol& protocol, const TimeGrid& grid);

}  // namespace darkcharge
