// I_abs: absorption current, the expected number of J^+ jumps per unit time,
// 2 gamma nbar <J^-J^+>. J^-J^+ is diagonal in the coupled basis:
// b_J(M) = J(J+1) - M(M+1) = |<J, M+1|J^+|J, M>|^2 (physics.md, "Facts").
#include <memory>

#include "darkcharge/physics/angular_momentum.hpp"
#include "darkcharge/run/ensemble_result.hpp"
#include "darkcharge/run/observable.hpp"
#include "darkcharge/estimate/rare_event_floor.hpp"

namespace darkcharge {

std::unique_ptr<Observable> make_absorption_current(const ObservableContext&) {
  return std::make_unique<MeanObservable>("I_abs", [](const Sample& s) {
    const CoupledState& st = s.state();
    const double* c = s.snapshot().c;
    double sum = 0;
    for (int k = st.active_begin(); k < st.active_end(); ++k)
      sum += c[k] * c[k] * raising_squared(st.j_of(k), st.total_m());
    return s.model().absorption_rate() * sum / s.snapshot().norm2;
  }, [](const Model& m) { return jump_current_range(m, m.absorption_rate()); });
}

}  // namespace darkcharge
