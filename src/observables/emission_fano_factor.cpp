// F_em: Fano factor of the emitted-quanta count, Var(n_em)/<n_em> over trajectories: a
// statistic of the jump record (photon counting), not of rho (physics.md). Each trajectory
// contributes n_em and n_em^2; the ratio is nonlinear but smooth where <n_em> > 0 (bias
// O(1/n)): delete-one-block jackknife, no root-n correction. NaN (0/0) before the first
// emission. A Fano factor is >= 0: clamped at 0 (bounded_estimate.hpp) where the bias
// correction undershoots. Its error is at least the rare-event floor of a variance
// (rare_event_floor.hpp): after the nbar = 0 burst the few lingering trajectories carry the
// whole spread, and a sample that missed them reported tight, wrong errors.
#include <algorithm>
#include <cmath>
#include <vector>
#include <memory>

#include "darkcharge/estimate/bounded_estimate.hpp"
#include "darkcharge/run/ensemble_result.hpp"
#include "darkcharge/run/observable.hpp"
#include "darkcharge/estimate/rare_event_floor.hpp"

namespace darkcharge {
namespace {

class EmissionFanoFactor : public Observable {
 public:
  int sample_width() const override { return 2; }
  void sample(const Sample& s, double* out) const override {
    const double n = double(s.emitted());
    out[0] = n;
    out[1] = n * n;
  }
  void estimate(const BlockSums& sums, Estimates& out) const override {
    Column fano = sums.jackknife_column("F_em", 2, [](const double* m, const Model&) {
      return m[0] > 0 ? (m[1] - m[0] * m[0]) / m[0] : std::nan("");
    });
    enforce_lower_bound(fano);
    const double range = emitted_quanta_range(sums.model());
    if (std::isfinite(range)) {
      const Column count = sums.mean_column("", 0), square = sums.mean_column("", 1);
      std::vector<double> floor;
      for (std::size_t g = 0; g < count.value.size(); ++g) {
        const double m = count.value[g];
        floor.push_back(fano_factor_floor(m, std::max(0.0, square.value[g] - m * m), range,
                                          sums.trajectories()));
      }
      apply_floor(fano, floor);
    } else {
      fano.note += std::string(fano.note.empty() ? "" : " ") +
                   "No rare-event floor: the count is unbounded at nbar > 0.";
    }
    out.result.series.columns.push_back(std::move(fano));
  }
};

}  // namespace

std::unique_ptr<Observable> make_emission_fano_factor(const ObservableContext&) {
  return std::make_unique<EmissionFanoFactor>();
}

}  // namespace darkcharge
