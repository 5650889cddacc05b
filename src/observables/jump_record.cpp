// The jump records (time, channel, M after the jump) of trajectories 0 .. K-1, for users who
// analyse records themselves (EnsembleOptions::record_trajectories).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>

#include <fmt/format.h>

#include "darkcharge/run/ensemble_result.hpp"
#include "darkcharge/run/observable.hpp"

namespace darkcharge {
namespace {

struct JumpRecord : BlockRecord {
  explicit JumpRecord(long keep) : keep(keep) {}
  void observe(int, int, const Sample&) override {}
  void begin_trajectory(long k) override { current = k; }
  bool wants_jumps() const override { return current < keep; }
  void jumped(const Jump& jump) override { jumps.push_back({current, jump}); }
  void merge(const BlockRecord& next) override {
    const auto& other = static_cast<const JumpRecord&>(next).jumps;
    jumps.insert(jumps.end(), other.begin(), other.end());
  }
  void save(ByteWriter& out) const override {
    out.put<std::uint64_t>(jumps.size());
    for (const auto& j : jumps) {
      out.put<std::int64_t>(j.trajectory);
      out.put(j.jump.time);
      out.put<std::int32_t>(j.jump.channel);
      out.put(j.jump.m_after);
    }
  }
  void load(ByteReader& in, const UnitBounds& unit) override {
    constexpr std::size_t kJumpBytes = 8 + 8 + 4 + 8;
    const auto size = in.get_count("jump record: jump count", in.remaining() / kJumpBytes);
    // Jumps of the unit's trajectories below `keep`, in trajectory order.
    const long end = std::min(unit.first + unit.trajectories, keep);
    long previous = unit.first;
    for (std::uint64_t i = 0; i < size; ++i) {
      EnsembleResult::RecordedJump j;
      j.trajectory = in.get<std::int64_t>();
      j.jump.time = in.get<double>();
      const auto channel = in.get<std::int32_t>();
      j.jump.m_after = in.get<double>();
      if (j.trajectory < previous || j.trajectory >= end)
        throw InvalidArgument(fmt::format("work-unit data: jump record: trajectory {} is not a "
                                          "recorded trajectory of this unit (or out of order)",
                                          j.trajectory));
      if (!(j.jump.time >= 0) || !std::isfinite(j.jump.time) || !std::isfinite(j.jump.m_after) ||
          (channel != Jump::kEmission && channel != Jump::kAbsorption))
        throw InvalidArgument("work-unit data: jump record: bad time, channel or M");
      previous = j.trajectory;
      j.jump.channel = static_cast<Jump::Channel>(channel);
      jumps.push_back(j);
    }
  }
  long keep, current = 0;
  std::vector<EnsembleResult::RecordedJump> jumps;
};

class JumpRecords : public Observable {
 public:
  explicit JumpRecords(long keep) : keep_(keep) {}
  std::unique_ptr<BlockRecord> new_record() const override {
    return std::make_unique<JumpRecord>(keep_);
  }
  void estimate(const BlockSums& sums, Estimates& out) const override {
    auto& all = out.result.jumps;
    for (int b = 0; b < sums.blocks(); ++b) {
      const auto& jumps = static_cast<const JumpRecord*>(sums.record(b))->jumps;
      all.insert(all.end(), jumps.begin(), jumps.end());
    }
    // Blocks interleave work units: order by trajectory (stable: each keeps its time order).
    std::stable_sort(all.begin(), all.end(), [](const auto& a, const auto& b) {
      return a.trajectory < b.trajectory;
    });
  }

 private:
  long keep_;
};

}  // namespace

std::unique_ptr<Observable> make_jump_record(const ObservableContext& context) {
  return std::make_unique<JumpRecords>(context.options.record_trajectories);
}

}  // namespace darkcharge
