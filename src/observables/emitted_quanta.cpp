// N_em: mean number of quanta emitted into the reservoir since t = 0 (J^- jumps of a
// trajectory, averaged; physics.md).
#include <memory>

#include "darkcharge/ensemble.hpp"
#include "darkcharge/observable.hpp"

namespace darkcharge {

std::unique_ptr<Observable> make_emitted_quanta(const ObservableContext&) {
  return std::make_unique<MeanObservable>("N_em",
                                          [](const Sample& s) { return double(s.emitted()); });
}

}  // namespace darkcharge
