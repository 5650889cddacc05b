// A protocol through the reduced Dicke-basis solver: one layout for every segment (the
// sectors any segment's local noise reaches), one generator per segment, the packed state
// carried across the boundaries unchanged.
#include "darkcharge/exact/reduced_dicke_solver.hpp"

#include "exact/krylov_exponential.hpp"
#include "exact/reduced_dicke_internal.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "darkcharge/core/errors.hpp"
#include "darkcharge/estimate/curve_features.hpp"

namespace darkcharge {
using namespace reduced_dicke;
namespace {

/// Per channel, the largest rate of any segment: its layout reaches every sector any
/// segment's noise reaches (a rate > 0 on an ensemble spreads it over all j).
LocalNoise largest_noise(const Protocol& protocol) {
  LocalNoise out;
  for (const ProtocolSegment& s : protocol.segments)
    for (auto [all, rates] : {std::pair{&out.charger, &s.model.local.charger},
                              std::pair{&out.battery, &s.model.local.battery}}) {
      all->decay = std::max(all->decay, rates->decay);
      all->pumping = std::max(all->pumping, rates->pumping);
      all->dephasing = std::max(all->dephasing, rates->dephasing);
    }
  return out;
}

void check_protocol(const Protocol& protocol) {
  if (protocol.segments.empty()) throw InvalidArgument("protocol: no segments");
  const Model& first = protocol.segments[0].model;
  for (std::size_t k = 0; k < protocol.segments.size(); ++k) {
    const ProtocolSegment& s = protocol.segments[k];
    validate(s.model);
    if (s.model.n_battery != first.n_battery || s.model.n_charger != first.n_charger ||
        s.model.omega != first.omega || s.model.battery_init != first.battery_init)
      throw InvalidArgument(fmt::format(
          "protocol: segment {} changes N_B, N_C, omega or the battery's initial state (only "
          "the reservoir, nbar, gamma and the local rates change between segments)", k + 1));
  }
}

/// Number of grid times in [start, end] of a segment (for its cost).
int points_in(const TimeGrid& grid, double start, double end) {
  const int first = grid.first_index_not_before(start), last = grid.first_index_not_before(end);
  return std::max(2, std::min(last, grid.points - 1) - first + 1);
}

}  // namespace

ReducedDickeCost estimate_protocol_cost(const Protocol& protocol, const TimeGrid& grid,
                                        const ReducedDickeOptions& options) {
  check_protocol(protocol);
  check_protocol_grid(protocol, grid);
  const LocalNoise noise = largest_noise(protocol);
  ReducedDickeCost total;
  for (const ProtocolSegment& s : protocol.segments) {
    const TimeGrid part{s.duration, points_in(grid, s.start, s.start + s.duration)};
    const ReducedDickeCost c = estimate_reduced_dicke_cost(s.model, noise, part, options);
    total.numbers = c.numbers;
    total.entries = std::max(total.entries, c.entries);
    total.steps += c.steps;
    total.seconds += c.seconds;
    total.memory_gib = std::max(total.memory_gib, c.memory_gib);
  }
  total.size = fmt::format("{} segments, {:.3g} stored numbers, ~{:.3g} generator products",
                           protocol.segments.size(), total.numbers, total.steps);
  return total;
}

TimeSeries solve_exact_protocol(const Protocol& protocol, const TimeGrid& grid,
                                const ReducedDickeOptions& options, const ProgressCallback& progress) {
  const ReducedDickeCost cost = estimate_protocol_cost(protocol, grid, options);
  const Model& first = protocol.segments[0].model;
  refuse_beyond_limits(cost,
                       fmt::format("exact protocol solver (reduced Dicke basis): N_B = {}, N_C = {}, {}",
                                   first.n_battery, first.n_charger, cost.size),
                       options);
  const LocalNoise noise = largest_noise(protocol);
  const Layout layout(first, noise);
  Eigen::VectorXd p = pack(layout, initial_state(layout)), dp, x, dx;
  std::vector<double> time_all;
  TimeSeries out;
  const std::size_t n_segments = protocol.segments.size();
  std::vector<double> s_b;
  for (std::size_t k = 0; k < n_segments; ++k) {
    const ProtocolSegment& segment = protocol.segments[k];
    const bool last = k + 1 == n_segments;
    const double end = last ? grid.t_max : protocol.segments[k + 1].start;
    const SparseGenerator generator = build_generator(layout, segment.model, true);
    // Output times of this segment: [start, end), and the end itself in the last one.
    const int g0 = grid.first_index_not_before(segment.start);
    const int g_end = grid.first_index_not_before(end);  // the boundary's index
    std::vector<double> times, time;
    std::vector<Snapshot> snapshots;
    for (int g = g0; g <= g_end; ++g) times.push_back(grid.time(g));
    auto record = [&](int i, const Eigen::VectorXd& state) {
      if (!last && g0 + i == g_end) return;  // the next segment records the boundary
      generator.apply(state, dp);
      unpack(layout, state, x);
      unpack(layout, dp, dx);
      snapshots.push_back(observe(layout, x, dx));
      time.push_back(times[i]);
      if (progress) progress(g0 + i + 1, grid.points);
    };
    record(0, p);
    KrylovExponential integrator(generator, options, kKrylovDimension);
    integrator.advance(p, times, record);
    const TimeSeries part = to_series(segment.model, segment.model.local, time, snapshots, nullptr);
    if (k == 0) {
      out = part;
    } else {
      for (std::size_t c = 0; c < out.columns.size(); ++c) {
        Column& column = out.columns[c];
        column.value.insert(column.value.end(), part.columns[c].value.begin(), part.columns[c].value.end());
        column.error.insert(column.error.end(), part.columns[c].error.begin(), part.columns[c].error.end());
        if (column.note.empty()) column.note = part.columns[c].note;
      }
    }
    time_all.insert(time_all.end(), time.begin(), time.end());
  }
  out.time = time_all;
  // dS_B_dt over the whole grid (S_B is continuous across the boundaries: the state is).
  for (Column& column : out.columns)
    if (column.name == "S_B") s_b = column.value;
  for (Column& column : out.columns)
    if (column.name == "dS_B_dt") column.value = time_derivative(s_b, grid);
  return out;
}

}  // namespace darkcharge
