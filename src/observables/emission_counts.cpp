// P(n, t): the distribution of the number n of quanta emitted by time t, at the times of
// EnsembleOptions::count_times (photon counting; physics.md). Each probability is the mean
// of an indicator over trajectories, with its standard error sqrt(p (1 - p) / (N - 1)).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <memory>

#include <fmt/format.h>

#include "darkcharge/run/ensemble_result.hpp"
#include "darkcharge/run/observable.hpp"

namespace darkcharge {
namespace {

struct CountRecord : BlockRecord {
  explicit CountRecord(const std::vector<int>& indices) : indices(indices), counts(indices.size()) {}
  void observe(int begin, int end, const Sample& s) override {
    for (std::size_t i = 0; i < indices.size(); ++i)
      if (indices[i] >= begin && indices[i] < end) ++counts[i][s.emitted()];
  }
  // Counting path (BlockRecord::keep): the emitted count of a state seen once, added with
  // the number of trajectories that held it.
  bool countable() const override { return true; }
  void keep(int /*g*/, const Sample& s) override { kept.push_back(s.emitted()); }
  void add_kept(std::size_t entry, int g, long times) override {
    for (std::size_t i = 0; i < indices.size(); ++i)
      if (indices[i] == g) counts[i][kept[entry]] += times;
  }
  void clear_kept() override { kept.clear(); }
  std::size_t kept_bytes() const override { return kept.size() * sizeof(long); }
  void merge(const BlockRecord& next) override {
    const auto& other = static_cast<const CountRecord&>(next).counts;
    for (std::size_t i = 0; i < counts.size(); ++i)
      for (const auto& [n, c] : other[i]) counts[i][n] += c;
  }
  void save(ByteWriter& out) const override {
    for (const auto& histogram : counts) {
      out.put<std::uint64_t>(histogram.size());
      for (const auto& [n, c] : histogram) {
        out.put<std::int64_t>(n);
        out.put<std::int64_t>(c);
      }
    }
  }
  void load(ByteReader& in, const UnitBounds& unit) override {
    for (auto& histogram : counts) {
      // At most one entry per trajectory, 16 bytes each.
      const auto size = in.get_count(
          "P(n, t) record: histogram size",
          std::min<std::uint64_t>(unit.trajectories, in.remaining() / 16));
      long previous = -1, total = 0;
      for (std::uint64_t i = 0; i < size; ++i) {
        const long n = in.get<std::int64_t>(), c = in.get<std::int64_t>();
        // Saved from a map: n ascending; every entry counts >= 1 trajectory, and each
        // trajectory is counted once per count time.
        if (n <= previous || c < 1 || c > unit.trajectories - total)
          throw InvalidArgument(fmt::format(
              "work-unit data: P(n, t) record: entry n = {} with {} trajectories does not fit a "
              "unit of {}", n, c, unit.trajectories));
        previous = n;
        total += c;
        histogram[n] = c;
      }
    }
  }
  const std::vector<int>& indices;
  std::vector<std::map<long, long>> counts;  // per count time: n -> trajectories
  std::vector<long> kept;                     // per kept entry: quanta emitted
};

class EmissionCounts : public Observable {
 public:
  explicit EmissionCounts(const ObservableContext& context) : grid_(context.grid) {
    for (double t : context.options.count_times)
      indices_.push_back(grid_.nearest_index(t));
  }
  std::unique_ptr<BlockRecord> new_record() const override {
    return std::make_unique<CountRecord>(indices_);
  }
  void estimate(const BlockSums& sums, Estimates& out) const override {
    const double n = double(sums.trajectories());
    for (std::size_t i = 0; i < indices_.size(); ++i) {
      std::map<long, long> total;
      for (int b = 0; b < sums.blocks(); ++b)
        for (const auto& [emitted, count] : static_cast<const CountRecord*>(sums.record(b))->counts[i])
          total[emitted] += count;
      for (const auto& [emitted, count] : total) {
        const double p = count / n;
        const double error = n > 1 ? std::sqrt(p * (1 - p) / (n - 1)) : 0.0;
        out.result.emission_counts.push_back({grid_.time(indices_[i]), emitted, {p, error}});
      }
    }
  }

 private:
  const TimeGrid& grid_;
  std::vector<int> indices_;
};

}  // namespace

std::unique_ptr<Observable> make_emission_counts(const ObservableContext& context) {
  return std::make_unique<EmissionCounts>(context);
}

}  // namespace darkcharge
