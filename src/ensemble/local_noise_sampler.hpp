#pragma once
// Sampling with local (single-spin) noise: quantum-jump trajectories in the reduced Dicke
// basis (run/local_trajectory.hpp) in `blocks` blocks (block b: trajectories k = b mod B),
// each summed in index order by one thread, so the columns are identical for any thread
// count. With a target error or a time limit the indices run in rounds and the run stops
// after a whole round (the numbers of a run of that many trajectories). Linear columns get standard errors from the block means, sigma_B a
// delete-one-block jackknife; W_B and W_B_sym are the ergotropies of the averaged battery
// level populations per sector j_B (with multiplicities), root-n corrected with jackknife
// errors as on the collective path; S_B and dS_B_dt from the summed states per (j_C, j_B, M)
// with the collective path's estimator (local_noise_entanglement.hpp). The jump-record
// outputs are not computed (refused by name when asked for).
#include <string>
#include <vector>

#include "ensemble/sampler.hpp"

namespace darkcharge {

class LocalNoiseSampler : public Sampler {
 public:
  EnsembleResult run(const EnsemblePlan& plan, const ProgressCallback& progress) const override;
  /// The columns run() returns for this model, in order.
  static std::vector<std::string> columns(const Model& model);
  /// Throws InvalidArgument naming the first requested column run() does not compute.
  static void check_columns(const Model& model, const std::vector<std::string>& names);
  /// Throws InvalidArgument naming the first side output of the collective runner (P(n, t),
  /// jump records, resumed units, sector populations) in `options`; `engine` says which
  /// local-noise engine refuses it.
  static void refuse_side_outputs(const EnsembleOptions& options, const char* engine);
  /// Marks every peak feature NaN with its note: they need dS_B_dt replicate curves, which
  /// neither local-noise engine keeps.
  static void leave_out_peaks(EnsembleResult& result);
};

}  // namespace darkcharge
