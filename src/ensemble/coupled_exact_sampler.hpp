#pragma once
// Sampling::exact for the collective model at nbar > 0 (chosen by Sampling::automatic when
// cheap): the columns of the trajectory ensemble without sampling, from the coupled-basis
// exact solver's birth-death chains (exact/coupled_exact_solver.hpp): errors 0, error method
// "exact". The statistics of the jump record (N_em, N_abs, F_em, emission counts, jump
// records) and the sector populations are not functions of the averaged state, so runs that
// ask for them stay on trajectories.
#include <string>
#include <vector>

#include "darkcharge/exact/coupled_exact_solver.hpp"
#include "ensemble/sampler.hpp"

namespace darkcharge {

class CoupledExactSampler : public Sampler {
 public:
  /// The solver's estimate for the columns these options ask for.
  static CoupledExactCost cost(const Model& model, const TimeGrid& grid,
                               const EnsembleOptions& options);
  /// Whether estimating the cost would itself take seconds (the pairs of total J that the
  /// estimate enumerates, ~ N_B^4 / 16 for a thermal battery): such sizes are far beyond
  /// any automatic budget, so the estimate is not attempted.
  static bool too_large_to_estimate(const Model& model);
  /// The first requested column or side output the solver does not give ("" if none).
  static std::string missing_output(const EnsembleOptions& options);
  EnsembleResult run(const EnsemblePlan& plan, const ProgressCallback& progress) const override;
};

/// The coupled-basis solver run for a plan (shared with the nbar = 0 cascade): the columns
/// its options ask for, their memory limit and state times, no time budget (the plan chose it
/// within one); options.stop is looked at every step the solver reports (one per grid time
/// or population step), and `solver` names it in the Interrupted message.
CoupledExactResult solve_coupled_for_plan(const EnsemblePlan& plan,
                                          const ProgressCallback& progress, const char* solver);

/// The columns of `solved` the options ask for, in the registry's order; a column of `extra`
/// replaces the solved one of its name.
std::vector<Column> requested_columns(const EnsembleOptions& options,
                                      const std::vector<Column>& solved,
                                      const std::vector<Column>& extra = {});

}  // namespace darkcharge
