// E_B: battery energy per spin, <J_B^z>/N_B + 1/2 (physics.md; paper Eq. 6).
#include <memory>

#include "darkcharge/run/ensemble_result.hpp"
#include "darkcharge/run/observable.hpp"

namespace darkcharge {

std::unique_ptr<Observable> make_battery_energy(const ObservableContext&) {
  return std::make_unique<MeanObservable>("E_B", battery_energy_per_spin, unit_range);
}

}  // namespace darkcharge
