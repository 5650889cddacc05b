#pragma once
/// @file density_matrix.hpp
/// The trajectory average of |psi><psi| at one time, in the structure the dynamics keeps:
/// block diagonal in the battery sector j_B and the total M. Each block is a dense real
/// matrix in the product basis |j_C, M - m_B> (x) |j_B, m_B>, rows m_B ascending from
/// max(-j_B, M - j_C). Only blocks some trajectory visited are stored. The charger is always
/// in its symmetric sector j_C = N_C/2 (it starts fully up).
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include <Eigen/Dense>

#include "darkcharge/physics/angular_momentum.hpp"
#include "darkcharge/physics/clebsch_gordan_cache.hpp"
#include "darkcharge/physics/ergotropy.hpp"

namespace darkcharge {

class DensityMatrix {
 public:
  using Key = std::pair<double, double>;  // (j_B, M)
  std::map<Key, Eigen::MatrixXd> blocks;  ///< lower triangles hold the values

  /// Adds weight |psi><psi| for a normalised product-basis vector psi of block (j_B, M).
  void add_pure(double j_battery, double M, const Eigen::VectorXd& psi, double weight = 1.0);
  /// this += factor * other.
  void add(const DensityMatrix& other, double factor);
  void scale(double factor);
};

/// Population of one battery level (j_B, m_B), summed over the sector's copies.
struct BatteryLevel {
  double j_battery;
  double m_battery;
  double population;
};

/// Population of every battery level: rho_B is diagonal in m_B within each sector because
/// total M is conserved and the initial states are diagonal in M, so these populations are
/// rho_B's eigenvalues.
std::vector<BatteryLevel> battery_level_populations(const DensityMatrix& rho, double j_charger);

/// The populations as the spectrum ergotropy() takes, and <J_B^z> = sum m_B p.
std::vector<SectorEigenvalue> spectrum(const std::vector<BatteryLevel>& levels);
double battery_jz(const std::vector<BatteryLevel>& levels);

/// rho^{T_B}, the partial transpose over the battery, as its nonzero blocks: block diagonal
/// in (j_B, Q = m_C - m_B) by M conservation, each symmetric. Linear in rho, so the
/// transpose of a sum of states is the sum of their transposes (the S_B error estimate
/// transposes each trajectory block once and adds them as flat vectors, flat_blocks.hpp).
struct PartialTranspose {
  using Key = std::pair<double, double>;  // (j_B, Q)
  std::map<Key, Eigen::MatrixXd> blocks;
  /// ||rho^{T_B}||_1, the sum of |eigenvalues| over the blocks.
  double trace_norm() const;
};
PartialTranspose partial_transpose(const DensityMatrix& rho, double j_charger);
/// Sum of |eigenvalues| of a symmetric matrix (one block of rho^{T_B}).
double trace_norm_symmetric(const Eigen::Ref<const Eigen::MatrixXd>& a);
/// The same from the trace and the negative eigenvalues alone, ||A||_1 = tr A - 2 sum_{l < 0} l:
/// a Householder tridiagonalisation (4 n^3 / 3) and Sturm bisection for each negative
/// eigenvalue (O(n) per step), instead of all eigenvalues by implicit QR (~3x the work).
/// For blocks that are positive semidefinite up to a few small negative eigenvalues. Reads
/// the lower triangle of `a` only. `slack` >= 0: eigenvalues in [-slack, 0) count with their
/// sign, as in tr A (the result is then off by at most 2 n slack), and only those below
/// -slack are found; n <= 2: every |eigenvalue|, whatever the slack.
double trace_norm_few_negative(const Eigen::Ref<const Eigen::MatrixXd>& a, double slack = 0);

/// Logarithmic negativity log2 ||rho^{T_B}||_1 (Eq. 12). rho^{T_B} is block diagonal in
/// Q = m_C - m_B (M conservation) and over battery sectors (the multiplicity factor 1/d has
/// unit trace norm), so the largest block is 2 min(j_C, j_B) + 1 wide.
double log_negativity(const DensityMatrix& rho, double j_charger);

/// Turns coupled-basis amplitudes into product-basis ones for the battery sectors a run
/// visits. Clebsch-Gordan columns are computed on demand, only for the J a state holds, and
/// kept in one bounded cache per calling thread (ClebschGordanCache), so to_product may be
/// called from many threads at once and memory stays below table_size() doubles per thread.
class ProductBasis {
 public:
  ProductBasis(double j_charger, const std::vector<double>& battery_sectors);
  ~ProductBasis();
  double j_charger() const { return j_charger_; }
  /// psi[m_B - first level] = sum_J <M - m_B, m_B | J M> c_J / sqrt(norm2) for c over
  /// J >= max(|j_C-j_B|,|M|); J with c_J^2 <= kNegligibleWeight norm2 are left out.
  void to_product(double j_battery, double M, const double* c, int n, double norm2,
                  Eigen::VectorXd& psi) const;
  /// Doubles one thread's Clebsch-Gordan cache may hold for these sectors (memory guard):
  /// the full tables when they are smaller than kCacheDoubles, else about that budget.
  static double table_size(double j_charger, const std::vector<double>& battery_sectors);

  /// Per-thread cache budget in doubles (128 MiB).
  static constexpr double kCacheDoubles = 16.0 * 1024 * 1024;
  /// Relative weight below which a coupled component cannot change psi at double precision.
  static constexpr double kNegligibleWeight = 1e-34;

 private:
  ClebschGordanCache& thread_cache() const;
  double j_charger_;
  std::vector<double> sectors_;  // sorted
  std::uint64_t id_;             // unique over the process, so stale thread_local owners miss
  mutable std::mutex mutex_;
  mutable std::map<std::thread::id, std::unique_ptr<ClebschGordanCache>> caches_;
};

/// Doubles a DensityMatrix holding every (j_B, M) block of these sectors needs: sum over M
/// of n(M)^2, the size of the full Clebsch-Gordan tables.
double block_diagonal_size(double j_charger, const std::vector<double>& battery_sectors);

}  // namespace darkcharge
