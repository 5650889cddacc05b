// dark: population of the dark states |J, -J> other than the collective ground (physics.md).
#include <memory>

#include "darkcharge/run/ensemble_result.hpp"
#include "darkcharge/run/observable.hpp"

namespace darkcharge {

std::unique_ptr<Observable> make_dark_population(const ObservableContext&) {
  return std::make_unique<MeanObservable>("dark", [](const Sample& s) { return s.linear().dark; },
                                          unit_range);
}

}  // namespace darkcharge
