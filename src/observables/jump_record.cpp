// The jump records (time, channel, M after the jump) of trajectories 0 .. K-1, for users who
// analyse records themselves (EnsembleOptions::record_trajectories).
#include <algorithm>
#include <memory>

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
  void load(ByteReader& in) override {
    const auto size = in.get<std::uint64_t>();
    if (size > in.remaining()) throw InvalidArgument("work-unit data: bad jump record");
    for (std::uint64_t i = 0; i < size; ++i) {
      EnsembleResult::RecordedJump j;
      j.trajectory = in.get<std::int64_t>();
      j.jump.time = in.get<double>();
      j.jump.channel = in.get<std::int32_t>() == 0 ? Jump::kEmission : Jump::kAbsorption;
      j.jump.m_after = in.get<double>();
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
