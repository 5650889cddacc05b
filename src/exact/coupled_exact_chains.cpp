// nbar > 0 (or several initial levels): the averaged state in the coupled basis splits
// into one birth-death chain in M per pair (J, J') of each battery sector, each propagated
// exactly over a grid step with the matrix exponential of its tridiagonal generator.
#include <limits>
#include <cmath>
#include <map>

#include <Eigen/Dense>
#include <unsupported/Eigen/MatrixFunctions>

#include "darkcharge/physics/clebsch_gordan_recursion.hpp"
#include "exact/coupled_exact_internal.hpp"

namespace darkcharge::coupled_exact {
namespace {

/// The chain of r_JJ'(M) = <J M|rho|J' M>, J <= J', M = -J..J (index i = M + J).
struct PairChain {
  int a, b;            // J = j_low + a, J' = j_low + b
  double J, Jp;
  Eigen::VectorXd diagonal, from_above, from_below;  // generator: coefficients of r(M), r(M+1), r(M-1)
  Eigen::MatrixXd propagator;                         // exp(A dt)
  Eigen::VectorXd r;

  int length() const { return static_cast<int>(r.size()); }
  double m(int i) const { return i - J; }

  /// (A r)(M): physics.md, "Facts".
  double derivative(int i) const {
    double d = diagonal(i) * r(i);
    if (i + 1 < length()) d += from_above(i) * r(i + 1);
    if (i > 0) d += from_below(i) * r(i - 1);
    return d;
  }
};

PairChain make_chain(const Model& model, double j_low, int a, int b) {
  PairChain c;
  c.a = a;
  c.b = b;
  c.J = j_low + a;
  c.Jp = j_low + b;
  const int n = count(2 * c.J) + 1;
  const double down = model.emission_rate() / 2, up = model.absorption_rate() / 2;  // gamma(nbar+1), gamma nbar
  c.diagonal.resize(n);
  c.from_above.setZero(n);
  c.from_below.setZero(n);
  for (int i = 0; i < n; ++i) {
    const double M = i - c.J;
    c.diagonal(i) = -down * (lowering_squared(c.J, M) + lowering_squared(c.Jp, M)) -
                    up * (raising_squared(c.J, M) + raising_squared(c.Jp, M));
    if (i + 1 < n)
      c.from_above(i) = 2 * down * std::sqrt(lowering_squared(c.J, M + 1) * lowering_squared(c.Jp, M + 1));
    if (i > 0)
      c.from_below(i) = 2 * up * std::sqrt(raising_squared(c.J, M - 1) * raising_squared(c.Jp, M - 1));
  }
  c.r.setZero(n);
  return c;
}

/// The chains of one battery sector, with their initial values
/// r_JJ'(M0) = sum_levels p c_J c_J', c_J = <j_C j_C; j_B m_B|J M0>.
std::vector<PairChain> sector_chains(const Model& model, double j_battery,
                                     const std::vector<std::pair<double, double>>& levels) {
  const double j1 = model.j_charger(), j_low = std::fabs(j1 - j_battery);
  const int n = count(j1 + j_battery - j_low) + 1;
  std::vector<PairChain> chains;
  for (int a = 0; a < n; ++a)
    for (int b = a; b < n; ++b) chains.push_back(make_chain(model, j_low, a, b));
  for (const auto& [m_b, p] : levels) {
    const double M0 = j1 + m_b;
    for (auto& c : chains) {
      if (c.J < std::fabs(M0)) continue;
      c.r(count(M0 + c.J)) += p * clebsch_gordan_charger_up(j1, j_battery, m_b, c.J) *
                              clebsch_gordan_charger_up(j1, j_battery, m_b, c.Jp);
    }
  }
  return chains;
}

/// Linear observables of one sector from its chains.
void observe_linear(const Model& model, double j_battery, const std::vector<PairChain>& chains,
                    Snapshot& s) {
  const double j1 = model.j_charger();
  const bool symmetric = j_battery == model.j_battery();
  for (const auto& c : chains) {
    // (J_B^z)^2 links J to J, J +- 1, J +- 2: pairs off the diagonal count twice (r is
    // symmetric).
    if (c.b - c.a <= 2) {
      const double twice = c.a == c.b ? 1.0 : 2.0;
      for (int i = 0; i < c.length(); ++i)
        s.jz_battery_squared +=
            twice * battery_jz_squared_element(j1, j_battery, c.J, c.Jp, c.m(i)) * c.r(i);
    }
    if (c.a == c.b) {
      for (int i = 0; i < c.length(); ++i) {
        const double x = battery_jz_diagonal(j1, j_battery, c.J, c.m(i));
        s.jz_total += c.m(i) * c.r(i);
        s.jz_battery += x * c.r(i);
        s.power += x * c.derivative(i);
        s.emission += lowering_squared(c.J, c.m(i)) * c.r(i);
        s.absorption += raising_squared(c.J, c.m(i)) * c.r(i);
      }
      // |J, -J> is dark; the all-down state (J = j_C + j_B of the symmetric sector) is not.
      if (!(symmetric && c.Jp == j1 + j_battery)) s.dark += c.r(0);
    } else if (c.b == c.a + 1) {
      for (int i = 0; i < c.length(); ++i) {  // J_B^z links J and J + 1 (both >= |M| here)
        const double x = 2 * battery_jz_offdiagonal(j1, j_battery, c.Jp, c.m(i));
        s.jz_battery += x * c.r(i);
        s.power += x * c.derivative(i);
      }
    }
  }
}

/// Adds the sector's product-basis blocks U^M R^M U^M^T to rho.
void to_product_basis(const Model& model, double j_battery, const std::vector<PairChain>& chains,
                      DensityMatrix& rho) {
  const double j1 = model.j_charger(), j2 = j_battery;
  std::map<double, Eigen::MatrixXd> coupled;  // by M
  for (double M = -(j1 + j2); M <= j1 + j2; M += 1) {
    const int n = count(j1 + j2 - first_total_j(j1, j2, M)) + 1;
    coupled[M] = Eigen::MatrixXd::Zero(n, n);
  }
  for (const auto& c : chains)
    for (int i = 0; i < c.length(); ++i) {
      const double M = c.m(i), j_first = first_total_j(j1, j2, M);
      const int row = count(c.J - j_first), col = count(c.Jp - j_first);
      coupled[M](row, col) = coupled[M](col, row) = c.r(i);
    }
  Eigen::MatrixXd u;
  for (auto& [M, r] : coupled) {
    if (r.isZero(0.0)) continue;
    clebsch_gordan_block(j1, j2, M, u);
    rho.blocks[{j2, M}] = u * r * u.transpose();
  }
}

/// exp(a dt) of a chain's generator. For ||a dt|| <= 8 directly; beyond, as exp(a h) squared
/// k times (h = dt / 2^k), stopping once a squaring no longer changes it: P^2 = P means the
/// chain has relaxed (P projects onto the generator's kernel, the steady state), so
/// exp(a s) = P for every longer s. A direct exp(a dt) at large dt loses accuracy (1e-5 at
/// dt = 1e10) and at ~1e50 gives nan; this way every representable dt gives the relaxed chain.
Eigen::MatrixXd chain_propagator(const Eigen::MatrixXd& a, double dt) {
  const double norm = a.cwiseAbs().colwise().sum().maxCoeff();  // the 1-norm
  int k = 0;
  double h = dt;
  while (norm * h > 8) {
    h /= 2;
    ++k;
  }
  Eigen::MatrixXd p = (a * h).exp();
  // The kernel's eigenvalue 1 is 1 + O(eps) after rounding, and squaring raises it to the
  // power 2^k: squaring on after the chain relaxed would drift (1e-6 at dt = 1e10) and then
  // overflow. Stop once the change is down to the rounding floor (it stops shrinking).
  double previous = std::numeric_limits<double>::infinity();
  for (int i = 0; i < k; ++i) {
    Eigen::MatrixXd q = p * p;
    const double scale = std::max(1.0, q.cwiseAbs().maxCoeff());
    const double change = (q - p).cwiseAbs().maxCoeff() / scale;
    if (change <= 1e-9 && change >= 0.5 * previous) break;  // p had relaxed already
    p = std::move(q);
    if (change <= 1e-15) break;
    previous = change;
  }
  return p;
}

}  // namespace

CoupledExactResult solve_with_chains(const Model& model, const TimeGrid& grid,
                                     const CoupledExactOptions& options,
                                     const ProgressCallback& progress) {
  struct Sector {
    double j_battery;
    std::vector<PairChain> chains;
  };
  std::vector<Sector> sectors;
  for (const auto& [j_battery, levels] : levels_by_sector(model))
    sectors.push_back({j_battery, sector_chains(model, j_battery, levels)});
  std::vector<PairChain*> all;
  for (auto& s : sectors)
    for (auto& c : s.chains) all.push_back(&c);
  const long total = long(all.size()) + grid.points;
  long done = 0;
  // Equally spaced grid: one propagator per chain serves every step. Explicit times: the
  // propagator is rebuilt when the spacing changes (runs of equal spacing share one).
  const long n_chains = static_cast<long>(all.size());
  double work = 0;  // ~ flops per step; small problems stay on one thread (no barriers)
  for (const PairChain* c : all) work += double(c->length()) * c->length();
  const bool parallel = work > 1e5;
  std::vector<Eigen::MatrixXd> generators(grid.equally_spaced() ? 0 : n_chains);
  auto set_propagators = [&](double dt) {
#pragma omp parallel for schedule(dynamic) if (parallel)
    for (long i = 0; i < n_chains; ++i) {
      PairChain& c = *all[i];
      if (!generators.empty() && generators[i].size() > 0) {
        c.propagator = chain_propagator(generators[i], dt);
        continue;
      }
      Eigen::MatrixXd a = Eigen::MatrixXd::Zero(c.length(), c.length());
      for (int k = 0; k < c.length(); ++k) {
        a(k, k) = c.diagonal(k);
        if (k + 1 < c.length()) a(k, k + 1) = c.from_above(k);
        if (k > 0) a(k, k - 1) = c.from_below(k);
      }
      c.propagator = chain_propagator(a, dt);
      if (!generators.empty()) generators[i] = std::move(a);
    }
  };
  double propagator_dt = grid.time(1) - grid.time(0);  // grid.step() when equally spaced
  set_propagators(propagator_dt);
  done += n_chains;
  if (progress) progress(done, total);

  std::vector<Snapshot> snapshots(grid.points);
  for (int g = 0; g < grid.points; ++g) {
    if (g > 0) {
      const double dt = grid.time(g) - grid.time(g - 1);
      if (!grid.equally_spaced() && dt != propagator_dt) set_propagators(propagator_dt = dt);
#pragma omp parallel for schedule(dynamic) if (parallel)
      for (long i = 0; i < n_chains; ++i) all[i]->r = all[i]->propagator * all[i]->r;
    }
    Snapshot& s = snapshots[g];
    DensityMatrix rho;
    for (const auto& sector : sectors) {
      observe_linear(model, sector.j_battery, sector.chains, s);
      if (options.nonlinear) to_product_basis(model, sector.j_battery, sector.chains, rho);
    }
    if (options.nonlinear) {
      s.battery_spectrum = spectrum(battery_level_populations(rho, model.j_charger()));
      if (options.negativity) s.trace_norm = std::exp2(log_negativity(rho, model.j_charger()));
    }
    if (progress) progress(++done, total);
  }
  return {to_series(model, grid, snapshots, options), {}};
}

}  // namespace darkcharge::coupled_exact
