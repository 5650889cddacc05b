// Sampling::cascade: the trajectory ensemble at nbar = 0 without sampling.
//
// At nbar = 0 the charger-battery state of a trajectory that has emitted k quanta is the same
// psi(M0 - k, t) whatever the jump times (zero_temperature_cascade.hpp), and the battery
// starts in its ground level (a thermal battery at nbar = 0 is the ground). So the average
// over infinitely many trajectories is sum_k P(k, t) |psi><psi|, with P the distribution of
// the emitted count, which one pure-death chain gives exactly. Conditioning every trajectory
// on its count (Rao-Blackwell) removes all sampling noise: the nonlinear columns (W_B, S_B,
// F_em) lose their n^-1/2 bias, and the rare lingering trajectories that carry late P_B and
// `dark` are integrated instead of missed. The coupled-basis exact solver evaluates rho's
// columns; the emission record's statistics follow from P(k, t) directly.
#include "ensemble/cascade_sampler.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include <fmt/format.h>
#include <omp.h>

#include "darkcharge/physics/angular_momentum.hpp"
#include "darkcharge/exact/coupled_exact_solver.hpp"
#include "darkcharge/core/errors.hpp"
#include "darkcharge/physics/initial_state.hpp"
#include "darkcharge/ensemble/peak_summary.hpp"
#include "darkcharge/observables/registry.hpp"
#include "darkcharge/run/trajectory.hpp"
#include "darkcharge/exact/zero_temperature_cascade.hpp"
#include "ensemble/coupled_exact_sampler.hpp"

namespace darkcharge {
namespace {

/// N_em, N_abs and F_em from P(k, t): the mean, zero (nothing is absorbed at nbar = 0), and
/// Var(k)/<k> (NaN before the first emission, as for trajectories).
std::vector<Column> emission_record_columns(const std::vector<std::vector<double>>& p) {
  const std::size_t points = p.size();
  const std::vector<double> zero(points, 0.0);
  Column mean{"N_em", std::vector<double>(points), zero, "exact", ""};
  Column fano{"F_em", std::vector<double>(points), zero, "exact", ""};
  for (std::size_t g = 0; g < points; ++g) {
    double m1 = 0, m2 = 0;
    for (std::size_t k = 0; k < p[g].size(); ++k) {
      m1 += k * p[g][k];
      m2 += double(k) * k * p[g][k];
    }
    mean.value[g] = m1;
    fano.value[g] = m1 > 0 ? std::max(0.0, m2 - m1 * m1) / m1 : std::nan("");
  }
  return {mean, {"N_abs", zero, zero, "exact", ""}, fano};
}

/// The populations of the total-J sectors: constant (J is conserved), c_J^2 of the initial
/// level, exact.
TimeSeries sector_series(const Model& model, const ZeroTemperatureCascade& cascade,
                         const TimeGrid& grid) {
  TimeSeries out;
  for (int g = 0; g < grid.points; ++g) out.time.push_back(grid.time(g));
  std::vector<double> psi;
  cascade.amplitudes(0, 0.0, psi);
  const std::vector<double> zero(grid.points, 0.0);
  for (int j = 0; j < model.total_j_count(); ++j) {
    const double J = model.lowest_total_j() + j;
    const long i = std::lround(J - cascade.first_j(0));
    const double population =
        i >= 0 && i < static_cast<long>(psi.size()) ? psi[i] * psi[i] : 0.0;
    out.columns.push_back({sector_column_name(J), std::vector<double>(grid.points, population),
                           zero, "exact", ""});
  }
  return out;
}

/// Hands only the jumps of a trajectory on (the jump records are the one output drawn).
class JumpCollector : public TrajectoryObserver {
 public:
  JumpCollector(long trajectory, std::vector<EnsembleResult::RecordedJump>& out)
      : trajectory_(trajectory), out_(out) {}
  void observe(int, int, const Snapshot&) override {}
  bool wants_jumps() const override { return true; }
  void jumped(double time, bool emitted, double m_after) override {
    out_.push_back({trajectory_, {time, emitted ? Jump::kEmission : Jump::kAbsorption, m_after}});
  }

 private:
  long trajectory_;
  std::vector<EnsembleResult::RecordedJump>& out_;
};

void throw_if_stopped(const EnsembleOptions& options) {
  if (options.stop && options.stop->load(std::memory_order_relaxed))
    throw Interrupted("run interrupted before the exact cascade finished");
}

std::vector<EnsembleResult::RecordedJump> record_jumps(const Model& model, const TimeGrid& grid,
                                                       const EnsembleOptions& options) {
  std::vector<EnsembleResult::RecordedJump> jumps;
  CoupledState state;
  std::vector<double> scratch;
  const long count = std::min(options.record_trajectories, options.trajectories);
  for (long k = 0; k < count; ++k) {
    throw_if_stopped(options);
    Rng rng = trajectory_rng(options.seed, static_cast<std::uint64_t>(k));
    const InitialState init = sample_initial_state(model, rng);
    JumpCollector collector(k, jumps);
    run_trajectory(model, init, grid, rng, collector, state, scratch, options.stop);
  }
  return jumps;
}

}  // namespace

CoupledExactCost CascadeSampler::cost(const Model& model, const TimeGrid& grid,
                                      const EnsembleOptions& options) {
  return CoupledExactSampler::cost(model, grid, options);
}

EnsembleResult CascadeSampler::run(const EnsemblePlan& plan,
                                   const ProgressCallback& progress) const {
  const Model& model = plan.model;
  const TimeGrid& grid = plan.grid;
  const EnsembleOptions& options = plan.options;
  if (model.nbar != 0.0)
    throw InvalidArgument(fmt::format(
        "sampling: cascade needs nbar = 0 (got nbar = {}); use trajectories", model.nbar));
  const CoupledExactResult solved = solve_coupled_for_plan(plan, progress, "exact cascade");

  EnsembleResult result;
  result.sampling = Sampling::cascade;
  result.stop_reason = "exact";
  result.series.time = solved.series.time;
  result.series.columns = requested_columns(options, solved.series.columns,
                                            emission_record_columns(solved.emitted));
  result.peaks = peak_summary(result.series, grid);

  const InitialState level = initial_mixture(model).front().state;
  const ZeroTemperatureCascade cascade(model, level.j_battery, level.m_battery);
  if (options.sector_populations) result.sectors = sector_series(model, cascade, grid);
  for (double t : options.count_times) {
    const int g = grid.nearest_index(t);  // t in [0, t_max]: check_request()
    for (std::size_t k = 0; k < solved.emitted[g].size(); ++k)
      if (solved.emitted[g][k] > 0)
        result.emission_counts.push_back({grid.time(g), long(k), {solved.emitted[g][k], 0.0}});
  }
  result.density = solved.density;
  result.jumps = record_jumps(model, grid, options);
  result.notes.push_back(
      "sampling=cascade: nbar = 0, so every trajectory with k emissions holds the same state; "
      "the distribution of k was integrated exactly (zero-temperature cascade, local error "
      "1e-13) instead of sampled: errors are 0, error method 'exact', and the trajectory "
      "count and seed are not used (except by --jumps-output). --sampling trajectories draws "
      "trajectories instead.");
  if (options.time_limit > 0 || options.on_unit_done || !options.target_errors.empty())
    result.notes.push_back(
        "--time-limit, --checkpoint and --target-error do not apply to the exact cascade "
        "(nothing is sampled): it ran to the end.");
  return result;
}

}  // namespace darkcharge
