#include "darkcharge/estimate/nonsmooth_estimate.hpp"

#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "darkcharge/core/errors.hpp"

namespace darkcharge {
namespace {

/// Half p of a block set: blocks whose index has bit p equal to `side`.
std::vector<bool> half(const std::vector<bool>& set, int p, int side) {
  std::vector<bool> out(set.size());
  for (std::size_t b = 0; b < set.size(); ++b) out[b] = set[b] && int((b >> p) & 1) == side;
  return out;
}

/// The root-n corrected value on `set`, given f(set) and f on both halves of each partition.
double corrected(double full, long n, const std::vector<double>& half_values,
                 const std::vector<long>& half_sizes) {
  double correction = 0;
  int used = 0;
  for (std::size_t i = 0; i + 1 < half_values.size(); i += 2) {
    const double na = half_sizes[i], nb = half_sizes[i + 1];
    if (na == 0 || nb == 0) continue;  // this partition left one side empty
    const double halves = (na * half_values[i] + nb * half_values[i + 1]) / n;
    const double k = 1.0 / ((std::sqrt(na) + std::sqrt(nb)) / std::sqrt(double(n)) - 1.0);
    correction += k * (full - halves);
    ++used;
  }
  return used ? full + correction / used : full;
}

}  // namespace

long subset_trajectories(const std::vector<long>& block_sizes, const std::vector<bool>& included) {
  long n = 0;
  for (std::size_t b = 0; b < included.size(); ++b) n += included[b] ? block_sizes[b] : 0;
  return n;
}

RootNEstimate root_n_corrected(const std::vector<long>& block_sizes, const SubsetValue& f,
                               int partitions) {
  const int blocks = static_cast<int>(block_sizes.size());
  if (blocks < 1) throw InvalidArgument("root_n_corrected: no blocks");
  if (partitions < 1)
    throw InvalidArgument(fmt::format("root_n_corrected: partitions = {} < 1", partitions));
  int usable = 0;  // bits p with both sides non-empty on all blocks
  while (usable < partitions && (1 << usable) < blocks) ++usable;

  const std::vector<bool> all(blocks, true);
  const long n = subset_trajectories(block_sizes, all);
  RootNEstimate r;
  r.plug_in = f(all);
  if (blocks == 1) {  // one trajectory: nothing to correct with, no error to give
    r.value = r.plug_in;
    r.error = std::numeric_limits<double>::quiet_NaN();
    r.leave_one_out = {r.plug_in};
    return r;
  }
  // f on each half of the full set, kept: a replicate reuses the half it does not touch.
  std::vector<double> half_values;
  std::vector<long> half_sizes;
  for (int p = 0; p < usable; ++p)
    for (int side = 0; side < 2; ++side) {
      const auto h = half(all, p, side);
      half_values.push_back(f(h));
      half_sizes.push_back(subset_trajectories(block_sizes, h));
    }
  r.value = corrected(r.plug_in, n, half_values, half_sizes);

  for (int d = 0; d < blocks; ++d) {
    std::vector<bool> rest = all;
    rest[d] = false;
    std::vector<double> values = half_values;
    std::vector<long> sizes = half_sizes;
    for (int p = 0; p < usable; ++p) {
      const int side = (d >> p) & 1;  // the half that contained block d
      const auto h = half(rest, p, side);
      sizes[2 * p + side] = subset_trajectories(block_sizes, h);
      values[2 * p + side] = sizes[2 * p + side] ? f(h) : 0.0;
    }
    r.leave_one_out.push_back(corrected(f(rest), n - block_sizes[d], values, sizes));
  }
  double mean = 0;
  for (double x : r.leave_one_out) mean += x;
  mean /= blocks;
  double spread = 0;
  for (double x : r.leave_one_out) spread += (x - mean) * (x - mean);
  r.error = std::sqrt((blocks - 1.0) / blocks * spread);
  return r;
}

}  // namespace darkcharge
