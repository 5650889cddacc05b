// E_C: charger energy per spin, <J_C^z>/N_C + 1/2 with J_C^z = M - J_B^z (paper Eq. 6).
#include <memory>

#include "darkcharge/run/ensemble_result.hpp"
#include "darkcharge/run/observable.hpp"

namespace darkcharge {

std::unique_ptr<Observable> make_charger_energy(const ObservableContext&) {
  return std::make_unique<MeanObservable>("E_C", [](const Sample& s) {
    return (s.state().total_m() - s.linear().battery_jz) / s.model().n_charger + 0.5;
  }, unit_range);
}

}  // namespace darkcharge
