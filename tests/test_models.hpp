#pragma once
// Small helpers shared by the tests.
#include "darkcharge/model.hpp"

namespace darkcharge::testing {

inline Model make_model(int nb, int nc, double nbar, BatteryInit init) {
  Model m;
  m.n_battery = nb;
  m.n_charger = nc;
  m.nbar = nbar;
  m.battery_init = init;
  return m;
}

}  // namespace darkcharge::testing
