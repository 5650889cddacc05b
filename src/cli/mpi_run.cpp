#include "mpi_run.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <vector>

#include "darkcharge/core/byte_stream.hpp"
#include "darkcharge/core/errors.hpp"

#ifdef DARKCHARGE_HAVE_MPI
#include <mpi.h>
#endif

namespace darkcharge::cli {

namespace {
double g_reduction_seconds = 0;
}  // namespace

double last_reduction_seconds() { return g_reduction_seconds; }

#ifdef DARKCHARGE_HAVE_MPI
namespace {

bool g_initialised = false;

/// The same plan (model, grid, chosen sampling) with other run options: what one rank runs,
/// or the units gathered so far, without validating or choosing the method again.
EnsemblePlan with_options(const EnsemblePlan& plan, EnsembleOptions options) {
  EnsemblePlan out = plan;
  out.options = std::move(options);
  return out;
}

/// Set by the launchers we know (Open MPI's mpirun, PMI/PMIx: MPICH, Slurm's srun).
bool launched_by_mpi() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK"})
    if (std::getenv(name)) return true;
  return false;
}

/// Raises on every rank the error of the lowest failing rank, if any rank failed: Interrupted
/// if that rank was interrupted (so the CLI saves its checkpoint), else runtime_error.
void agree_on_failure(const std::string& local_error, bool interrupted) {
  const int mine = local_error.empty() ? mpi_size() : mpi_rank();
  int first = 0;
  MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
  if (first == mpi_size()) return;
  std::uint64_t size = local_error.size();
  int kind = interrupted ? 1 : 0;
  MPI_Bcast(&size, 1, MPI_UINT64_T, first, MPI_COMM_WORLD);
  MPI_Bcast(&kind, 1, MPI_INT, first, MPI_COMM_WORLD);
  std::string message = local_error;
  message.resize(size);
  MPI_Bcast(message.data(), static_cast<int>(size), MPI_CHAR, first, MPI_COMM_WORLD);
  if (kind == 1) throw Interrupted(message);
  throw std::runtime_error(message + " (MPI rank " + std::to_string(first) + ")");
}

/// Sends every rank's units to rank 0, which adds them to `into` (other ranks: unchanged).
void gather_units(const std::map<long, std::string>& mine, std::map<long, std::string>& into) {
  const int rank = mpi_rank(), size = mpi_size();
  ByteWriter out;
  out.put<std::uint64_t>(mine.size());
  for (const auto& [u, bytes] : mine) {
    out.put<std::int64_t>(u);
    out.put_string(bytes);
  }
  const std::string& packed = out.bytes();
  const std::int64_t length = static_cast<std::int64_t>(packed.size());
  std::vector<std::int64_t> lengths(size);
  MPI_Gather(&length, 1, MPI_INT64_T, lengths.data(), 1, MPI_INT64_T, 0, MPI_COMM_WORLD);
  if (rank != 0) {  // large messages go in pieces (MPI counts are int)
    const char* p = packed.data();
    for (std::int64_t left = length; left > 0;) {
      const int chunk = static_cast<int>(std::min<std::int64_t>(left, 1 << 30));
      MPI_Send(p, chunk, MPI_CHAR, 0, 0, MPI_COMM_WORLD);
      p += chunk;
      left -= chunk;
    }
    return;
  }
  into.insert(mine.begin(), mine.end());
  for (int r = 1; r < size; ++r) {
    std::string bytes(static_cast<std::size_t>(lengths[r]), '\0');
    char* p = bytes.data();
    for (std::int64_t left = lengths[r]; left > 0;) {
      const int chunk = static_cast<int>(std::min<std::int64_t>(left, 1 << 30));
      MPI_Recv(p, chunk, MPI_CHAR, r, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
      p += chunk;
      left -= chunk;
    }
    ByteReader in(bytes);
    const auto count = in.get<std::uint64_t>();
    for (std::uint64_t i = 0; i < count; ++i) {
      const long u = in.get<std::int64_t>();
      into[u] = in.get_string();
    }
  }
}

}  // namespace

MpiSession::MpiSession(int* argc, char*** argv) {
  if (!launched_by_mpi()) return;
  int provided = 0;
  MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided);
  g_initialised = true;
}

MpiSession::~MpiSession() {
  if (g_initialised) MPI_Finalize();
}

int mpi_rank() {
  int rank = 0;
  if (g_initialised) MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  return rank;
}

int mpi_size() {
  int size = 1;
  if (g_initialised) MPI_Comm_size(MPI_COMM_WORLD, &size);
  return size;
}

std::vector<int> mpi_gather_threads(int threads) {
  if (!g_initialised) return {threads};
  std::vector<int> all(mpi_rank() == 0 ? mpi_size() : 0);
  MPI_Gather(&threads, 1, MPI_INT, all.data(), 1, MPI_INT, 0, MPI_COMM_WORLD);
  return all;
}

std::string mpi_description() {
  char version[MPI_MAX_LIBRARY_VERSION_STRING];
  int length = 0;
  MPI_Get_library_version(version, &length);
  std::string v(version, length);
  const auto cut = v.find_first_of(",\n");
  return "MPI: " + v.substr(0, cut);
}

EnsembleResult run_distributed(const EnsemblePlan& plan, const ProgressCallback& progress) {
  const int rank = mpi_rank(), size = mpi_size();
  const EnsembleOptions& options = plan.options;
  if (plan.sampling.sampling == Sampling::cascade || plan.sampling.sampling == Sampling::exact)  // nothing to share
    return rank == 0 ? run_ensemble(plan, progress) : EnsembleResult{};
  const WorkLayout layout = work_layout(options);
  // With a checkpoint, a target error or a time limit the ranks go round by round (B units),
  // reducing after each so that rank 0 can save and decide; otherwise in one go.
  const bool by_rounds =
      options.on_unit_done || !options.target_errors.empty() || options.time_limit > 0;
  const long step = by_rounds ? layout.blocks : layout.units();
  // What each rank runs: no callbacks, no decisions. The target errors stay: they shape the
  // work layout (growing units), which must be the same in every rank.
  EnsembleOptions share = options;
  share.on_unit_done = nullptr;
  share.time_limit = 0;
  EnsembleOptions all = options;  // rank 0: every unit gathered so far
  all.on_unit_done = nullptr;
  all.time_limit = 0;
  all.run_unit = [](long) { return false; };  // reduce only, run nothing
  ProgressCallback scaled;  // rank 0 shows progress for everyone, assuming equal pace
  if (rank == 0 && progress)
    scaled = [&](long done, long total) { progress(std::min(total, done * size), total); };
  const auto start = std::chrono::steady_clock::now();
  double reduction = 0;
  bool out_of_time = false;
  for (long first = 0; first < layout.units(); first += step) {
    const long last = std::min(layout.units(), first + step);
    std::map<long, std::string> mine;
    std::string error;
    bool interrupted = false;
    try {
      mine = run_work_units(with_options(plan, share), [&](long u) {
        return u >= first && u < last && u % size == rank && !options.completed_units.count(u);
      }, scaled);
    } catch (const Interrupted& e) {
      error = e.what();
      interrupted = true;
    } catch (const std::exception& e) {
      error = *e.what() ? e.what() : "unknown error";
    }
    agree_on_failure(error, interrupted);
    const auto reduce_start = std::chrono::steady_clock::now();
    std::map<long, std::string> gathered;
    gather_units(mine, gathered);
    int stop = 0;
    if (rank == 0) {
      for (auto& [u, bytes] : gathered) {
        if (options.on_unit_done) options.on_unit_done(u, bytes);
        all.completed_units[u] = std::move(bytes);
      }
      const double elapsed =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      if (options.time_limit > 0 && elapsed > options.time_limit && last < layout.units()) {
        stop = 1;
      } else if (!options.target_errors.empty() && last < layout.units()) {
        EnsembleOptions probe = all;
        probe.target_errors = options.target_errors;
        if (run_ensemble(with_options(plan, probe)).stop_reason == "target-error") stop = 2;
      }
    }
    MPI_Bcast(&stop, 1, MPI_INT, 0, MPI_COMM_WORLD);
    reduction += std::chrono::duration<double>(std::chrono::steady_clock::now() - reduce_start).count();
    if (stop == 1) out_of_time = true;
    if (stop) break;
  }
  if (rank != 0) return {};
  const auto reduce_start = std::chrono::steady_clock::now();
  if (options.time_limit > 0)  // what is left of it bounds the estimate (1 ns if nothing)
    all.time_limit = std::max(1e-9, options.time_limit - std::chrono::duration<double>(
                                                             reduce_start - start).count());
  EnsembleResult result = run_ensemble(with_options(plan, all), progress);  // folds in unit order
  g_reduction_seconds =
      reduction +
      std::chrono::duration<double>(std::chrono::steady_clock::now() - reduce_start).count();
  if (out_of_time) result.stop_reason = "time-limit";
  return result;
}

#else  // no MPI: one process

MpiSession::MpiSession(int*, char***) {}
MpiSession::~MpiSession() = default;
int mpi_rank() { return 0; }
int mpi_size() { return 1; }
std::vector<int> mpi_gather_threads(int threads) { return {threads}; }
std::string mpi_description() { return "MPI: not built in"; }
EnsembleResult run_distributed(const EnsemblePlan& plan, const ProgressCallback& progress) {
  return run_ensemble(plan, progress);
}

#endif

}  // namespace darkcharge::cli
