// N_em: mean number of quanta emitted into the reservoir since t = 0 (J^- jumps of a
// trajectory, averaged; physics.md).
#include <memory>

#include "darkcharge/run/ensemble_result.hpp"
#include "darkcharge/run/observable.hpp"
#include "darkcharge/estimate/rare_event_floor.hpp"

namespace darkcharge {

std::unique_ptr<Observable> make_emitted_quanta(const ObservableContext&) {
  return std::make_unique<MeanObservable>("N_em",
                                          [](const Sample& s) { return double(s.emitted()); },
                                          emitted_quanta_range);
}

}  // namespace darkcharge
