#include "run/ensemble_runner.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <exception>
#include <map>

#include <boost/crc.hpp>
#include <fmt/format.h>
#include <omp.h>

#include "darkcharge/core/byte_stream.hpp"
#include "darkcharge/core/errors.hpp"
#include "darkcharge/physics/initial_state.hpp"
#include "darkcharge/run/trajectory.hpp"

namespace darkcharge {
namespace {

/// Hands one block's trajectories to the observables: sampled values are summed into the
/// block's means; records observe directly. Two counting fast paths (sampled values depend
/// only on the state and jump counts):
///  - at nbar = 0 every trajectory starts in the same state and M only decreases, so the
///    state (and the emitted count M0 - M) at output time g is a function of M alone:
///    sample it once per (g, M), then count. Records join in when all are countable
///    (BlockRecord::keep); their kept entries are added and dropped whenever they pass
///    EnsembleOptions::counting_memory_bytes, so memory stays bounded at any N;
///  - with no records, final states (dark levels, the ground) repeat exactly across
///    trajectories: count how many trajectories froze in each at each time, add them all
///    at the end.
class BlockObserver : public TrajectoryObserver {
 public:
  BlockObserver(const RunPlan& plan, UnitResult& block)
      : plan_(plan), block_(block), row_(plan.width) {
    bool countable = true;
    for (const auto& r : block.records)
      if (r) {
        records_.push_back(r.get());
        countable = countable && r->countable();
      }
    means_only_ = records_.empty();
    for (std::size_t i = 0; i < plan.observables.size(); ++i) {
      const Observable* o = plan.observables[i];
      const SampleValue f = o->sample_value();
      const std::pair<SampleValue, int> value{f, plan.offsets[i]};
      if (o->sample_width() == 0) continue;
      if (!f)
        sampled_.push_back({o, plan.offsets[i]});
      else if (std::find(values_.begin(), values_.end(), value) == values_.end())
        values_.push_back(value);  // observables sharing a value share its sum
    }
    const double m_max = plan.model.j_charger() + plan.model.j_battery();
    m_count_ = static_cast<long>(std::lround(2 * m_max)) + 1;
    if (plan.model.nbar == 0.0 && countable &&
        m_count_ * plan.grid.points <= kMaxCountedStates) {
      words_ = (plan.grid.points + 63) / 64;
      known_bits_.assign(m_count_ * words_, 0);
      count_change_.assign(m_count_ * (plan.grid.points + 1), 0);
      known_values_.assign(m_count_ * plan.grid.points * plan.width, 0.0);
      if (!records_.empty()) known_entry_.assign(m_count_ * plan.grid.points, 0);
    }
  }

  void begin_trajectory(long k) {
    // Past the memory budget: add what was counted and start learning states afresh.
    if (kept_bytes() > plan_.options.counting_memory_bytes) flush();
    for (BlockRecord* r : records_) r->begin_trajectory(k);
  }

  bool state_is_function_of_m() const override { return !known_bits_.empty(); }

  int count_known_run(int begin, int end, double total_m) override {
    const std::size_t m = m_index(total_m);
    const int stop = std::min(end, first_unknown(m, begin));
    if (stop > begin) {  // counted as a run: +1 from begin, -1 from stop (prefix sums later)
      long* change = &count_change_[m * (plan_.grid.points + 1)];
      ++change[begin];
      --change[stop];
    }
    return stop;
  }

  bool wants_jumps() const override {
    for (const BlockRecord* r : records_)
      if (r->wants_jumps()) return true;
    return false;
  }

  void jumped(double time, bool emitted, double m_after) override {
    const Jump jump{time, emitted ? Jump::kEmission : Jump::kAbsorption, m_after};
    for (BlockRecord* r : records_)
      if (r->wants_jumps()) r->jumped(jump);
  }

  void observe(int begin, int end, const Snapshot& s) override {
    const Sample sample(plan_.model, s, plan_.basis, psi_);
    for (const auto& [value, offset] : values_) row_[offset] = value(sample);
    for (const auto& [observable, offset] : sampled_) observable->sample(sample, row_.data() + offset);
    if (!known_bits_.empty()) {  // remember the row of (g, M); later trajectories only count
      const std::size_t m = m_index(s.state.total_m());
      long* change = &count_change_[m * (plan_.grid.points + 1)];
      ++change[begin];
      --change[end];
      for (int g = begin; g < end; ++g) {
        std::uint64_t& word = known_bits_[m * words_ + g / 64];
        const std::uint64_t bit = std::uint64_t(1) << (g % 64);
        if (word & bit) continue;
        word |= bit;
        std::copy(row_.begin(), row_.end(), known_values_.begin() + value_index(g, m));
        if (!records_.empty()) {
          known_entry_[state_index(g, m)] = kept_entries_++;
          for (BlockRecord* r : records_) r->keep(g, sample);
        }
      }
      return;
    }
    if (s.frozen && means_only_) {
      std::vector<long>& starts = frozen_[row_];
      if (starts.empty()) starts.assign(plan_.grid.points + 1, 0);
      ++starts[begin];
      return;
    }
    block_.means.add_rows(begin, end, row_.data());
    for (BlockRecord* r : records_) r->observe(begin, end, sample);
  }

  /// Adds what was only counted: the (g, M) rows and kept record entries of the nbar = 0
  /// path (which then starts afresh), and the frozen tails (a trajectory frozen from
  /// index g0 on counts at every g >= g0).
  void flush() {
    if (!known_bits_.empty()) {
      const int points = plan_.grid.points;
      std::vector<long> count(std::size_t(points) * m_count_, 0);  // (g, M), g-major
      for (long m = 0; m < m_count_; ++m) {
        long* change = &count_change_[m * (points + 1)];
        long running = 0;
        for (int g = 0; g < points; ++g) {
          running += change[g];
          change[g] = 0;
          count[std::size_t(g) * m_count_ + m] = running;
        }
        change[points] = 0;
      }
      // In (g, M) order, as rows were always added: the sums do not depend on the counting.
      for (int g = 0; g < points; ++g)
        for (long m = 0; m < m_count_; ++m)
          if (const long n = count[std::size_t(g) * m_count_ + m]; n > 0) {
            block_.means.add_rows(g, g + 1, known_values_.data() + value_index(g, m), n);
            for (BlockRecord* r : records_) r->add_kept(known_entry_[state_index(g, m)], g, n);
          }
      for (BlockRecord* r : records_) r->clear_kept();
      kept_entries_ = 0;
      std::fill(known_bits_.begin(), known_bits_.end(), 0);
    }
    for (const auto& [values, starts] : frozen_) {
      std::vector<long> active(plan_.grid.points, 0);
      long running = 0;
      for (int g = 0; g < plan_.grid.points; ++g) active[g] = (running += starts[g]);
      block_.means.add_weighted_rows(active, values.data());
    }
    frozen_.clear();
  }

 private:
  std::size_t kept_bytes() const {
    std::size_t bytes = 0;
    for (const BlockRecord* r : records_) bytes += r->kept_bytes();
    return bytes;
  }
  std::size_t state_index(int g, std::size_t m) const { return std::size_t(g) * m_count_ + m; }
  std::size_t m_index(double total_m) const {
    const double m_max = 0.5 * (m_count_ - 1);
    // total_m + m_max is an exact integer >= 0: truncating x + 0.5 rounds it without a
    // call to lround (this runs once per segment on the nbar = 0 path).
    return static_cast<std::size_t>(total_m + m_max + 0.5);
  }
  std::size_t value_index(int g, std::size_t m) const { return state_index(g, m) * plan_.width; }
  /// The first grid index >= g whose state at M (row m) has not been observed yet.
  int first_unknown(std::size_t m, int g) const {
    const std::uint64_t* bits = &known_bits_[m * words_];
    for (int w = g / 64; w < words_; ++w) {
      std::uint64_t free = ~bits[w];
      if (w == g / 64) free &= ~std::uint64_t(0) << (g % 64);  // ignore indices below g
      if (free) return w * 64 + __builtin_ctzll(free);
    }
    return words_ * 64;
  }

  const RunPlan& plan_;
  UnitResult& block_;
  std::vector<BlockRecord*> records_;  // the observables' records (non-null ones)
  bool means_only_ = true;
  long m_count_ = 0;
  // The nbar = 0 path: which (g, M) states were observed (bits, row M, bit g), trajectories
  // counted per M as runs of g (+1 at a run's start, -1 past its end), and the rows.
  int words_ = 0;
  std::vector<std::uint64_t> known_bits_;
  std::vector<long> count_change_;    // M -> (points + 1) changes of the count along g
  std::vector<double> known_values_;  // (g, M) -> sampled row
  std::vector<std::size_t> known_entry_;  // (g, M) -> the records' kept entry
  std::size_t kept_entries_ = 0;
  std::map<std::vector<double>, std::vector<long>> frozen_;  // final row -> count by start
  std::vector<std::pair<SampleValue, int>> values_;          // plain values: (function, offset)
  std::vector<std::pair<const Observable*, int>> sampled_;  // other sampled observables
  std::vector<double> row_;
  Eigen::VectorXd psi_;
};

}  // namespace

void UnitResult::merge(const UnitResult& next) {
  trajectories += next.trajectories;
  means.merge(next.means);
  for (std::size_t i = 0; i < records.size(); ++i)
    if (records[i]) records[i]->merge(*next.records[i]);
}

UnitResult new_unit_result(const RunPlan& plan) {
  UnitResult unit;
  unit.means = BlockStatistics(plan.grid.points, plan.width);
  for (const Observable* o : plan.observables) unit.records.push_back(o->new_record());
  return unit;
}

std::uint64_t run_key(const RunPlan& plan, const std::vector<std::string>& unit_names) {
  const WorkLayout layout = work_layout(plan.options);
  const Model& m = plan.model;
  const EnsembleOptions& o = plan.options;
  ByteWriter w;
  w.put_string("darkcharge work units 2");  // the unit layout below; change it with the layout
  w.put<std::int64_t>(m.n_battery);
  w.put<std::int64_t>(m.n_charger);
  w.put(m.omega);
  w.put(m.gamma);
  w.put(m.nbar);
  w.put<std::int32_t>(static_cast<std::int32_t>(m.battery_init));
  w.put(plan.grid.t_max);
  w.put<std::int64_t>(plan.grid.points);
  if (!plan.grid.equally_spaced()) {  // equally spaced grids keep their earlier key
    w.put_string("explicit times");
    w.put_doubles(plan.grid.times.data(), plan.grid.times.size());
  }
  w.put<std::uint64_t>(o.seed);
  w.put<std::int64_t>(layout.trajectories);
  w.put<std::int64_t>(layout.blocks);
  w.put<std::int64_t>(layout.unit_size);
  w.put<std::int64_t>(plan.width);
  for (std::size_t i = 0; i < unit_names.size(); ++i) {
    w.put_string(unit_names[i]);
    w.put<std::int64_t>(plan.offsets[i]);
  }
  w.put_doubles(o.count_times.data(), o.count_times.size());
  w.put_doubles(o.state_times.data(), o.state_times.size());
  w.put<std::int64_t>(o.record_trajectories);
  boost::crc_optimal<64, 0x42F0E1EBA9EA3693ULL, ~0ULL, ~0ULL, true, true> crc;  // CRC-64/XZ
  crc.process_bytes(w.bytes().data(), w.bytes().size());
  return crc.checksum();
}

std::string save_unit(const RunPlan& plan, long u, const UnitResult& unit) {
  ByteWriter out;
  out.put<std::uint64_t>(plan.run_key);
  out.put<std::int64_t>(u);
  out.put<std::int64_t>(unit.trajectories);
  unit.means.save(out);
  for (const auto& r : unit.records)
    if (r) r->save(out);
  return std::move(out.bytes());
}

UnitResult load_unit(const RunPlan& plan, const WorkLayout& layout, long u,
                     const std::string& bytes) {
  UnitResult unit = new_unit_result(plan);
  ByteReader in(bytes);
  const auto key = in.get<std::uint64_t>();
  if (key != plan.run_key)
    throw InvalidArgument(fmt::format("work-unit data: unit {} belongs to another run (run key "
                                      "{:016x}, this run's is {:016x}: model, grid, seed, "
                                      "columns or layout differ)", u, key, plan.run_key));
  const auto index = in.get<std::int64_t>();
  if (index != u)
    throw InvalidArgument(fmt::format("work-unit data: unit {} holds the data of unit {}", u, index));
  const UnitBounds bounds{layout.first(u), layout.end(u) - layout.first(u)};
  unit.trajectories = in.get<std::int64_t>();
  if (unit.trajectories != bounds.trajectories)
    throw InvalidArgument(fmt::format("work-unit data: unit {} has {} trajectories, expected {}",
                                      u, unit.trajectories, bounds.trajectories));
  unit.means = BlockStatistics::load(in, plan.grid.points, plan.width, bounds.trajectories);
  for (auto& r : unit.records)
    if (r) r->load(in, bounds);
  if (!in.at_end())
    throw InvalidArgument(fmt::format("work-unit data: unit {}: {} trailing bytes", u, in.remaining()));
  return unit;
}

long WorkLayout::units() const {
  if (round_start.empty()) return (trajectories + unit_size - 1) / unit_size;
  const long last_round = static_cast<long>(round_start.size()) - 2;
  const long size = round_unit_size(last_round);
  return last_round * blocks + (trajectories - round_start[last_round] + size - 1) / size;
}

long WorkLayout::first(long u) const {
  if (round_start.empty()) return u * unit_size;
  const long r = u / blocks;
  return round_start[r] + (u % blocks) * round_unit_size(r);
}

long WorkLayout::end(long u) const {
  if (round_start.empty()) return std::min(trajectories, (u + 1) * unit_size);
  return std::min(trajectories, first(u) + round_unit_size(u / blocks));
}

namespace {

/// Trajectories per unit in the first round of growing units: a first check after
/// ~256 trajectories (8 per block at the default 32 blocks), enough for block errors.
constexpr long kFirstRoundTrajectories = 256;

/// Growing units for a run that may stop early (target errors): the first round holds
/// ~kFirstRoundTrajectories, and each next round adds a quarter of all trajectories before
/// it, so consecutive checks are 1.25x apart in trajectory count at every scale, until the
/// cap. Integer arithmetic only, so every process computes the same layout.
void grow_rounds(WorkLayout& layout) {
  const long blocks = layout.blocks;
  long size = std::max<long>(1, (kFirstRoundTrajectories + blocks - 1) / blocks);
  layout.unit_size = size;
  long start = 0;
  while (start < layout.trajectories) {
    layout.round_start.push_back(start);
    start += blocks * size;
    size = std::max<long>(1, (start + 4 * blocks - 1) / (4 * blocks));
  }
  layout.round_start.push_back(start);
}

}  // namespace

WorkLayout work_layout(const EnsembleOptions& options) {
  WorkLayout layout;
  layout.trajectories = options.trajectories;
  layout.blocks = static_cast<int>(std::min<long>(options.blocks, options.trajectories));
  if (!options.target_errors.empty() && options.unit_trajectories == 0) {
    grow_rounds(layout);
    return layout;
  }
  // Automatic: k equal units per block, k = per_block / 256 rounded up, 1 <= k <= 8: units of
  // >= 256 trajectories where possible (each unit re-learns the counting fast path's
  // states), and up to 8 B units for load balance (256 units at the default B = 32).
  const long per_block = std::max<long>(1, options.trajectories / layout.blocks);
  const long k = std::clamp<long>((per_block + 255) / 256, 1, 8);
  layout.unit_size = options.unit_trajectories > 0 ? options.unit_trajectories
                                                   : (per_block + k - 1) / k;
  return layout;
}

void run_units(const RunPlan& plan, const WorkLayout& layout, const std::vector<long>& units,
               const std::function<bool()>& keep_going,
               const std::function<void(long, UnitResult&&)>& done,
               const ProgressCallback& progress, long already_done) {
  std::atomic<long> finished_trajectories{already_done};
  std::exception_ptr failure;
  std::atomic<bool> failed{false};
  const int threads = plan.options.threads > 0 ? plan.options.threads : omp_get_max_threads();
  const long count = static_cast<long>(units.size());
#pragma omp parallel num_threads(threads)
  {
    CoupledState state;
    std::vector<double> scratch;
#pragma omp for schedule(dynamic, 1)
    for (long i = 0; i < count; ++i) {
      try {
        if (failed.load() || (keep_going && !keep_going())) continue;
        const long u = units[i];
        UnitResult unit = new_unit_result(plan);
        BlockObserver observer(plan, unit);
        for (long k = layout.first(u); k < layout.end(u); ++k) {
          if (plan.options.stop && plan.options.stop->load(std::memory_order_relaxed))
            throw Interrupted("run interrupted before all trajectories finished");
          Rng rng = trajectory_rng(plan.options.seed, static_cast<std::uint64_t>(k));
          const InitialState init = sample_initial_state(plan.model, rng);
          observer.begin_trajectory(k);
          run_trajectory(plan.model, init, plan.grid, rng, observer, state, scratch,
                         plan.options.stop);
          const long finished = ++finished_trajectories;
          if (progress && omp_get_thread_num() == 0) progress(finished, layout.trajectories);
        }
        observer.flush();
        unit.trajectories = layout.end(u) - layout.first(u);
        // An exception must not leave a critical region: catch it inside, rethrow outside.
        std::exception_ptr done_failure;
#pragma omp critical(darkcharge_unit_done)
        {
          try {
            done(u, std::move(unit));
          } catch (...) {
            done_failure = std::current_exception();
          }
        }
        if (done_failure) std::rethrow_exception(done_failure);
      } catch (...) {
#pragma omp critical(darkcharge_failure)
        if (!failure) failure = std::current_exception();
        failed = true;
      }
    }
  }
  if (failure) std::rethrow_exception(failure);
}

}  // namespace darkcharge
