// N_abs: mean number of quanta absorbed from the reservoir since t = 0 (J^+ jumps of a
// trajectory, averaged; physics.md).
#include <memory>

#include "darkcharge/ensemble.hpp"
#include "darkcharge/observable.hpp"

namespace darkcharge {

std::unique_ptr<Observable> make_absorbed_quanta(const ObservableContext&) {
  return std::make_unique<MeanObservable>("N_abs",
                                          [](const Sample& s) { return double(s.absorbed()); });
}

}  // namespace darkcharge
