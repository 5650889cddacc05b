// P_B: battery power per spin, dE_B/dt = <L^dag(J_B^z)>/N_B (paper Eq. 11), the mean of a
// linear operator, so no noisy derivative. Its delete-one-block curves feed the peak summary.
#include <memory>

#include "darkcharge/run/ensemble_result.hpp"
#include "darkcharge/run/observable.hpp"
#include "darkcharge/estimate/rare_event_floor.hpp"

namespace darkcharge {
namespace {

class BatteryPower : public MeanObservable {
 public:
  BatteryPower()
      : MeanObservable(
            "P_B", [](const Sample& s) { return s.linear().power / s.model().n_battery; },
            power_range) {}

  void estimate(const BlockSums& sums, Estimates& out) const override {
    Column power = sums.linear_column("P_B", 0, power_range(sums.model()));
    out.curves["P_B"] = {power.value, sums.leave_one_out_means(0, power.value)};
    out.result.series.columns.push_back(std::move(power));
  }
};

}  // namespace

std::unique_ptr<Observable> make_battery_power(const ObservableContext&) {
  return std::make_unique<BatteryPower>();
}

}  // namespace darkcharge
