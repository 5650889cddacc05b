// dark: population of the dark states |J, -J> other than the collective ground (physics.md).
#include <memory>

#include "darkcharge/ensemble.hpp"
#include "darkcharge/observable.hpp"

namespace darkcharge {

std::unique_ptr<Observable> make_dark_population(const ObservableContext&) {
  return std::make_unique<MeanObservable>("dark", [](const Sample& s) { return s.linear().dark; });
}

}  // namespace darkcharge
