// The resource estimate of steady: see resource_terms.hpp.
#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "darkcharge/core/errors.hpp"
#include "darkcharge/ensemble/column_selection.hpp"
#include "darkcharge/exact/steady_state.hpp"
#include "ensemble/resource_terms.hpp"

namespace darkcharge {
namespace resource_terms {
namespace {

// steady, per temperature row (CLI, 1e5 rows, N_B = 2, N_C = 10, one thread): 0.52 s CPU and
// 46 MB with E_B alone, 3.0 s and 110 MB with every column -- the closed form's fixed work
// per row, and with W_B, W_B_sym, S_B a product-basis density matrix per row (map nodes,
// spectra), both beyond the Clebsch-Gordan terms; memory ~ 460 B (E_B) to 1.1 KB (all) a
// row: the columns, the CSV text held twice, the JSON values and the parsed argument.
constexpr double kSecondsPerSteadyRow = 4e-6;
constexpr double kSecondsPerSteadyNonlinearRow = 2.5e-5;
constexpr double kSteadyBytesPerRow = 256;
constexpr double kSteadyBytesPerValue = 64;
}  // namespace

ResourceEstimate steady_estimate(const RunRequest& o) {
  const Model m = steady_worst_model(o);
  const double rows = std::max<double>(1, o.temperatures.size() + o.nbar_values.size());
  ResourceEstimate r;
  double coefficients = 0, table = 0;
  for (const auto& s : populated_sectors(m)) {
    coefficients += (2 * s.j_battery + 1) * s.width;  // levels x coupled J per level
    table += s.table_size;
    r.bytes += s.width * kMapNodeBytes;                // conserved populations p_{j_B, J}
  }
  r.bytes += thermal_levels(populated_sectors(m)) * 24;
  // Each row evaluates the closed form three times (value and the two sides of dE_B/dT);
  // W_B and S_B add the product-basis state, ~2 ns per n(M)^3 (measured: N_B = N_C = 300,
  // 8 s).
  r.cpu_seconds = rows * (3 * coefficients * kSecondsPerClebschGordan + kSecondsPerSteadyRow);
  const bool nonlinear = steady_nonlinear_computed(o);
  if (nonlinear) {
    double cubes = 0;
    for (const auto& s : populated_sectors(m)) cubes += s.cube_sum;
    r.cpu_seconds += rows * (cubes * 2 * kSecondsPerFlop + kSecondsPerSteadyNonlinearRow);
    r.bytes += 2 * table * 8;
  }
  // The table: T, nbar and each column's value and error per row.
  const double columns = o.observables.empty() ? static_cast<double>(steady_columns().size())
                                               : static_cast<double>(o.observables.size());
  r.bytes += rows * (kSteadyBytesPerRow + kSteadyBytesPerValue * (2 + 2 * columns));
  r.work = fmt::format("{:.2g} Clebsch-Gordan coefficients", rows * 3 * coefficients);
  return r;
}

/// The steady state's W_B, W_B_sym and S_B need product-basis tables; asked for explicitly
/// beyond the table limit they would only print nan, so the run is refused.
void check_steady_tables(const RunRequest& o) {
  if (!asks_for(o, {"W_B", "W_B_sym", "S_B"})) return;
  const double table = clebsch_gordan_table_doubles(steady_worst_model(o));
  const double limit = SteadyStateOptions{}.max_table_doubles;
  if (table > limit)
    throw InvalidArgument(fmt::format(
        "{}: steady-state W_B, W_B_sym and S_B need Clebsch-Gordan tables of {:.3g} "
        "doubles at N_B = {}, N_C = {} (limit {:.3g}); leave them out for this size",
        option_name("observables", o.names), table, o.model.n_battery, o.model.n_charger, limit));
}

}  // namespace resource_terms

using resource_terms::asks_for;
using resource_terms::populated_sectors;

double clebsch_gordan_table_doubles(const Model& model) {
  double table = 0;
  for (const auto& s : populated_sectors(model)) table += s.table_size;
  return table;
}

Model steady_worst_model(const RunRequest& o) {
  Model m = o.model;
  for (double t : o.temperatures) m.nbar = std::max(m.nbar, nbar_from_temperature(t, m.omega));
  for (double n : o.nbar_values) m.nbar = std::max(m.nbar, n);
  return m;
}

bool steady_nonlinear_computed(const RunRequest& o) {
  const bool wanted = o.observables.empty() || asks_for(o, {"W_B", "W_B_sym", "S_B"});
  return wanted && clebsch_gordan_table_doubles(steady_worst_model(o)) <=
                       SteadyStateOptions{}.max_table_doubles;
}

}  // namespace darkcharge
