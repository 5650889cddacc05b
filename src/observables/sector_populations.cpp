// Population of each total-J sector ("J=<value>" columns of EnsembleResult::sectors, mean
// and standard error). Total J is conserved, so these stay at their initial values: a
// built-in consistency check.
#include <cmath>
#include <memory>

#include "darkcharge/run/ensemble_result.hpp"
#include "darkcharge/run/observable.hpp"

namespace darkcharge {
namespace {

struct SectorRecord : BlockRecord {
  SectorRecord(int points, int j_count, double lowest_j)
      : sums(points, j_count), values(j_count), lowest_j(lowest_j) {}
  void observe(int begin, int end, const Sample& s) override {
    fill_values(s);
    sums.add_rows(begin, end, values.data());
  }
  // Counting path (BlockRecord::keep): the populations of a state seen once, added with
  // the number of trajectories that held it.
  bool countable() const override { return true; }
  void keep(int /*g*/, const Sample& s) override {
    fill_values(s);
    kept.push(values);
  }
  void add_kept(std::size_t entry, int g, long times) override {
    sums.add_rows(g, g + 1, kept.segment(entry).data(), times);
  }
  void clear_kept() override { kept.clear(); }
  std::size_t kept_bytes() const override { return kept.bytes(); }
  /// values[j] = population of total J = lowest_j + j.
  void fill_values(const Sample& s) {
    const CoupledState& st = s.state();
    const double* c = s.snapshot().c;
    values.assign(values.size(), 0.0);
    for (int k = st.active_begin(); k < st.active_end(); ++k)
      values[std::lround(st.j_of(k) - lowest_j)] = c[k] * c[k] / s.snapshot().norm2;
  }
  void merge(const BlockRecord& next) override {
    sums.merge(static_cast<const SectorRecord&>(next).sums);
  }
  void save(ByteWriter& out) const override { sums.save(out); }
  void load(ByteReader& in, const UnitBounds& unit) override {
    sums = BlockStatistics::load(in, sums.points(), sums.observables(), unit.trajectories);
  }
  BlockStatistics sums;
  std::vector<double> values;
  double lowest_j;
  KeptVectors kept;
};

class SectorPopulations : public Observable {
 public:
  explicit SectorPopulations(const ObservableContext& context)
      : points_(context.grid.points),
        lowest_j_(context.model.lowest_total_j()),
        j_count_(context.model.total_j_count()) {}
  std::unique_ptr<BlockRecord> new_record() const override {
    return std::make_unique<SectorRecord>(points_, j_count_, lowest_j_);
  }
  void estimate(const BlockSums& sums, Estimates& out) const override {
    std::vector<BlockStatistics> blocks;
    for (int b = 0; b < sums.blocks(); ++b)
      blocks.push_back(static_cast<const SectorRecord*>(sums.record(b))->sums);
    TimeSeries& sectors = out.result.sectors;
    for (int g = 0; g < points_; ++g) sectors.time.push_back(sums.grid().time(g));
    for (int j = 0; j < j_count_; ++j) {
      Column c{sector_column_name(lowest_j_ + j), std::vector<double>(points_),
               std::vector<double>(points_), "standard-error", ""};
      for (int g = 0; g < points_; ++g)
        BlockStatistics::combine(blocks, g, j, c.value[g], c.error[g]);
      sectors.columns.push_back(std::move(c));
    }
  }

 private:
  int points_;
  double lowest_j_;
  int j_count_;
};

}  // namespace

std::unique_ptr<Observable> make_sector_populations(const ObservableContext& context) {
  return std::make_unique<SectorPopulations>(context);
}

}  // namespace darkcharge
