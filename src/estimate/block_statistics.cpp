#include "darkcharge/estimate/block_statistics.hpp"

#include <cmath>

#include <fmt/format.h>

#include "darkcharge/core/byte_stream.hpp"

namespace darkcharge {

BlockStatistics::BlockStatistics(int points, int observables)
    : points_(points), observables_(observables), cells_(std::size_t(points) * observables) {}

void BlockStatistics::add(int g, int o, double x) {
  Cell& c = cell(g, o);
  if (c.n == 0) c.shift = c.lo = c.hi = x;
  c.lo = std::fmin(c.lo, x);
  c.hi = std::fmax(c.hi, x);
  const double d = x - c.shift;
  ++c.n;
  c.s1 += d;
  c.s2 += d * d;
}

void BlockStatistics::add_rows(int begin, int end, const double* values, long weight) {
  Cell* row = cells_.data() + std::size_t(begin) * observables_;
  if (weight == 1) {  // the hot path: one trajectory, one row
    for (int g = begin; g < end; ++g)
      for (int o = 0; o < observables_; ++o, ++row) {
        if (row->n == 0) row->shift = row->lo = row->hi = values[o];
        row->lo = std::fmin(row->lo, values[o]);
        row->hi = std::fmax(row->hi, values[o]);
        const double d = values[o] - row->shift;
        ++row->n;
        row->s1 += d;
        row->s2 += d * d;
      }
    return;
  }
  for (int g = begin; g < end; ++g)
    for (int o = 0; o < observables_; ++o, ++row) {
      if (row->n == 0) row->shift = row->lo = row->hi = values[o];
      row->lo = std::fmin(row->lo, values[o]);
      row->hi = std::fmax(row->hi, values[o]);
      const double d = values[o] - row->shift;
      row->n += weight;
      row->s1 += weight * d;
      row->s2 += weight * d * d;
    }
}

void BlockStatistics::add_weighted_rows(const std::vector<long>& counts, const double* values) {
  for (int g = 0; g < points_; ++g)
    if (counts[g] > 0) add_rows(g, g + 1, values, counts[g]);
}

void BlockStatistics::merge(const BlockStatistics& other) {
  if (other.points_ != points_ || other.observables_ != observables_)
    throw InvalidArgument("BlockStatistics::merge: shapes differ");
  for (std::size_t i = 0; i < cells_.size(); ++i) {
    Cell& c = cells_[i];
    const Cell& u = other.cells_[i];
    if (u.n == 0) continue;
    if (c.n == 0) {
      c = u;
      continue;
    }
    // Re-centre u's sums on c's shift: x - c.shift = (x - u.shift) + d.
    const double d = u.shift - c.shift, nu = double(u.n);
    c.s2 += u.s2 + 2 * d * u.s1 + nu * d * d;
    c.s1 += u.s1 + nu * d;
    c.n += u.n;
    c.lo = std::fmin(c.lo, u.lo);
    c.hi = std::fmax(c.hi, u.hi);
  }
}

void BlockStatistics::save(ByteWriter& out) const {
  out.put<std::int32_t>(points_);
  out.put<std::int32_t>(observables_);
  for (const Cell& c : cells_) out.put(c);
}

BlockStatistics BlockStatistics::load(ByteReader& in, int points, int observables,
                                      long max_count) {
  const int p = in.get<std::int32_t>(), o = in.get<std::int32_t>();
  if (p != points || o != observables)
    throw InvalidArgument(fmt::format("work-unit data: statistics of {} times x {} values, "
                                      "expected {} x {} (other grid or columns)",
                                      p, o, points, observables));
  if (double(points) * observables * sizeof(Cell) > double(in.remaining()))
    throw InvalidArgument("work-unit data: statistics truncated");
  BlockStatistics s(points, observables);
  for (Cell& c : s.cells_) {
    c = in.get<Cell>();
    // A count beyond the unit's trajectories (or negative) would reweight its sums.
    if (c.n < 0 || c.n > max_count)
      throw InvalidArgument(fmt::format("work-unit data: statistics count {} outside 0..{}",
                                        c.n, max_count));
    if (!std::isfinite(c.shift) || !std::isfinite(c.s1) || !std::isfinite(c.s2) || c.s2 < 0)
      throw InvalidArgument("work-unit data: statistics sums not finite or negative");
    // The extremes bound every value added, the first one (shift) among them.
    if (!std::isfinite(c.lo) || !std::isfinite(c.hi) ||
        (c.n > 0 && !(c.lo <= c.shift && c.shift <= c.hi)) ||
        (c.n == 0 && (c.lo != 0 || c.hi != 0)))
      throw InvalidArgument(fmt::format("work-unit data: statistics extremes [{}, {}] do not "
                                        "bound the first value {}", c.lo, c.hi, c.shift));
  }
  return s;
}

double BlockStatistics::mean(int g, int o) const {
  const Cell& c = cell(g, o);
  return c.n ? c.shift + c.s1 / c.n : 0.0;
}

void BlockStatistics::combine(const std::vector<BlockStatistics>& blocks, int g, int o,
                              double& mean, double& standard_error) {
  double n = 0, m = 0, m2 = 0;  // running count, mean, sum of squared deviations
  for (const auto& block : blocks) {
    const Cell& c = block.cell(g, o);
    if (c.n == 0) continue;
    const double nb = double(c.n), mb = c.shift + c.s1 / nb;
    const double m2b = std::fmax(0.0, c.s2 - c.s1 * c.s1 / nb);
    const double delta = mb - m, total = n + nb;
    m += delta * nb / total;
    m2 += m2b + delta * delta * n * nb / total;
    n = total;
  }
  mean = m;
  standard_error = n > 1 ? std::sqrt(m2 / (n - 1) / n) : 0.0;
}

void BlockStatistics::extremes(const std::vector<BlockStatistics>& blocks, int g, int o,
                               double& lowest, double& highest) {
  bool any = false;
  lowest = highest = 0;
  for (const auto& block : blocks) {
    const Cell& c = block.cell(g, o);
    if (c.n == 0) continue;
    lowest = any ? std::fmin(lowest, c.lo) : c.lo;
    highest = any ? std::fmax(highest, c.hi) : c.hi;
    any = true;
  }
}

}  // namespace darkcharge
