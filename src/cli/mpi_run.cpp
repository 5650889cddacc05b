#include "mpi_run.hpp"

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <vector>

#include "darkcharge/byte_stream.hpp"

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

/// Set by the launchers we know (Open MPI's mpirun, PMI/PMIx: MPICH, Slurm's srun).
bool launched_by_mpi() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK"})
    if (std::getenv(name)) return true;
  return false;
}

/// Raises on every rank the message of the lowest failing rank, if any rank failed.
void agree_on_failure(const std::string& local_error) {
  const int mine = local_error.empty() ? mpi_size() : mpi_rank();
  int first = 0;
  MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
  if (first == mpi_size()) return;
  std::uint64_t size = local_error.size();
  MPI_Bcast(&size, 1, MPI_UINT64_T, first, MPI_COMM_WORLD);
  std::string message = local_error;
  message.resize(size);
  MPI_Bcast(message.data(), static_cast<int>(size), MPI_CHAR, first, MPI_COMM_WORLD);
  throw std::runtime_error(message + " (MPI rank " + std::to_string(first) + ")");
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

std::string mpi_description() {
  char version[MPI_MAX_LIBRARY_VERSION_STRING];
  int length = 0;
  MPI_Get_library_version(version, &length);
  std::string v(version, length);
  const auto cut = v.find_first_of(",\n");
  return "MPI: " + v.substr(0, cut);
}

EnsembleResult run_distributed(const Model& model, const TimeGrid& grid,
                               const EnsembleOptions& options, const ProgressCallback& progress) {
  const int rank = mpi_rank(), size = mpi_size();
  std::map<long, std::string> mine;
  std::string error;
  try {
    // Rank 0 shows progress for everyone, assuming the ranks keep pace.
    ProgressCallback scaled;
    if (rank == 0 && progress)
      scaled = [&](long done, long total) { progress(std::min(total, done * size), total); };
    mine = run_work_units(model, grid, options,
                          [&](long u) { return u % size == rank && !options.completed_units.count(u); },
                          scaled);
  } catch (const std::exception& e) {
    error = e.what();
    if (error.empty()) error = "unknown error";
  }
  agree_on_failure(error);
  const auto reduction_start = std::chrono::steady_clock::now();
  // Gather every rank's units on rank 0: sizes first, then the bytes.
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
  // Large messages go rank by rank (MPI counts are int).
  EnsembleOptions all = options;
  if (rank != 0) {
    const char* p = packed.data();
    for (std::int64_t left = length; left > 0;) {
      const int chunk = static_cast<int>(std::min<std::int64_t>(left, 1 << 30));
      MPI_Send(p, chunk, MPI_CHAR, 0, 0, MPI_COMM_WORLD);
      p += chunk;
      left -= chunk;
    }
    return {};
  }
  all.completed_units.insert(mine.begin(), mine.end());
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
      all.completed_units[u] = in.get_string();
    }
  }
  all.on_unit_done = nullptr;
  EnsembleResult result = run_ensemble(model, grid, all, progress);  // folds in unit order
  g_reduction_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - reduction_start).count();
  return result;
}

#else  // no MPI: one process

MpiSession::MpiSession(int*, char***) {}
MpiSession::~MpiSession() = default;
int mpi_rank() { return 0; }
int mpi_size() { return 1; }
std::string mpi_description() { return "MPI: not built in"; }
EnsembleResult run_distributed(const Model& model, const TimeGrid& grid,
                               const EnsembleOptions& options, const ProgressCallback& progress) {
  return run_ensemble(model, grid, options, progress);
}

#endif

}  // namespace darkcharge::cli
