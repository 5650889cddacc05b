// sigma_B: the battery energy's standard deviation per spin (charging precision),
// sqrt(<(J_B^z)^2> - <J_B^z>^2) / N_B of the averaged state (physics.md). Both moments are
// linear in rho, so each trajectory contributes its two quantum expectations; the square
// root of their difference is nonlinear but smooth wherever the variance is not 0 (bias
// O(1/n)): delete-one-block jackknife, no root-n correction. Where the variance is exactly
// 0 (the ground start) every replicate gives 0. A standard deviation is >= 0: clamped at 0
// (bounded_estimate.hpp) where the bias correction undershoots. Its error is at least the
// rare-event floor of a standard deviation (rare_event_floor.hpp), judged from the values seen
// (each trajectory's own variance and <J_B^z>) where both have a spread.
#include <cmath>
#include <vector>
#include <memory>

#include "darkcharge/estimate/bounded_estimate.hpp"
#include "darkcharge/run/ensemble_result.hpp"
#include "darkcharge/run/observable.hpp"
#include "darkcharge/estimate/rare_event_floor.hpp"

namespace darkcharge {
namespace {

class EnergySpread : public Observable {
 public:
  int sample_width() const override { return 3; }
  void sample(const Sample& s, double* out) const override {
    out[0] = s.linear().battery_jz;
    out[1] = s.battery_jz_squared();
    // The trajectory's own variance: only its largest value and tail are used (the floor).
    out[2] = std::fmax(0.0, out[1] - out[0] * out[0]);
  }
  void estimate(const BlockSums& sums, Estimates& out) const override {
    Column spread =
        sums.jackknife_column("sigma_B", 2, [](const double* m, const Model& model) {
          // A variance of rho is >= 0; clamp the rounding of a vanishing one.
          return std::sqrt(std::fmax(0.0, m[1] - m[0] * m[0])) / model.n_battery;
        });
    enforce_lower_bound(spread);
    std::vector<double> floor;
    // Judged from the sample only at nbar > 0 (nothing absorbs; BlockSums::linear_column).
    for (int g = 0; g < sums.grid().points; ++g)
      floor.push_back(sums.model().nbar == 0.0
                          ? energy_spread_floor(spread.value[g], sums.trajectories())
                          : energy_spread_floor(spread.value[g], sums.trajectories(),
                                                sums.tail(2, g), sums.tail(0, g),
                                                sums.model().n_battery));
    apply_floor(spread, floor);
    out.result.series.columns.push_back(std::move(spread));
  }
};

}  // namespace

std::unique_ptr<Observable> make_energy_spread(const ObservableContext&) {
  return std::make_unique<EnergySpread>();
}

}  // namespace darkcharge
