#pragma once
// Sampling::exact (local noise, chosen by Sampling::automatic when cheap): the columns of the
// local-noise trajectories without sampling, from the reduced Dicke-basis solver
// (exact/reduced_dicke_solver.hpp): errors 0, error method "exact".
#include "ensemble/sampler.hpp"

namespace darkcharge {

class ReducedDickeSampler : public Sampler {
 public:
  EnsembleResult run(const EnsemblePlan& plan, const ProgressCallback& progress) const override;
};

}  // namespace darkcharge
