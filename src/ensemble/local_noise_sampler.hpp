#pragma once
// Sampling with local (single-spin) noise: quantum-jump trajectories in the reduced Dicke
// basis (run/local_trajectory.hpp) in the work units of the WorkLayout, each summed in
// trajectory order by one thread and folded into block u mod B in unit order
// (local_noise_units.hpp), so the columns are identical for any thread or rank count and a
// resumed run equals an uninterrupted one. A target error is decided after whole rounds of
// B units; a time limit starts no unit after it. Linear columns get standard errors from the block means, sigma_B a
// delete-one-block jackknife; W_B and W_B_sym are the ergotropies of the averaged battery
// level populations per sector j_B (with multiplicities), root-n corrected with jackknife
// errors as on the collective path. S_B, dS_B_dt and the jump-record columns are not
// computed (refused by name when asked for).
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "ensemble/sampler.hpp"

namespace darkcharge {

class LocalNoiseSampler : public Sampler {
 public:
  EnsembleResult run(const EnsemblePlan& plan, const ProgressCallback& progress) const override;
  /// Runs the work units `select` accepts and returns their serialized results (what
  /// run_work_units() returns; options.completed_units of a later run_ensemble()).
  std::map<long, std::string> run_units(const EnsemblePlan& plan,
                                        const std::function<bool(long unit)>& select,
                                        const ProgressCallback& progress) const;
  /// The columns run() returns for this model, in order.
  static std::vector<std::string> columns(const Model& model);
  /// Throws InvalidArgument naming the first requested column run() does not compute.
  static void check_columns(const Model& model, const std::vector<std::string>& names);
  /// Throws InvalidArgument naming the first side output of the collective runner (P(n, t),
  /// jump records, sector populations) in `options`; `engine` says which
  /// local-noise engine refuses it.
  static void refuse_side_outputs(const EnsembleOptions& options, const char* engine);
  /// Marks every peak feature NaN with its note: they need dS_B_dt replicate curves, which
  /// neither local-noise engine keeps.
  static void leave_out_peaks(EnsembleResult& result);
};

}  // namespace darkcharge
