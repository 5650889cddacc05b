// The output columns of the coupled-basis exact solver, computed from the snapshots of
// expectation values and battery spectra taken at each grid time (either propagation path).
#include <cmath>
#include <limits>
#include <utility>

#include "darkcharge/estimate/curve_features.hpp"
#include "exact/coupled_exact_internal.hpp"

namespace darkcharge::coupled_exact {

TimeSeries to_series(const Model& model, const TimeGrid& grid, const std::vector<Snapshot>& s,
                     const CoupledExactOptions& options) {
  const bool nonlinear = options.nonlinear;
  TimeSeries out;
  const int n = grid.points;
  for (int g = 0; g < n; ++g) out.time.push_back(grid.time(g));
  const std::vector<double> zero(n, 0.0);
  auto column = [&](const char* name, std::vector<double> v) {
    out.columns.push_back({name, std::move(v), zero, "exact", ""});
  };
  std::vector<double> eb(n), ec(n), pb(n), open(n), dark(n);
  for (int g = 0; g < n; ++g) {
    eb[g] = s[g].jz_battery / model.n_battery + 0.5;
    ec[g] = (s[g].jz_total - s[g].jz_battery) / model.n_charger + 0.5;
    pb[g] = s[g].power / model.n_battery;
    open[g] = eb[g] - model.thermal_up_probability();
    dark[g] = s[g].dark;
  }
  column("E_B", eb);
  column("E_C", ec);
  column("P_B", pb);
  column("W_open", open);
  column("dark", dark);
  // Linear in rho and cheap: computed even without `nonlinear`, last (as solve_exact()).
  auto add_jump_statistics = [&] {
    std::vector<double> sigma(n), emission(n), absorption(n);
    for (int g = 0; g < n; ++g) {
      // A variance within the roundoff of <(J_B^z)^2> is zero (a sharp battery energy, e.g.
      // at t = 0): its square root would turn 1e-16 noise into 1e-8.
      double var = s[g].jz_battery_squared - s[g].jz_battery * s[g].jz_battery;
      if (var <= 1e-13 * s[g].jz_battery_squared) var = 0;
      sigma[g] = std::sqrt(var) / model.n_battery;
      emission[g] = model.emission_rate() * s[g].emission;
      absorption[g] = model.absorption_rate() * s[g].absorption;
    }
    column("sigma_B", sigma);
    column("I_em", emission);
    column("I_abs", absorption);
  };
  if (!nonlinear) {
    add_jump_statistics();
    return out;
  }
  std::vector<double> w(n), w_sym(n), s_b(n);
  for (int g = 0; g < n; ++g) {
    w[g] = ergotropy(s[g].battery_spectrum, s[g].jz_battery, model.n_battery);
    w_sym[g] = ergotropy_symmetric(s[g].battery_spectrum, s[g].jz_battery, model.n_battery);
    s_b[g] = options.negativity ? std::log2(s[g].trace_norm)
                                : std::numeric_limits<double>::quiet_NaN();
  }
  column("W_B", w);
  column("W_B_sym", w_sym);
  column("S_B", s_b);
  column("dS_B_dt", time_derivative(s_b, grid));
  if (!options.negativity)
    for (auto* c : {&out.columns[out.columns.size() - 2], &out.columns.back()})
      c->note = "not computed (CoupledExactOptions::negativity off)";
  add_jump_statistics();
  return out;
}

}  // namespace darkcharge::coupled_exact
