#include "darkcharge/exact/reduced_dicke_solver.hpp"

#include "exact/krylov_exponential.hpp"
#include "exact/reduced_dicke_internal.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include <Eigen/Dense>
#include <Eigen/SparseCore>
#include <Eigen/SparseLU>
#include <fmt/format.h>
#include <unsupported/Eigen/MatrixFunctions>
#include <omp.h>

#include "darkcharge/physics/angular_momentum.hpp"
#include "darkcharge/physics/clebsch_gordan_recursion.hpp"
#include "darkcharge/estimate/curve_features.hpp"
#include "darkcharge/physics/ergotropy.hpp"
#include "darkcharge/core/errors.hpp"
#include "darkcharge/physics/initial_state.hpp"

namespace darkcharge {
using namespace reduced_dicke;
namespace {

/// Largest rate of the generator, ~ the negative eigenvalue that limits an explicit step.
double stiffness(const Model& model, const LocalNoise& noise) {
  const double j = 0.5 * (model.n_battery + model.n_charger);
  auto local = [](const LocalRates& r, int n) { return (r.decay + r.pumping + r.dephasing) * n; };
  return 2 * model.gamma * (2 * model.nbar + 1) * (j * (j + 1) + 0.25) +
         local(noise.charger, model.n_charger) + local(noise.battery, model.n_battery);
}

void check_cost(const Model& model, const LocalNoise& noise, const TimeGrid& grid,
                const ReducedDickeOptions& options) {
  const ReducedDickeCost cost = estimate_reduced_dicke_cost(model, noise, grid, options);
  refuse_beyond_limits(cost,
                       fmt::format("exact solver with local noise (reduced Dicke basis): N_B = {}, N_C = {}, {}",
                                   model.n_battery, model.n_charger, cost.size),
                       options);
}

}  // namespace

void reduced_dicke::refuse_beyond_limits(const ReducedDickeCost& cost, const std::string& what,
                                         const ReducedDickeOptions& options) {
  if (cost.memory_gib > options.max_memory_gib)
    throw InvalidArgument(fmt::format("{} needs an estimated {:.3g} GiB, more than max_memory_gib = {:.3g}",
                                      what, cost.memory_gib, options.max_memory_gib));
  if (cost.seconds > options.max_seconds)
    throw InvalidArgument(fmt::format("{} needs an estimated {:.3g} s, more than max_seconds = {:.3g}",
                                      what, cost.seconds, options.max_seconds));
}

ReducedDickeCost estimate_reduced_dicke_cost(const Model& model, const LocalNoise& noise,
                                             const TimeGrid& grid, const ReducedDickeOptions& options) {
  validate(model);
  validate(noise);
  validate(grid);
  check_positive("ReducedDickeOptions::relative_tolerance", options.relative_tolerance);
  check_non_negative("ReducedDickeOptions::absolute_tolerance", options.absolute_tolerance);
  // Sizes from the layout's formulas without building it (cheap even when refused).
  const bool charger_spread = noise.charger.any();
  const bool battery_spread = noise.battery.any() || initial_mixture(model).size() > 1;
  double numbers = 0, sectors = 0, widest = 0;
  for (int ic = 0; ic <= (charger_spread ? model.n_charger / 2 : 0); ++ic)
    for (int ib = 0; ib <= (battery_spread ? model.n_battery / 2 : 0); ++ib) {
      const double jc = model.j_charger() - ic, jb = model.j_battery() - ib;
      const double lo = std::min(jc, jb), hi = std::max(jc, jb), w = 2 * lo + 1;
      // sum_M n(M)^2: width w over 2(hi - lo) + 1 values of M, tapering at both ends.
      numbers += (2 * (hi - lo) + 1) * w * w + 2 * (w - 1) * w * (2 * w - 1) / 6;
      sectors += 1;
      widest = std::max(widest, w);
    }
  int channels = 5 + 8;
  for (const LocalRates* r : {&noise.charger, &noise.battery})
    for (LocalChannel c : kLocalChannels) channels += channel_rate(*r, c) > 0 ? 3 : 0;
  ReducedDickeCost cost;
  cost.numbers = numbers;
  cost.entries = numbers * channels;
  // Krylov exponential on the packed state (half the numbers and entries): measured ~0.7
  // generator products per unit of t times the largest rate (N_B = 10, N_C = 40: 1760; 20/60:
  // 3180), a property of the generator's spectrum, not of the subspace dimension.
  const double rate = stiffness(model, noise);
  // Each output time also restarts the exponential (a fresh Krylov basis and its error
  // control): measured (one thread, local decay 0.1, t_max 2) 1.4 ms per output time at
  // N_B = 2, N_C = 10, 4.3 ms at N_B = 6, N_C = 12, 8 ms at N_B = 10, N_C = 20 -- ~80 generator
  // products each at the first two, ~20 at the third: 40 (20-50x the estimate without it).
  cost.steps = 20 + 0.7 * grid.t_max * rate + 40.0 * grid.points;  // generator products
  // Per product: the packed sparse product (entries / 2) and Gram-Schmidt against ~10 basis
  // vectors of numbers / 2, once or twice; per output point, the observables.
  const double basis_bytes = 8.0 * (kKrylovDimension + 1) * numbers / 2;
  const double matrix_bytes = 12 * cost.entries / 2;
  const double touched = cost.steps * (cost.entries / 2 + 20 * numbers / 2) + grid.points * numbers * (widest + 20);
  // Streams from memory once the matrix and the basis outgrow the caches (~32 MiB).
  const double streamed = std::min(1.0, (matrix_bytes + basis_bytes) / (256.0 * 1024 * 1024));
  const double cpu = touched * (kSecondsPerTouchCached + streamed * (kSecondsPerTouchStreamed - kSecondsPerTouchCached));
  cost.seconds = cpu * kWallPerCpuSecond;
  // Peak: while the generator is assembled its rows exist twice; afterwards the matrix, the
  // basis and a few full states.
  const double assembly = 2 * matrix_bytes, stepping = matrix_bytes + basis_bytes + 8 * 6 * numbers;
  cost.memory_gib = (std::max(assembly, stepping) + 30e6) / kGiB;
  cost.size = fmt::format("{} sectors, {:.3g} stored numbers, {:.3g} generator entries, ~{:.3g} generator products",
                          sectors, numbers, cost.entries, cost.steps);
  return cost;
}

std::vector<std::string> reduced_dicke_columns(const Model& model, const LocalNoise&) {
  std::vector<std::string> names = {"E_B", "E_C", "P_B", "W_open", "dark", "W_B", "W_B_sym",
                                    "S_B", "dS_B_dt", "sigma_B", "I_em", "I_abs", "I_loc_em_C",
                                    "I_loc_abs_C", "I_loc_em_B", "I_loc_abs_B"};
  for (int i = 0; i <= model.n_battery / 2; ++i) names.push_back(sector_name(model.j_battery() - i));
  return names;
}

void validate_reduced_dicke_columns(const Model& model, const LocalNoise& noise,
                                    const std::vector<std::string>& names) {
  const std::vector<std::string> known = reduced_dicke_columns(model, noise);
  for (const std::string& name : names) {
    if (std::find(known.begin(), known.end(), name) != known.end()) continue;
    if (name == "N_em" || name == "N_abs" || name == "F_em")
      throw InvalidArgument(fmt::format(
          "column '{}' is not provided by the exact solver with local noise: it is a statistic "
          "of the collective jump record, not of rho (use the trajectory engine)", name));
    throw InvalidArgument(fmt::format("unknown column '{}' for the exact solver with local noise", name));
  }
}

TimeSeries solve_exact_local(const Model& model, const LocalNoise& noise, const TimeGrid& grid,
                             const ReducedDickeOptions& options, const ProgressCallback& progress) {
  check_cost(model, noise, grid, options);
  const Layout layout(model, noise);
  // The state is integrated packed (lower triangles of the symmetric blocks: half the work).
  const SparseGenerator generator = build_generator(layout, noise, true);
  Eigen::VectorXd p = pack(layout, initial_state(layout)), dp, x, dx;
  std::vector<Snapshot> snapshots;
  std::vector<double> time;
  auto record = [&](int g, const Eigen::VectorXd& state) {
    generator.apply(state, dp);
    unpack(layout, state, x);
    unpack(layout, dp, dx);
    snapshots.push_back(observe(layout, x, dx));
    time.push_back(grid.time(g));
    if (progress) progress(g + 1, grid.points);
  };
  record(0, p);
  if (grid.points > 1) {
    std::vector<double> times;
    for (int g = 0; g < grid.points; ++g) times.push_back(grid.time(g));
    KrylovExponential integrator(generator, options, kKrylovDimension);
    integrator.advance(p, times, record);
  }
  return to_series(model, noise, time, snapshots, &grid);
}

TimeSeries solve_steady_local(const Model& model, const LocalNoise& noise,
                              const ReducedDickeOptions& options) {
  validate(model);
  validate(noise);
  const bool relaxing = noise.charger.decay + noise.charger.pumping + noise.battery.decay +
                            noise.battery.pumping > 0;
  // Without local noise on the battery, the weight of each initially populated j_B is conserved.
  const bool battery_sectors_conserved = !noise.battery.any() && initial_mixture(model).size() > 1;
  if (battery_sectors_conserved)
    throw InvalidArgument(
        "steady state with local noise: the thermal battery's j_B sector weights are conserved "
        "without local battery noise, so the stationary state depends on the initial state; "
        "evolve to long times instead (darkcharge exact, solve_exact_local)");
  if (!relaxing)
    throw InvalidArgument(
        "steady state with local noise: without local decay or pumping (collective jumps and "
        "dephasing only) the stationary state is not unique (it depends on the initial state "
        "through conserved quantities); evolve to long times instead (darkcharge exact, solve_exact_local)");
  TimeGrid grid{1.0, 2};
  check_cost(model, noise, grid, options);
  const Layout layout(model, noise);
  const SparseGenerator generator = build_generator(layout, noise);
  // L x = 0 with the trace fixed: replace the first diagonal row by the trace condition.
  const long n = layout.size();
  std::vector<Eigen::Triplet<double>> triplets;
  triplets.reserve(generator.value.size() + layout.blocks().size() * 8);
  const long trace_row = 0;
  for (long r = 0; r < n; ++r) {
    if (r == trace_row) continue;
    for (long k = generator.start[r]; k < generator.start[r + 1]; ++k)
      triplets.emplace_back(r, generator.column[k], generator.value[k]);
  }
  for (const Block& b : layout.blocks())
    for (int i = 0; i < b.n; ++i) triplets.emplace_back(trace_row, b.offset + i + long(i) * b.n, 1.0);
  Eigen::SparseMatrix<double> a(n, n);
  a.setFromTriplets(triplets.begin(), triplets.end());
  Eigen::SparseLU<Eigen::SparseMatrix<double>> lu;
  lu.compute(a);
  if (lu.info() != Eigen::Success)
    throw NumericalError("steady state with local noise: the generator's LU failed (stationary state not unique?)");
  Eigen::VectorXd rhs = Eigen::VectorXd::Zero(n);
  rhs[trace_row] = 1.0;
  Eigen::VectorXd x = lu.solve(rhs), dx;
  // Stored blocks are full matrices: symmetrise away the solver's rounding asymmetry.
  for (const Block& b : layout.blocks()) {
    Eigen::Map<Eigen::MatrixXd> r(x.data() + b.offset, b.n, b.n);
    r = (0.5 * (r + r.transpose())).eval();
  }
  generator.apply(x, dx);
  const double residual = dx.cwiseAbs().maxCoeff();
  if (!(residual < 1e-8))
    throw NumericalError(fmt::format("steady state with local noise: residual |L rho| = {:.3g}", residual));
  std::vector<Snapshot> snapshots{observe(layout, x, dx)};
  snapshots[0].power = 0;
  return to_series(model, noise, {std::numeric_limits<double>::infinity()}, snapshots, nullptr);
}

}  // namespace darkcharge
