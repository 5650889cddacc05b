// The resource estimate of checkpoint: see resource_terms.hpp.
#include <algorithm>
#include <cmath>

#include "ensemble/local_noise_entanglement.hpp"
#include "ensemble/resource_terms.hpp"

namespace darkcharge {

using resource_terms::jumps_per_trajectory;

double checkpoint_max_bytes(const RunRequest& o) {
  const Model& m = o.model;
  const EnsembleOptions& e = o.ensemble;
  const WorkLayout layout = work_layout(e);
  const double points = o.grid.points, unit = static_cast<double>(layout.unit_size);
  // Sampled values per row: a few per column (the jump-record statistics keep moments).
  const double width = 8.0 * (e.observables.size() + 8);
  double per_unit = 64 + points * width * 32;  // key, index, counts; the block statistics
  if (e.sector_populations) per_unit += points * m.total_j_count() * 32 + 8;
  double levels = 0, blocks = 0, block_doubles = 0;
  const double jc = m.j_charger();
  for (double jb = m.j_battery(); jb >= 0; jb -= 1) {
    levels += 16 + 8 * (2 * jb + 1);
    const double w = 2 * std::min(jc, jb) + 1, d = std::fabs(jc - jb);
    blocks += 2 * (jc + jb) + 1;
    block_doubles += (2 * d + 1) * w * w + (w - 1) * w * (2 * w - 1) / 3;  // sum of n(M)^2
  }
  if (m.local.any() || o.protocol_bytes > 0) {
    // Local-noise units (local_noise_units.cpp): sums, level populations and the protocol's text.
    const double slots = 11 + m.n_battery / 2;
    // and with S_B the summed states (at most every (j_C, j_B, M) block at every time)
    const double states = e.entanglement ? local_noise::EntanglementSums::serialized_bytes(m, o.grid.points) : 0;
    return (8 << 20) +
           layout.units() * (512 + double(o.protocol_bytes) + points * (8 * slots + 8 + levels) + states + 16);
  }
  if (e.ergotropy) per_unit += points * (8 + levels);
  if (e.entanglement) per_unit += points * (8 + 32 * blocks + 8 * block_doubles);
  per_unit += e.count_times.size() * (8 + 16 * unit);
  if (e.record_trajectories > 0)
    per_unit += 8 + 28 * std::min<double>(e.record_trajectories, unit) *
                        (m.n_battery + m.n_charger + 100 * jumps_per_trajectory(m, o.grid.t_max));
  // The command line (ARG_MAX is a few MiB) and the framing.
  return (8 << 20) + layout.units() * (per_unit + 16);
}

}  // namespace darkcharge
