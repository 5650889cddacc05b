#pragma once
/// @file density_matrix.hpp
/// The trajectory average of |psi><psi| at one time, in the structure the dynamics keeps:
/// block diagonal in the battery sector j_B and the total M, each block a dense real matrix
/// over the coupled J. Only blocks that some trajectory visited are stored. The charger is
/// always in its symmetric sector j_C = N_C/2 (it starts fully up).
#include <map>
#include <utility>
#include <vector>

#include <Eigen/Dense>

#include "darkcharge/clebsch_gordan_table.hpp"
#include "darkcharge/ergotropy.hpp"

namespace darkcharge {

struct Snapshot;

class DensityMatrix {
 public:
  using Key = std::pair<double, double>;  // (j_B, M)
  /// Block (j_B, M), rows and columns J = max(|j_C - j_B|, |M|) .. j_C + j_B.
  std::map<Key, Eigen::MatrixXd> blocks;

  /// Adds weight |psi><psi| / <psi|psi> for a trajectory snapshot.
  void add(const Snapshot& snapshot, double weight = 1.0);
  /// this += factor * other.
  void add(const DensityMatrix& other, double factor);
  void scale(double factor);
  double trace() const;
};

class ProductBasis;  // Clebsch-Gordan tables per sector, built on demand

/// Charger and battery sizes a density matrix refers to.
struct Ensembles {
  int n_charger;
  int n_battery;
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
std::vector<BatteryLevel> battery_level_populations(const DensityMatrix& rho, ProductBasis& basis);

/// The populations as the spectrum ergotropy() takes, and <J_B^z> = sum m_B p.
std::vector<SectorEigenvalue> spectrum(const std::vector<BatteryLevel>& levels);
double battery_jz(const std::vector<BatteryLevel>& levels);

/// Logarithmic negativity log2 ||rho^{T_B}||_1 (Eq. 12). In the product basis rho^{T_B} is
/// block diagonal in Q = m_C - m_B (M conservation), and over battery sectors; the
/// multiplicity factor 1/d has unit trace norm. Blocks are at most 2 min(j_C,j_B)+1 wide.
double log_negativity(const DensityMatrix& rho, ProductBasis& basis);

class ProductBasis {
 public:
  explicit ProductBasis(double j_charger) : j_charger_(j_charger) {}
  const ClebschGordanTable& sector(double j_battery);
  /// rho^M in the product basis: R[m_B, m_B'] = <M - m_B, m_B| rho |M - m_B', m_B'>.
  Eigen::MatrixXd to_product(double j_battery, double M, const Eigen::MatrixXd& block);

 private:
  double j_charger_;
  std::map<double, ClebschGordanTable> tables_;
};

}  // namespace darkcharge
