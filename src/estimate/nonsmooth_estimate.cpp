#include "darkcharge/estimate/nonsmooth_estimate.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "darkcharge/core/errors.hpp"

namespace darkcharge {
namespace {

/// A split of the blocks into 2^bits.size() parts: block b goes to the part whose k-th bit is
/// bit bits[k] of b. One bit: halves; two bits: quarters.
struct Split {
  std::vector<int> bits;
  int parts() const { return 1 << bits.size(); }
  int part_of(int b) const {
    int part = 0;
    for (std::size_t k = 0; k < bits.size(); ++k) part |= ((b >> bits[k]) & 1) << k;
    return part;
  }
  std::vector<bool> part(const std::vector<bool>& set, int which) const {
    std::vector<bool> out(set.size());
    for (std::size_t b = 0; b < set.size(); ++b) out[b] = set[b] && part_of(int(b)) == which;
    return out;
  }
};

/// f and the number of trajectories on every part of every split of one block set.
struct PartValues {
  std::vector<std::vector<double>> values;  // [split][part]
  std::vector<std::vector<long>> sizes;
};

PartValues evaluate(const std::vector<Split>& splits, const std::vector<long>& block_sizes,
                    const std::vector<bool>& set, const SubsetValue& f) {
  PartValues v;
  for (const Split& s : splits) {
    v.values.emplace_back(s.parts());
    v.sizes.emplace_back(s.parts());
    for (int p = 0; p < s.parts(); ++p) {
      const auto part = s.part(set, p);
      v.sizes.back()[p] = subset_trajectories(block_sizes, part);
      v.values.back()[p] = v.sizes.back()[p] ? f(part) : 0.0;
    }
  }
  return v;
}

/// Over the splits into `parts` parts that leave no part empty: the mean of the size-weighted
/// means M = sum n_i f_i / n and of their n^-1/2 coefficients r = sum sqrt(n_i / n) (the 1/n
/// coefficient is `parts` for every split). Returns false if no split qualifies.
bool level_mean(const std::vector<Split>& splits, const PartValues& v, long n, int parts,
                double& mean, double& root_coefficient) {
  mean = root_coefficient = 0;
  int used = 0;
  for (std::size_t s = 0; s < splits.size(); ++s) {
    if (splits[s].parts() != parts) continue;
    double m = 0, roots = 0;
    bool empty = false;
    for (int p = 0; p < parts; ++p) {
      if (v.sizes[s][p] == 0) empty = true;
      m += double(v.sizes[s][p]) * v.values[s][p];
      roots += std::sqrt(double(v.sizes[s][p]));
    }
    if (empty) continue;
    mean += m / n;
    root_coefficient += roots / std::sqrt(double(n));
    ++used;
  }
  if (!used) return false;
  mean /= used, root_coefficient /= used;
  return true;
}

/// The first-order estimate: T1 = f + k (f - M_halves) per half-split (k from its sizes),
/// averaged over the splits that leave no half empty.
double first_order(double full, long n, const std::vector<Split>& splits, const PartValues& v) {
  double correction = 0;
  int used = 0;
  for (std::size_t s = 0; s < splits.size(); ++s) {
    if (splits[s].parts() != 2) continue;
    const double na = v.sizes[s][0], nb = v.sizes[s][1];
    if (na == 0 || nb == 0) continue;
    const double halves = (na * v.values[s][0] + nb * v.values[s][1]) / n;
    const double k = 1.0 / ((std::sqrt(na) + std::sqrt(nb)) / std::sqrt(double(n)) - 1.0);
    correction += k * (full - halves);
    ++used;
  }
  return used ? full + correction / used : full;
}

/// The second-order estimate: with E f(m) = f + a m^-1/2 + b / m, the weights w of
/// (f(all), M_halves, M_quarters) with sum w = 1 that cancel both bias terms,
///   sum w_i r_i = 0 (r: 1, ~sqrt 2, ~2),  sum w_i K_i = 0 (K = parts: 1, 2, 4),
/// i.e. the value at r = 0 of the quadratic through the three sample sizes; equal parts give
/// w = (6.83, -8.24, 2.41). Without a usable quarter-split: the first-order estimate.
double second_order(double full, long n, const std::vector<Split>& splits, const PartValues& v) {
  double m2, r2, m4, r4;
  if (!level_mean(splits, v, n, 2, m2, r2) || !level_mean(splits, v, n, 4, m4, r4))
    return first_order(full, n, splits, v);
  // Cramer's rule on [1 1 1; 1 r2 r4; 1 2 4] w = [1 0 0]^T.
  const double det = (r2 * 4 - r4 * 2) - (4 - r4) + (2 - r2);
  const double w1 = (r2 * 4 - r4 * 2) / det;
  const double w2 = -(4 - r4) / det;
  const double w4 = (2 - r2) / det;
  return w1 * full + w2 * m2 + w4 * m4;
}

}  // namespace

long subset_trajectories(const std::vector<long>& block_sizes, const std::vector<bool>& included) {
  long n = 0;
  for (std::size_t b = 0; b < included.size(); ++b) n += included[b] ? block_sizes[b] : 0;
  return n;
}

RootNEstimate root_n_corrected(const std::vector<long>& block_sizes, const SubsetValue& f,
                               int partitions, int order) {
  const int blocks = static_cast<int>(block_sizes.size());
  if (blocks < 1) throw InvalidArgument("root_n_corrected: no blocks");
  if (partitions < 1)
    throw InvalidArgument(fmt::format("root_n_corrected: partitions = {} < 1", partitions));
  int usable = 0;  // bits p with both sides non-empty on all blocks
  while ((1 << usable) < blocks) ++usable;

  // Halves on bits p < P; quarters on bit pairs (p, p + 1), p < P, where every quarter has
  // at least two blocks, so that it keeps one in every jackknife replicate (from 8 blocks on).
  // Without quarters: the first-order correction.
  std::vector<Split> splits;
  for (int p = 0; p < partitions && p < usable; ++p) splits.push_back({{p}});
  if (order != 1 && order != 2)
    throw InvalidArgument(fmt::format("root_n_corrected: order = {} is not 1 or 2", order));
  for (int p = 0; order == 2 && p < partitions && p + 1 < usable; ++p) {
    const Split quarters{{p, p + 1}};
    std::vector<int> count(quarters.parts());
    for (int b = 0; b < blocks; ++b) ++count[quarters.part_of(b)];
    if (*std::min_element(count.begin(), count.end()) >= 2) splits.push_back(quarters);
  }

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
  // f on each part of the full set, kept: a replicate reuses the parts it does not touch.
  const PartValues parts = evaluate(splits, block_sizes, all, f);
  r.value = second_order(r.plug_in, n, splits, parts);

  for (int d = 0; d < blocks; ++d) {
    std::vector<bool> rest = all;
    rest[d] = false;
    PartValues v = parts;
    for (std::size_t s = 0; s < splits.size(); ++s) {
      const int p = splits[s].part_of(d);  // the part that contained block d
      const auto h = splits[s].part(rest, p);
      v.sizes[s][p] = subset_trajectories(block_sizes, h);
      v.values[s][p] = v.sizes[s][p] ? f(h) : 0.0;
    }
    r.leave_one_out.push_back(second_order(f(rest), n - block_sizes[d], splits, v));
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
