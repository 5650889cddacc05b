#pragma once
/// @file local_trajectory.hpp
/// One quantum-jump trajectory with collective and single-spin noise (local_jump_state.hpp),
/// with exact jump times: on the current (j_C, j_B, M) block G = V diag(lambda) V^T (cached
/// per block), so ||exp(-G t) psi||^2 = sum_k c_k^2 exp(-2 lambda_k t) with c = V^T psi, and
/// the jump time solves ||exp(-G t) psi||^2 = r (r uniform) by Newton's method on its log,
/// which is convex and decreasing: from t = 0 the iterates increase monotonically to the root.
/// When G commutes with J^2 (g_down^C - g_up^C = g_down^B - g_up^B) V is the Clebsch-Gordan
/// block, lambda is closed form, and the state is kept over total J between local jumps, so
/// collective jumps cost O(L) and V is formed only at local jumps and grid times.
/// Otherwise long blocks are propagated by Lanczos (krylov_no_jump.hpp) instead of V.
/// Cost (N_B = 1000, N_C = 10000, g_down = g_phi = 0.01): ~4-8 core-s per trajectory, nearly
/// all in Clebsch-Gordan blocks; O(L) local jumps would need the recoupling (6j) coefficients
/// of single-ensemble operators in the coupled basis.
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <tuple>
#include <vector>

#include <Eigen/Dense>

#include "darkcharge/core/rng.hpp"
#include "darkcharge/core/time_grid.hpp"
#include "darkcharge/physics/local_jump_state.hpp"
#include "darkcharge/physics/process.hpp"
#include "darkcharge/physics/protocol.hpp"

namespace darkcharge {

/// The no-jump generator G on the blocks one worker has met, for G not diagonal in the
/// coupled basis (when it is, the trajectory stays in that basis and needs none): blocks of
/// at most `eigen_size_limit` rows are diagonalised (O(L^3) once, O(L^2) per jump), longer
/// ones kept as the tridiagonal G for a short Lanczos propagation (O(k L) per jump,
/// krylov_no_jump.hpp). With the reservoir on one ensemble or none, G has no exchange term
/// and is diagonal in the product basis: every block is its diagonal alone (O(L), no
/// eigendecomposition or Lanczos, `vectors` empty). Not thread safe: one per thread.
/// Deterministic, so sharing none changes no result.
class NoJumpCache {
 public:
  struct Block {
    Eigen::VectorXd lambda;  ///< eigenvalues of G (>= 0)
    Eigen::MatrixXd vectors; ///< columns: eigenvectors in the product basis (empty: G diagonal there)
  };
  /// Blocks up to this many rows are diagonalised: at L = 48 one O(L^2) transform costs about
  /// as much as a Lanczos basis of ~24 vectors.
  static constexpr int kEigenSizeLimit = 48;
  explicit NoJumpCache(const Model& model, double max_bytes = 512.0 * (1 << 20),
                       int eigen_size_limit = kEigenSizeLimit)
      : model_(model), max_bytes_(max_bytes), eigen_size_limit_(eigen_size_limit),
        diagonal_(model.reservoir != ReservoirCoupling::both) {}
  /// The eigendecomposition of G on block (j_C, j_B, M).
  const Block& at(double jc, double jb, double M);
  /// G itself on block (j_C, j_B, M).
  const BlockTridiagonal& generator(double jc, double jb, double M);
  /// Whether block (j_C, j_B, M) of `rows` rows is propagated by Lanczos instead of at().
  bool propagates_by_lanczos(int rows) const { return !diagonal_ && rows > eigen_size_limit_; }
  /// Whether G is diagonal in the product basis (at() returns no vectors).
  bool diagonal() const { return diagonal_; }
  const Model& model() const { return model_; }

 private:
  void make_room(double bytes);
  Model model_;
  double max_bytes_, bytes_ = 0;
  int eigen_size_limit_;
  bool diagonal_;
  std::map<std::tuple<long, long, long>, std::unique_ptr<Block>> blocks_;
  std::map<std::tuple<long, long, long>, BlockTridiagonal> generators_;
};

/// Counts of one trajectory. `emissions` and `absorptions` count the collective jumps J^-
/// and J^+ (quanta given to and taken from the reservoir); local jumps are not among them.
struct LocalTrajectoryStats {
  long jumps = 0, collective_jumps = 0, local_jumps = 0, emissions = 0, absorptions = 0;
};

/// What a trajectory reports at each grid time: the time index, its state (normalized) and
/// its counts so far (the jumps before that time).
using LocalRecord =
    std::function<void(int point, const LocalJumpState& psi, const LocalTrajectoryStats& so_far)>;

/// Runs trajectory `rng` (trajectory_rng(seed, k)) over `grid`, calling `record` at every grid
/// time in order. Throws NumericalError if a norm becomes non-finite or the jump time
/// cannot be bracketed. When `stop` is set it is looked at every kJumpsBetweenStopChecks
/// jumps (trajectory.hpp); once true the trajectory throws Interrupted.
/// One cache per segment of `protocol` (its model), `max_bytes` shared among them.
std::vector<NoJumpCache> protocol_caches(const Protocol& protocol, double max_bytes = 512.0 * (1 << 20));

/// Runs trajectory `rng` through the protocol's segments (protocol.hpp), one random stream
/// for the whole trajectory: the initial state of the first segment's model, then in each
/// segment the jump channels and no-jump generator of its model, the state carried over
/// every boundary unchanged. The jump times stay exact across boundaries: one uniform r is
/// drawn after each jump, and the jump comes when the no-jump norm integrated from that jump
/// on -- through as many segments as it takes -- falls to r (at a boundary the state is
/// renormalized and r divided by the norm lost so far). `grid` must hold every boundary
/// (protocol_time_grid()); a boundary time is recorded by the segment that starts there, the
/// end by the last. `caches` from protocol_caches() (one per segment, for this thread). A
/// one-segment protocol gives run_local_trajectory()'s numbers exactly; equal segments give
/// them to rounding (the waiting time is re-solved from each boundary).
LocalTrajectoryStats run_local_protocol(const Protocol& protocol, const TimeGrid& grid, Rng& rng,
                                        std::vector<NoJumpCache>& caches, const LocalRecord& record,
                                        const std::atomic<bool>* stop = nullptr);

LocalTrajectoryStats run_local_trajectory(const Model& model, const TimeGrid& grid, Rng& rng,
                                          NoJumpCache& cache, const LocalRecord& record,
                                          const std::atomic<bool>* stop = nullptr);

}  // namespace darkcharge
