// W_open = E_B - E_B^th with E_B^th = nbar/(2 nbar + 1) (paper Eq. 8): a shift of E_B, with
// the same standard error. It samples E_B's value (the runner sums it once for both).
#include <memory>

#include "darkcharge/run/ensemble_result.hpp"
#include "darkcharge/run/observable.hpp"

namespace darkcharge {
namespace {

class OpenWork : public MeanObservable {
 public:
  OpenWork()
      : MeanObservable("W_open", battery_energy_per_spin, unit_range) {}

  void estimate(const BlockSums& sums, Estimates& out) const override {
    Column open = sums.linear_column("W_open", 0, unit_range(sums.model()));
    for (double& v : open.value) v -= sums.model().thermal_up_probability();
    out.result.series.columns.push_back(std::move(open));
  }
};

}  // namespace

std::unique_ptr<Observable> make_open_work(const ObservableContext&) {
  return std::make_unique<OpenWork>();
}

}  // namespace darkcharge
