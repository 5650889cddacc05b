// run_local_trajectory / run_local_protocol: a local-noise trajectory walked through the
// segments of a run, each with the engine its model allows (local_walk.hpp).
#include "darkcharge/run/local_trajectory.hpp"

#include <cmath>

#include <fmt/format.h>

#include "darkcharge/core/errors.hpp"
#include "darkcharge/physics/angular_momentum.hpp"
#include "darkcharge/physics/initial_state.hpp"
#include "run/local_walk.hpp"

namespace darkcharge {
namespace {

using local_walk::SegmentEnd;
using local_walk::Walk;

/// G commutes with J^2 exactly when g_down^C - g_up^C = g_down^B - g_up^B (physics.md) and
/// the reservoir acts on J = J_C + J_B. With the reservoir on one ensemble or none, G is
/// diagonal in the product basis instead (NoJumpCache keeps only its diagonal).
bool diagonal_in_coupled_basis(const Model& model) {
  return model.reservoir == ReservoirCoupling::both &&
         model.local.charger.decay - model.local.charger.pumping ==
             model.local.battery.decay - model.local.battery.pumping;
}

/// The initial state of one trajectory (its level drawn from `rng` first).
LocalJumpState initial_jump_state(const Model& model, Rng& rng) {
  const InitialState start = sample_initial_state(model, rng);
  LocalJumpState psi;
  psi.jc = model.j_charger();
  psi.jb = start.j_battery;
  psi.M = psi.jc + start.m_battery;
  psi.amp.assign(block_size(psi.jc, psi.jb, psi.M), 0.0);
  psi.amp[std::lround(start.m_battery - psi.first_mb())] = 1.0;
  return psi;
}

/// One segment of the walk with the engine its model allows.
void run_segment(const Model& model, const SegmentEnd& segment, const TimeGrid& grid, Rng& rng,
                 NoJumpCache& cache, const LocalRecord& record, const std::atomic<bool>* stop, Walk& w) {
  if (diagonal_in_coupled_basis(model))
    local_walk::coupled_path(model, segment, grid, rng, record, stop, w);
  else
    local_walk::product_path(model, segment, grid, rng, cache, record, stop, w);
}

}  // namespace

LocalTrajectoryStats run_local_trajectory(const Model& model, const TimeGrid& grid, Rng& rng,
                                          NoJumpCache& cache, const LocalRecord& record,
                                          const std::atomic<bool>* stop) {
  Walk w;
  w.psi = initial_jump_state(model, rng);
  run_segment(model, SegmentEnd{grid.t_max, true}, grid, rng, cache, record, stop, w);
  return w.stats;
}

std::vector<NoJumpCache> protocol_caches(const Protocol& protocol, double max_bytes) {
  std::vector<NoJumpCache> out;
  const double share = max_bytes / std::max<std::size_t>(1, protocol.segments.size());
  for (const ProtocolSegment& s : protocol.segments) out.emplace_back(s.model, share);
  return out;
}

LocalTrajectoryStats run_local_protocol(const Protocol& protocol, const TimeGrid& grid, Rng& rng,
                                        std::vector<NoJumpCache>& caches, const LocalRecord& record,
                                        const std::atomic<bool>* stop) {
  const std::size_t n = protocol.segments.size();
  if (caches.size() != n)
    throw InvalidArgument(fmt::format("caches: {} given for a protocol of {} segments (protocol_caches)",
                                      caches.size(), n));
  Walk w;
  w.psi = initial_jump_state(protocol.segments[0].model, rng);
  for (std::size_t k = 0; k < n; ++k) {
    const bool last = k + 1 == n;
    const SegmentEnd end{last ? grid.t_max : protocol.segments[k + 1].start, last};
    run_segment(protocol.segments[k].model, end, grid, rng, caches[k], record, stop, w);
  }
  return w.stats;
}

}  // namespace darkcharge
