#include "darkcharge/density_matrix.hpp"

#include <cmath>

#include "darkcharge/clebsch_gordan_table.hpp"
#include "darkcharge/trajectory.hpp"

namespace darkcharge {

void DensityMatrix::add(const Snapshot& s, double weight) {
  const CoupledState& state = s.state;
  const int first = state.first(), n = state.size() - first;
  Eigen::MatrixXd& block = blocks[{state.j_battery(), state.total_m()}];
  if (block.size() == 0) block = Eigen::MatrixXd::Zero(n, n);
  const Eigen::Map<const Eigen::VectorXd> c(s.c + first, n);
  block.selfadjointView<Eigen::Lower>().rankUpdate(c, weight / s.norm2);
}

void DensityMatrix::add(const DensityMatrix& other, double factor) {
  for (const auto& [key, block] : other.blocks) {
    Eigen::MatrixXd& mine = blocks[key];
    if (mine.size() == 0) mine = Eigen::MatrixXd::Zero(block.rows(), block.cols());
    mine += factor * block;  // lower triangles only are meaningful
  }
}

void DensityMatrix::scale(double factor) {
  for (auto& [key, block] : blocks) block *= factor;
}

double DensityMatrix::trace() const {
  double t = 0;
  for (const auto& [key, block] : blocks) t += block.trace();
  return t;
}

const ClebschGordanTable& ProductBasis::sector(double j_battery) {
  auto it = tables_.find(j_battery);
  if (it == tables_.end())
    it = tables_.emplace(j_battery, ClebschGordanTable(j_charger_, j_battery)).first;
  return it->second;
}

Eigen::MatrixXd ProductBasis::to_product(double j_battery, double M,
                                         const Eigen::MatrixXd& block) {
  const Eigen::MatrixXd& u = sector(j_battery).at(M);
  const Eigen::MatrixXd full = block.selfadjointView<Eigen::Lower>();
  return u * full * u.transpose();
}

std::vector<BatteryLevel> battery_level_populations(const DensityMatrix& rho, ProductBasis& basis) {
  std::map<std::pair<double, double>, double> population;  // (j_B, m_B)
  for (const auto& [key, block] : rho.blocks) {
    const auto [j_battery, M] = key;
    const Eigen::MatrixXd r = basis.to_product(j_battery, M, block);
    const double m_first = basis.sector(j_battery).first_m_battery(M);
    for (int i = 0; i < r.rows(); ++i) population[{j_battery, m_first + i}] += r(i, i);
  }
  std::vector<BatteryLevel> out;
  out.reserve(population.size());
  for (const auto& [level, p] : population) out.push_back({level.first, level.second, p});
  return out;
}

std::vector<SectorEigenvalue> spectrum(const std::vector<BatteryLevel>& levels) {
  std::vector<SectorEigenvalue> out;
  out.reserve(levels.size());
  for (const auto& l : levels) out.push_back({l.j_battery, l.population});
  return out;
}

double battery_jz(const std::vector<BatteryLevel>& levels) {
  double jz = 0;
  for (const auto& l : levels) jz += l.m_battery * l.population;
  return jz;
}

double log_negativity(const DensityMatrix& rho, ProductBasis& basis) {
  // Product-basis blocks of each sector, by M.
  std::map<double, std::map<double, Eigen::MatrixXd>> product;
  for (const auto& [key, block] : rho.blocks)
    product[key.first][key.second] = basis.to_product(key.first, key.second, block);

  double trace_norm = 0;
  for (const auto& [j_battery, by_m] : product) {
    const ClebschGordanTable& table = basis.sector(j_battery);
    const double j1 = table.j_charger(), j2 = j_battery;
    // Element of rho^{T_B} between (x_C, x_B) and (y_C, y_B) in block Q:
    //   <x_C y_B| rho |y_C x_B> = R^M[y_B, x_B] with M = x_C + y_B.
    auto element = [&](double x_c, double x_b, double y_b) {
      const double M = x_c + y_b;
      const auto it = by_m.find(M);
      if (it == by_m.end()) return 0.0;
      const double m_first = table.first_m_battery(M);
      return it->second(static_cast<int>(std::lround(y_b - m_first)),
                        static_cast<int>(std::lround(x_b - m_first)));
    };
    for (double Q = -(j1 + j2); Q <= j1 + j2; Q += 1) {
      std::vector<double> levels;  // x_B with x_C = Q + x_B valid
      for (double x_b = -j2; x_b <= j2; x_b += 1)
        if (std::fabs(Q + x_b) <= j1) levels.push_back(x_b);
      const int n = static_cast<int>(levels.size());
      Eigen::MatrixXd block(n, n);
      for (int a = 0; a < n; ++a)
        for (int b = 0; b < n; ++b) block(a, b) = element(Q + levels[a], levels[a], levels[b]);
      if (block.isZero(0.0)) continue;
      Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(block, Eigen::EigenvaluesOnly);
      trace_norm += eig.eigenvalues().cwiseAbs().sum();
    }
  }
  return std::log2(trace_norm);
}

}  // namespace darkcharge
