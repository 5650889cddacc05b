#pragma once
// Small helpers shared by the tests.
#include "darkcharge/physics/model.hpp"

namespace darkcharge::testing {

inline Model make_model(int nb, int nc, double nbar, BatteryInit init, double omega = 1.0,
                        double gamma = 1.0) {
  Model m;
  m.n_battery = nb;
  m.n_charger = nc;
  m.nbar = nbar;
  m.battery_init = init;
  m.omega = omega;
  m.gamma = gamma;
  return m;
}

}  // namespace darkcharge::testing
