#pragma once
// MPI for the command-line tool. MPI is initialised only when the process was
// started by an MPI launcher (mpirun, srun), so the same binary runs alone as before. Work
// units are dealt round-robin to the ranks; rank 0 gathers their serialized results and folds
// them in the fixed unit order, so the output bytes are those of a one-process run.
#include <string>
#include <vector>

#include "darkcharge/ensemble/ensemble.hpp"

namespace darkcharge::cli {

/// Initialises MPI in its constructor (if launched by an MPI launcher) and finalises it.
class MpiSession {
 public:
  MpiSession(int* argc, char*** argv);
  ~MpiSession();
  MpiSession(const MpiSession&) = delete;
  MpiSession& operator=(const MpiSession&) = delete;
};

int mpi_rank();  ///< 0 without MPI
int mpi_size();  ///< 1 without MPI
/// Every rank's `threads`, gathered on rank 0 (rank order; other ranks get an empty vector;
/// without MPI, {threads}). Collective: every rank must call it.
std::vector<int> mpi_gather_threads(int threads);
/// "MPI: <library version>" or "MPI: not built in" (for --version).
std::string mpi_description();

/// run_ensemble() spread over the ranks: every rank runs its share of the work units; rank 0
/// returns the full result, the others an empty one. An error on any rank is raised on every
/// rank with the failing rank's message.
/// Seconds rank 0 spent in the last run_distributed() gathering and folding (the reduction).
double last_reduction_seconds();

EnsembleResult run_distributed(const EnsemblePlan& plan, const ProgressCallback& progress);

}  // namespace darkcharge::cli
