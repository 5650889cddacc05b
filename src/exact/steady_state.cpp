#include "darkcharge/exact/steady_state.hpp"

#include <cmath>
#include <limits>
#include <map>

#include "darkcharge/physics/angular_momentum.hpp"
#include "darkcharge/physics/density_matrix.hpp"
#include "darkcharge/physics/initial_state.hpp"

namespace darkcharge {
namespace {

/// pi_J(M) for M = -J..J, normalised; x = nbar / (nbar + 1) < 1.
std::vector<double> multiplet_distribution(double J, double x) {
  const int size = static_cast<int>(std::lround(2 * J)) + 1;
  std::vector<double> pi(size, 0.0);
  double total = 0, weight = 1;
  for (int i = 0; i < size; ++i, weight *= x) total += (pi[i] = weight);
  for (double& p : pi) p /= total;
  return pi;
}

/// p_{j_B, J}: conserved populations of total J in each battery sector.
std::map<double, std::map<double, double>> total_j_populations(const Model& model) {
  std::map<double, std::map<double, double>> p;
  const double jc = model.j_charger();
  for (const auto& level : initial_mixture(model)) {
    const double jb = level.state.j_battery, mb = level.state.m_battery;
    for (double J = first_total_j(jc, jb, jc + mb); J <= jc + jb; J += 1) {
      const double c = clebsch_gordan_charger_up(jc, jb, mb, J);
      p[jb][J] += level.probability * c * c;
    }
  }
  return p;
}

}  // namespace

SteadyState steady_state(const Model& model, const SteadyStateOptions& options) {
  validate(model);
  check_collective_only(model, "the closed-form steady state");
  const double jc = model.j_charger(), x = model.nbar / (model.nbar + 1);
  const auto populations = total_j_populations(model);
  double jz_battery = 0, jz_total = 0, dark = 0;
  std::vector<double> sectors;
  for (const auto& [jb, by_j] : populations) {
    sectors.push_back(jb);
    for (const auto& [J, p] : by_j) {
      const auto pi = multiplet_distribution(J, x);
      double mean_m = 0;
      for (std::size_t i = 0; i < pi.size(); ++i) mean_m += (i - J) * pi[i];
      jz_total += p * mean_m;
      jz_battery += p * mean_m * (J == 0 ? 0.0 : battery_jz_diagonal(jc, jb, J, 1.0));
      const bool collective_ground = (jb == model.j_battery() && J == jc + jb);
      if (!collective_ground) dark += p * pi[0];  // |J, -J> is annihilated by J^-
    }
  }
  const double nan = std::numeric_limits<double>::quiet_NaN();
  SteadyState s{jz_battery / model.n_battery + 0.5, (jz_total - jz_battery) / model.n_charger + 0.5,
                0, dark, nan, nan, nan};
  s.w_open = s.e_battery - model.thermal_up_probability();
  if (!options.nonlinear || block_diagonal_size(jc, sectors) > options.max_table_doubles)
    return s;

  // rho_ss in the product basis, block (j_B, M): sum_J w_J u_J u_J^T, u_J = CG column.
  const ProductBasis basis(jc, sectors);
  DensityMatrix rho;
  Eigen::VectorXd psi;
  for (const auto& [jb, by_j] : populations) {
    std::map<double, std::vector<double>> pi_by_j;
    for (const auto& [J, p] : by_j) pi_by_j[J] = multiplet_distribution(J, x);
    for (double M = -(jc + jb); M <= jc + jb; M += 1) {
      const double j_first = first_total_j(jc, jb, M);
      const int n = static_cast<int>(std::lround(jc + jb - j_first)) + 1;
      for (int k = 0; k < n; ++k) {
        const double J = j_first + k;
        const auto it = by_j.find(J);
        if (it == by_j.end()) continue;
        const double w = it->second * pi_by_j[J][std::lround(M + J)];
        if (w <= 0) continue;
        std::vector<double> c(n, 0.0);
        c[k] = 1.0;
        basis.to_product(jb, M, c.data(), n, 1.0, psi);
        rho.add_pure(jb, M, psi, w);
      }
    }
  }
  const auto levels = battery_level_populations(rho, jc);
  const auto eig = spectrum(levels);
  s.ergotropy = ergotropy(eig, jz_battery, model.n_battery);
  s.ergotropy_symmetric = ergotropy_symmetric(eig, jz_battery, model.n_battery);
  s.log_negativity = log_negativity(rho, jc);
  return s;
}

double steady_energy_temperature_derivative(Model model, double temperature) {
  const double h = 1e-4 * std::max(temperature, 0.01);
  const double t_low = std::max(0.0, temperature - h), t_high = temperature + h;
  SteadyStateOptions linear_only;
  linear_only.nonlinear = false;
  model.nbar = nbar_from_temperature(t_high, model.omega);
  const double e_high = steady_state(model, linear_only).e_battery;
  model.nbar = nbar_from_temperature(t_low, model.omega);
  const double e_low = steady_state(model, linear_only).e_battery;
  return (e_high - e_low) / (t_high - t_low);
}

}  // namespace darkcharge
