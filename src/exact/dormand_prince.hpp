#pragma once
// Adaptive Dormand-Prince 5(4) integrator for dy/dt = f(y) on Eigen matrices (internal).
#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "darkcharge/core/errors.hpp"

namespace darkcharge::detail {

struct DormandPrince {
  double relative_tolerance = 1e-10;
  double absolute_tolerance = 1e-12;
  double step = 1e-3;  // carried over between calls

  /// Advances y from t0 to t1 (> t0) in adaptive steps that land exactly on t1.
  template <class State, class Rhs>
  void advance(State& y, double t0, double t1, const Rhs& f) {
    static constexpr double c2 = 1. / 5, c3 = 3. / 10, c4 = 4. / 5, c5 = 8. / 9;
    static constexpr double a21 = 1. / 5, a31 = 3. / 40, a32 = 9. / 40, a41 = 44. / 45,
                            a42 = -56. / 15, a43 = 32. / 9, a51 = 19372. / 6561,
                            a52 = -25360. / 2187, a53 = 64448. / 6561, a54 = -212. / 729,
                            a61 = 9017. / 3168, a62 = -355. / 33, a63 = 46732. / 5247,
                            a64 = 49. / 176, a65 = -5103. / 18656, a71 = 35. / 384,
                            a73 = 500. / 1113, a74 = 125. / 192, a75 = -2187. / 6784,
                            a76 = 11. / 84;
    static constexpr double e1 = 71. / 57600, e3 = -71. / 16695, e4 = 71. / 1920,
                            e5 = -17253. / 339200, e6 = 22. / 525, e7 = -1. / 40;
    (void)c2; (void)c3; (void)c4; (void)c5;  // autonomous system: stage times unused
    double t = t0;
    int steps = 0;
    while (t < t1) {
      const double h = std::min(step, t1 - t);
      const State k1 = f(y);
      const State k2 = f(y + h * a21 * k1);
      const State k3 = f(y + h * (a31 * k1 + a32 * k2));
      const State k4 = f(y + h * (a41 * k1 + a42 * k2 + a43 * k3));
      const State k5 = f(y + h * (a51 * k1 + a52 * k2 + a53 * k3 + a54 * k4));
      const State k6 = f(y + h * (a61 * k1 + a62 * k2 + a63 * k3 + a64 * k4 + a65 * k5));
      const State y_new = y + h * (a71 * k1 + a73 * k3 + a74 * k4 + a75 * k5 + a76 * k6);
      const State k7 = f(y_new);
      const State error = h * (e1 * k1 + e3 * k3 + e4 * k4 + e5 * k5 + e6 * k6 + e7 * k7);
      const double scale =
          absolute_tolerance + relative_tolerance * std::max(y.cwiseAbs().maxCoeff(),
                                                             y_new.cwiseAbs().maxCoeff());
      const double err = error.cwiseAbs().maxCoeff() / scale;
      if (!std::isfinite(err))
        throw NumericalError(fmt::format("exact solver: non-finite error estimate at t = {}", t));
      const bool truncated = h < step;  // shortened to land on t1: says little about step
      if (err <= 1.0) {
        t = (h == t1 - t) ? t1 : t + h;
        y = y_new;
      }
      const double factor = err == 0 ? 5.0 : std::clamp(0.9 * std::pow(err, -0.2), 0.2, 5.0);
      if (!truncated || err > 1.0) step = h * factor;
      if (++steps > 10000000)
        throw NumericalError(fmt::format("exact solver: step size collapsed at t = {}", t));
    }
  }
};

}  // namespace darkcharge::detail
