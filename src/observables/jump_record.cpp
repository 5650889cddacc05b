// The jump records (time, channel, M after the jump) of trajectories 0 .. K-1, for users who
// analyse records themselves (EnsembleOptions::record_trajectories).
#include <memory>

#include "darkcharge/ensemble.hpp"
#include "darkcharge/observable.hpp"

namespace darkcharge {
namespace {

struct JumpRecord : BlockRecord {
  explicit JumpRecord(long keep) : keep(keep) {}
  void observe(int, int, const Sample&) override {}
  void begin_trajectory(long k) override { current = k; }
  bool wants_jumps() const override { return current < keep; }
  void jumped(const Jump& jump) override { jumps.push_back({current, jump}); }
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
    for (int b = 0; b < sums.blocks(); ++b) {  // blocks hold consecutive trajectories
      const auto& jumps = static_cast<const JumpRecord*>(sums.record(b))->jumps;
      out.result.jumps.insert(out.result.jumps.end(), jumps.begin(), jumps.end());
    }
  }

 private:
  long keep_;
};

}  // namespace

std::unique_ptr<Observable> make_jump_record(const ObservableContext& context) {
  return std::make_unique<JumpRecords>(context.options.record_trajectories);
}

}  // namespace darkcharge
