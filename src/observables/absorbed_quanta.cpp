// N_abs: mean number of quanta absorbed from the reservoir since t = 0 (J^+ jumps of a
// trajectory, averaged; physics.md).
#include <memory>

#include "darkcharge/run/ensemble_result.hpp"
#include "darkcharge/run/observable.hpp"
#include "darkcharge/estimate/rare_event_floor.hpp"

namespace darkcharge {

std::unique_ptr<Observable> make_absorbed_quanta(const ObservableContext&) {
  return std::make_unique<MeanObservable>("N_abs",
                                          [](const Sample& s) { return double(s.absorbed()); },
                                          absorbed_quanta_range);
}

}  // namespace darkcharge
