#pragma once
/// @file block_statistics.hpp
/// Sums over the trajectories of one block, per (grid time, observable). Trajectories are
/// split into a fixed number of contiguous blocks; each block is filled by one thread in
/// trajectory order and blocks are merged in block order, so the floating-point sums, and
/// hence every output digit, are the same for any thread count.
#include <vector>

namespace darkcharge {

class ByteWriter;
class ByteReader;

class BlockStatistics {
 public:
  BlockStatistics(int points, int observables);

  /// Adds value x of observable o at grid index g for `count` identical trajectories' worth.
  void add(int g, int o, double x);
  /// Adds `counts[g]` copies of values[0..observables) at each grid index g.
  void add_weighted_rows(const std::vector<long>& counts, const double* values);
  /// Adds values[0..observables) at every grid index in [begin, end), `weight` times each.
  void add_rows(int begin, int end, const double* values, long weight = 1);
  int points() const { return points_; }
  int observables() const { return observables_; }
  long count(int g, int o) const { return cell(g, o).n; }
  double mean(int g, int o) const;
  /// Smallest and largest single value added at (g, o) (0 while count is 0): the sample's own
  /// view of its tails (rare_event_floor.hpp). Exact under merge, so the same for any split.
  double lowest(int g, int o) const { return cell(g, o).lo; }
  double highest(int g, int o) const { return cell(g, o).hi; }

  /// Adds `other`'s sums (same shape): the sums of both trajectory sets. Used to fold work
  /// units into blocks in a fixed order.
  void merge(const BlockStatistics& other);
  /// Appends / reads the sums as bytes (checkpoints, MPI). load() throws InvalidArgument
  /// unless the shape is (points, observables), every count in 0..max_count and every sum
  /// finite: the bytes may come from a damaged or foreign file.
  void save(ByteWriter& out) const;
  static BlockStatistics load(ByteReader& in, int points, int observables, long max_count);

  /// Merges blocks in order into a mean and the standard error of the mean
  /// (sample variance over trajectories / n). Chan et al.'s pairwise update keeps it stable.
  static void combine(const std::vector<BlockStatistics>& blocks, int g, int o,
                      double& mean, double& standard_error);
  /// Smallest and largest value over all blocks at (g, o) (0, 0 if none).
  static void extremes(const std::vector<BlockStatistics>& blocks, int g, int o,
                       double& lowest, double& highest);

 private:
  // Sums of x - shift, with shift = the block's first value: no cancellation when the
  // spread is far smaller than the mean (e.g. at t = 0 every trajectory agrees). lo, hi: the
  // smallest and largest value added.
  struct Cell {
    long n = 0;
    double shift = 0, s1 = 0, s2 = 0, lo = 0, hi = 0;
  };
  Cell& cell(int g, int o) { return cells_[g * observables_ + o]; }
  const Cell& cell(int g, int o) const { return cells_[g * observables_ + o]; }
  int points_, observables_;
  std::vector<Cell> cells_;
};

}  // namespace darkcharge
