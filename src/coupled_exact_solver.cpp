#include "darkcharge/coupled_exact_solver.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include <Eigen/Dense>
#include <fmt/format.h>
#include <unsupported/Eigen/MatrixFunctions>

#include "darkcharge/angular_momentum.hpp"
#include "darkcharge/clebsch_gordan_recursion.hpp"
#include "darkcharge/curve_features.hpp"
#include "darkcharge/density_matrix.hpp"
#include "darkcharge/ergotropy.hpp"
#include "darkcharge/errors.hpp"
#include "darkcharge/initial_state.hpp"

namespace darkcharge {
namespace {

constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;
/// Cost model of estimate_coupled_exact_cost (seconds per unit of work, one core, measured
/// on the development VM with margin): dense flops; terms of the cascade's rate sums and
/// Clebsch-Gordan recursion steps.
constexpr double kSecondsPerFlop = 1e-9;
constexpr double kSecondsPerUnit = 2e-9;
/// Cascade levels with a smaller population are left out of W_B and S_B: their whole
/// contribution to rho (trace) and to ||rho^{T_B}||_1 is below 1e-15.
constexpr double kNonlinearFloor = 1e-18;
/// Coupled-basis amplitudes (of a normalised psi, all >= 0) below this are left out of
/// the Clebsch-Gordan transform.
constexpr double kAmplitudeFloor = 1e-17;

/// Nearest integer of x, which is always within rounding of one (quantum numbers and their
/// differences): an inline cast instead of a call to lround (10% of a default run's
/// instructions went there, from the inner loops of the negativity).
int count(double x) { return static_cast<int>(x >= 0 ? x + 0.5 : x - 0.5); }

/// Everything measured at one grid time, summed over sectors and blocks. jz_battery_squared,
/// emission, absorption: <(J_B^z)^2>, <J^+ J^->, <J^- J^+> (sigma_B, I_em, I_abs).
struct Snapshot {
  double jz_total = 0, jz_battery = 0, power = 0, dark = 0, trace_norm = 0;
  double jz_battery_squared = 0, emission = 0, absorption = 0;
  std::vector<SectorEigenvalue> battery_spectrum;
};

/// <J M|J_B^z|J-1 M> where both states exist (J - 1 >= first_total_j, J <= j1 + j2), else 0.
double battery_jz_link(double j1, double j2, double J, double M) {
  if (J - 1 < first_total_j(j1, j2, M) - 0.25 || J > j1 + j2 + 0.25) return 0.0;
  return battery_jz_offdiagonal(j1, j2, J, M);
}

/// <J M|(J_B^z)^2|J' M> for J' = J, J + 1, J + 2 (J_B^z links J to J +- 1 only).
double battery_jz_squared_element(double j1, double j2, double J, double Jp, double M) {
  const int gap = count(Jp - J);
  if (gap == 0) {
    const double d = battery_jz_diagonal(j1, j2, J, M);
    const double below = battery_jz_link(j1, j2, J, M), above = battery_jz_link(j1, j2, J + 1, M);
    return d * d + below * below + above * above;
  }
  if (gap == 1)
    return battery_jz_link(j1, j2, J + 1, M) *
           (battery_jz_diagonal(j1, j2, J, M) + battery_jz_diagonal(j1, j2, J + 1, M));
  if (gap == 2) return battery_jz_link(j1, j2, J + 1, M) * battery_jz_link(j1, j2, J + 2, M);
  return 0.0;
}

/// The columns of solve_exact(), from the snapshots (energies per spin, Eq. 6).
TimeSeries to_series(const Model& model, const TimeGrid& grid, const std::vector<Snapshot>& s,
                     const CoupledExactOptions& options) {
  const bool nonlinear = options.nonlinear;
  TimeSeries out;
  const int n = grid.points;
  for (int g = 0; g < n; ++g) out.time.push_back(grid.time(g));
  const std::vector<double> zero(n, 0.0);
  auto column = [&](const char* name, std::vector<double> v) {
    out.columns.push_back({name, std::move(v), zero, "exact", ""});
  };
  std::vector<double> eb(n), ec(n), pb(n), open(n), dark(n);
  for (int g = 0; g < n; ++g) {
    eb[g] = s[g].jz_battery / model.n_battery + 0.5;
    ec[g] = (s[g].jz_total - s[g].jz_battery) / model.n_charger + 0.5;
    pb[g] = s[g].power / model.n_battery;
    open[g] = eb[g] - model.thermal_up_probability();
    dark[g] = s[g].dark;
  }
  column("E_B", eb);
  column("E_C", ec);
  column("P_B", pb);
  column("W_open", open);
  column("dark", dark);
  // Linear in rho and cheap: computed even without `nonlinear`, last (as solve_exact()).
  auto add_jump_statistics = [&] {
    std::vector<double> sigma(n), emission(n), absorption(n);
    for (int g = 0; g < n; ++g) {
      // A variance within the roundoff of <(J_B^z)^2> is zero (a sharp battery energy, e.g.
      // at t = 0): its square root would turn 1e-16 noise into 1e-8.
      double var = s[g].jz_battery_squared - s[g].jz_battery * s[g].jz_battery;
      if (var <= 1e-13 * s[g].jz_battery_squared) var = 0;
      sigma[g] = std::sqrt(var) / model.n_battery;
      emission[g] = model.emission_rate() * s[g].emission;
      absorption[g] = model.absorption_rate() * s[g].absorption;
    }
    column("sigma_B", sigma);
    column("I_em", emission);
    column("I_abs", absorption);
  };
  if (!nonlinear) {
    add_jump_statistics();
    return out;
  }
  std::vector<double> w(n), w_sym(n), s_b(n);
  for (int g = 0; g < n; ++g) {
    w[g] = ergotropy(s[g].battery_spectrum, s[g].jz_battery, model.n_battery);
    w_sym[g] = ergotropy_symmetric(s[g].battery_spectrum, s[g].jz_battery, model.n_battery);
    s_b[g] = options.negativity ? std::log2(s[g].trace_norm)
                                : std::numeric_limits<double>::quiet_NaN();
  }
  column("W_B", w);
  column("W_B_sym", w_sym);
  column("S_B", s_b);
  column("dS_B_dt", time_derivative(s_b, grid));
  if (!options.negativity)
    for (auto* c : {&out.columns[out.columns.size() - 2], &out.columns.back()})
      c->note = "not computed (CoupledExactOptions::negativity off)";
  add_jump_statistics();
  return out;
}

/// Initial levels grouped by battery sector j_B: (m_B, probability).
std::map<double, std::vector<std::pair<double, double>>> levels_by_sector(const Model& model) {
  std::map<double, std::vector<std::pair<double, double>>> out;
  for (const auto& level : initial_mixture(model))
    if (level.probability > 0)
      out[level.state.j_battery].emplace_back(level.state.m_battery, level.probability);
  return out;
}

bool uses_cascade(const Model& model, const CoupledExactOptions& options) {
  return options.zero_temperature_cascade && model.nbar == 0.0 && initial_mixture(model).size() == 1;
}

// ---------------------------------------------------------------------------------------
// nbar > 0: one birth-death chain per pair (J, J') of each sector, propagated exactly.

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
  // Uniform grid: one propagator per chain serves every step.
  const double dt = grid.step();
  const long n_chains = static_cast<long>(all.size());
  double work = 0;  // ~ flops per step; small problems stay on one thread (no barriers)
  for (const PairChain* c : all) work += double(c->length()) * c->length();
  const bool parallel = work > 1e5;
#pragma omp parallel for schedule(dynamic) if (parallel)
  for (long i = 0; i < n_chains; ++i) {
    PairChain& c = *all[i];
    Eigen::MatrixXd a = Eigen::MatrixXd::Zero(c.length(), c.length());
    for (int k = 0; k < c.length(); ++k) {
      a(k, k) = c.diagonal(k);
      if (k + 1 < c.length()) a(k, k + 1) = c.from_above(k);
      if (k > 0) a(k, k - 1) = c.from_below(k);
    }
    c.propagator = chain_propagator(a, dt);
  }
  done += n_chains;
  if (progress) progress(done, total);

  std::vector<Snapshot> snapshots(grid.points);
  for (int g = 0; g < grid.points; ++g) {
    if (g > 0) {
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

// ---------------------------------------------------------------------------------------
// nbar = 0 from one level: rho = sum_M P(M) |psi(M)><psi(M)|.

/// Product-basis amplitudes phi = U^M psi of the populated levels at one grid time.
struct ProductAmplitudes {
  std::vector<std::vector<double>> phi;  // by level k; empty if left out
};

/// ||rho^{T_B}||_1 of a state sum_M P(M) |phi_M><phi_M| (one battery sector). The element of
/// block Q = x_C - x_B between battery levels x_B, y_B is <x_C y_B|rho|y_C x_B> =
/// P(M) phi_M(y_B) phi_M(x_B) with M = Q + x_B + y_B.
double partial_transpose_trace_norm(const ZeroTemperatureCascade& cascade,
                                    const std::vector<double>& population,
                                    const ProductAmplitudes& amp) {
  const double j1 = cascade.j_charger(), j2 = cascade.j_battery(), m0 = cascade.top_m();
  const int q_count = count(2 * (j1 + j2)) + 1;
  std::vector<double> norm(q_count, 0.0);
  const double width = 2 * std::min(j1, j2) + 1;
#pragma omp parallel for schedule(dynamic) if (q_count * width * width * width > 1e6)
  for (int q = 0; q < q_count; ++q) {
    const double Q = q - (j1 + j2);
    const double x_first = std::max(-j2, -j1 - Q), x_last = std::min(j2, j1 - Q);
    const int n = count(x_last - x_first) + 1;
    Eigen::MatrixXd block = Eigen::MatrixXd::Zero(n, n);
    bool any = false;
    for (int a = 0; a < n; ++a)
      for (int b = 0; b <= a; ++b) {
        const double x_b = x_first + a, y_b = x_first + b, M = Q + x_b + y_b;
        const int k = count(m0 - M);
        if (k < 0 || k >= cascade.levels() || amp.phi[k].empty()) continue;
        const double m_first = first_battery_level(j1, j2, M);
        const auto& phi = amp.phi[k];
        block(a, b) = block(b, a) = population[k] * phi[count(y_b - m_first)] * phi[count(x_b - m_first)];
        any = true;
      }
    if (!any) continue;
    const double frobenius = block.norm();
    if (std::sqrt(double(n)) * frobenius < 1e-17) {  // ||B||_1 - tr B is below roundoff
      norm[q] = block.trace();
      continue;
    }
    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(block, Eigen::EigenvaluesOnly);
    norm[q] = eig.eigenvalues().cwiseAbs().sum();
  }
  double total = 0;
  for (double x : norm) total += x;  // fixed order: identical for any thread count
  return total;
}

/// Tr[J_B^z r] with r = psi psi^T (the weight of `chi` against psi on the left).
double battery_jz_form(double j1, double j2, double M, double j_first, const std::vector<double>& psi,
                       const std::vector<double>& chi) {
  double x = 0;
  const int n = static_cast<int>(psi.size());
  for (int i = 0; i < n; ++i) {
    const double J = j_first + i;
    x += battery_jz_diagonal(j1, j2, J, M) * psi[i] * chi[i];
    if (i > 0) {
      const double off = battery_jz_offdiagonal(j1, j2, J, M);
      x += off * (psi[i] * chi[i - 1] + psi[i - 1] * chi[i]);
    }
  }
  return x;
}

/// What one level M = M0 - k of the cascade contributes at time t, with weight P(M) = p:
/// <J^z>, <J_B^z>, d<J_B^z>/dt (from d r(M)/dt = -gamma (a_J + a_J') r(M)
/// + 2 gamma sqrt(a_J a_J')(M+1) r(M+1), nbar = 0; p_above = P(M + 1)) and the dark weight.
struct LevelTerms {
  double jz = 0, jz_battery = 0, power = 0, dark = 0;
  double jz_battery_squared = 0, emission = 0;  // <(J_B^z)^2>, <J^+ J^-> (no J^+ at nbar = 0)
};

LevelTerms level_terms(const ZeroTemperatureCascade& cascade, const Model& model, int k, double t,
                       double p, double p_above, const std::vector<double>& psi) {
  const double j1 = cascade.j_charger(), j2 = cascade.j_battery();
  const double M = cascade.top_m() - k, j_first = cascade.first_j(k), gamma = model.gamma;
  const int n = static_cast<int>(psi.size());
  LevelTerms out;
  out.jz = p * M;
  out.jz_battery = p * battery_jz_form(j1, j2, M, j_first, psi, psi);
  // |J, -J> is dark; the all-down state (J = j_C + j_B of the symmetric sector) is not.
  const bool all_down = j2 == model.j_battery() && -M == j1 + j2;
  if (M <= 0 && -M >= j_first && !all_down) out.dark = p * psi[0] * psi[0];
  std::vector<double> decayed(n);
  for (int i = 0; i < n; ++i) decayed[i] = lowering_squared(j_first + i, M) * psi[i];
  out.power = -2 * gamma * p * battery_jz_form(j1, j2, M, j_first, psi, decayed);
  for (int i = 0; i < n; ++i) {
    out.emission += p * decayed[i] * psi[i];
    // (J_B^z psi)_i; psi covers every J >= first_total_j at this M.
    const double J = j_first + i;
    double x = battery_jz_diagonal(j1, j2, J, M) * psi[i];
    if (i > 0) x += battery_jz_link(j1, j2, J, M) * psi[i - 1];
    if (i + 1 < n) x += battery_jz_link(j1, j2, J + 1, M) * psi[i + 1];
    out.jz_battery_squared += p * x * x;
  }
  if (p_above > 0) {
    std::vector<double> above, chi(n, 0.0);  // chi_J = sqrt(a_J(M+1)) psi_J(M+1), J of level M
    cascade.amplitudes(k - 1, t, above);
    const int shift = count(j_first - cascade.first_j(k - 1));
    for (int i = 0; i + shift < static_cast<int>(above.size()) && i < n; ++i)
      chi[i] = std::sqrt(lowering_squared(j_first + i, M + 1)) * above[i + shift];
    out.power += 2 * gamma * p_above * battery_jz_form(j1, j2, M, j_first, chi, chi);
  }
  return out;
}

/// phi = U^M psi (product basis, rows m_B ascending), column by column: psi is concentrated
/// on a few J, and amplitudes below kAmplitudeFloor change phi by < n x 1e-17.
std::vector<double> product_amplitudes(const ZeroTemperatureCascade& cascade, int k,
                                       const std::vector<double>& psi) {
  const double j1 = cascade.j_charger(), j2 = cascade.j_battery();
  const double M = cascade.top_m() - k, j_first = cascade.first_j(k);
  const int n = static_cast<int>(psi.size());
  std::vector<double> phi(n, 0.0), column(n), scratch(n);
  for (int i = 0; i < n; ++i) {
    if (psi[i] < kAmplitudeFloor) continue;
    clebsch_gordan_column(j1, j2, j_first + i, M, column.data(), scratch.data());
    for (int r = 0; r < n; ++r) phi[r] += column[r] * psi[i];
  }
  return phi;
}

/// rho_B's eigenvalues: the populations of the battery levels m_B (rho_B is diagonal).
std::vector<SectorEigenvalue> battery_spectrum(const ZeroTemperatureCascade& cascade,
                                               const std::vector<double>& population,
                                               const ProductAmplitudes& amp) {
  const double j1 = cascade.j_charger(), j2 = cascade.j_battery();
  std::vector<double> level_population(count(2 * j2) + 1, 0.0);  // by m_B + j_B
  for (int k = 0; k < cascade.levels(); ++k) {
    if (amp.phi[k].empty()) continue;
    const int offset = count(first_battery_level(j1, j2, cascade.top_m() - k) + j2);
    for (std::size_t i = 0; i < amp.phi[k].size(); ++i)
      level_population[offset + i] += population[k] * amp.phi[k][i] * amp.phi[k][i];
  }
  std::vector<SectorEigenvalue> out;
  for (double p : level_population) out.push_back({j2, p});
  return out;
}

CoupledExactResult solve_with_cascade(const Model& model, const TimeGrid& grid,
                                      const CoupledExactOptions& options,
                                      const ProgressCallback& progress) {
  const InitialState level = initial_mixture(model).front().state;
  const ZeroTemperatureCascade cascade(model, level.j_battery, level.m_battery);
  const int levels = cascade.levels();
  // populations() reports points - 1 steps, then one per grid time (two if nonlinear).
  const long total = (grid.points - 1) + grid.points * (options.nonlinear ? 2L : 1L);
  auto chain_progress = [&](long done, long) {
    if (progress) progress(done, total);
  };
  CoupledExactResult result;
  result.emitted = cascade.populations(grid, options.cascade_tolerance, chain_progress);
  const auto& population = result.emitted;
  // Work per level: the amplitudes (n exponentials), and Clebsch-Gordan columns (~n^2).
  const double n_j = cascade.j_charger() + cascade.j_battery() - cascade.first_j(0) + 1;
  const bool parallel = levels * n_j * (options.nonlinear ? 5 * n_j : 20.0) > 1e6;

  std::vector<Snapshot> snapshots(grid.points);
  long done = grid.points - 1;
  for (int g = 0; g < grid.points; ++g) {
    const double t = grid.time(g);
    std::vector<LevelTerms> terms(levels);  // summed in level order below: thread-independent
    ProductAmplitudes amp;
    if (options.nonlinear) amp.phi.resize(levels);
#pragma omp parallel for schedule(dynamic, 4) if (parallel)
    for (int k = 0; k < levels; ++k) {
      const double p = population[g][k], p_above = k > 0 ? population[g][k - 1] : 0.0;
      if (p == 0.0 && p_above == 0.0) continue;
      std::vector<double> psi;
      cascade.amplitudes(k, t, psi);
      terms[k] = level_terms(cascade, model, k, t, p, p_above, psi);
      if (options.nonlinear && p > kNonlinearFloor) amp.phi[k] = product_amplitudes(cascade, k, psi);
    }
    Snapshot& s = snapshots[g];
    for (const LevelTerms& term : terms) {
      s.jz_total += term.jz;
      s.jz_battery += term.jz_battery;
      s.power += term.power;
      s.dark += term.dark;
      s.jz_battery_squared += term.jz_battery_squared;
      s.emission += term.emission;
    }
    if (progress) progress(++done, total);
    if (!options.nonlinear) continue;
    s.battery_spectrum = battery_spectrum(cascade, population[g], amp);
    if (options.negativity) s.trace_norm = partial_transpose_trace_norm(cascade, population[g], amp);
    if (progress) progress(++done, total);
  }
  result.series = to_series(model, grid, snapshots, options);
  return result;
}

}  // namespace

CoupledExactCost estimate_coupled_exact_cost(const Model& model, const TimeGrid& grid,
                                             const CoupledExactOptions& options) {
  validate(model);
  validate(grid);
  validate(model, grid);
  const double j1 = model.j_charger(), points = grid.points;
  CoupledExactCost cost;
  double doubles = 0, flops = 0, units = 0;  // units: cascade rate terms, recursion steps
  // Nonlinear columns, per grid time: one Clebsch-Gordan block and U r U^T per M, one
  // symmetric eigenproblem per Q block of rho^{T_B} (both of width <= 2 min(j_C, j_B) + 1).
  // The constants are deliberately pessimistic: the estimate guards against hours, not
  // seconds.
  auto nonlinear_cost = [&](double j2) {
    double per_time = 0, block_doubles = 0;
    for (double M = -(j1 + j2); M <= j1 + j2; M += 1) {
      const double n = j1 + j2 - first_total_j(j1, j2, M) + 1;
      per_time += 5 * n * n + 4 * n * n * n;  // CG, U R U^T
      if (options.negativity) per_time += 2 * n * n * n;  // Q block
      block_doubles += n * n;
    }
    return std::make_pair(per_time, block_doubles);
  };
  if (uses_cascade(model, options)) {
    const InitialState level = initial_mixture(model).front().state;
    cost.method = "zero-temperature cascade";
    const double table = zero_temperature_cascade_doubles(model, level.j_battery, level.m_battery);
    const double levels = j1 + level.m_battery + j1 + level.j_battery + 1, n_j = table / levels;
    cost.size = fmt::format("{} levels M x {} total J", levels, n_j);
    doubles = 1.1 * table + points * levels + 8 * n_j;  // weights, P(M, t), scratch
    // ~1000 Radau steps x 8 stage times x levels rates, each over the few J that carry
    // weight (~4 sqrt(n_j)) plus the block bounds (n_j / 16); calibrated on N_B = 100 and
    // 1000 (R = 10): 1 s and 17 s of CPU time.
    const double window = 4 * std::sqrt(n_j) + 10;
    units = 1000.0 * 8 * levels * (window + n_j / 16);
    units += points * levels * 4 * (window + n_j / 16);  // amplitudes of every level per time
    if (options.nonlinear) {
      // Per grid time <= 2 n_j populated levels (the bulk of P(M, t)): Clebsch-Gordan
      // columns for the significant J (window x n_j recursion steps); about as many
      // non-negligible Q blocks, each a symmetric eigenproblem (~ n^3).
      const double populated = std::min(levels, 2 * n_j);
      units += points * populated * window * n_j * 2.5;
      if (options.negativity) flops += points * populated * n_j * n_j * n_j;
      doubles += points * populated * n_j + 2 * n_j * n_j;
      // The battery's level populations (2 j_B + 1 of them) per grid time, sorted for W_B:
      // what dominates at large N_B with few charger levels (measured, N_C = 10: N_B = 1e5,
      // 81 times, 13 s and 140 MB; N_B = 1e6, 21 times, 26 s and 350 MB; linear in both).
      const double battery_levels = 2 * level.j_battery + 1;
      units += points * battery_levels * 1000;
      doubles += points * battery_levels * 3;
    }
  } else {
    cost.method = "birth-death chains";
    double chains = 0, longest = 0;
    for (const auto& [j2, levels] : levels_by_sector(model)) {
      const double j_low = std::fabs(j1 - j2), n = j1 + j2 - j_low + 1;
      for (int a = 0; a < n; ++a) {
        const double length = 2 * (j_low + a) + 1;
        chains += n - a;
        longest = std::max(longest, length);
        doubles += (n - a) * (length * length + 5 * length);  // propagator + generator + state
        flops += (n - a) * (30 * length * length * length + 2 * points * length * length);
      }
      if (options.nonlinear) {
        const auto [per_time, block_doubles] = nonlinear_cost(j2);
        flops += points * per_time;
        doubles += 2 * block_doubles;
      }
    }
    cost.size = fmt::format("{} chains of length <= {}", chains, longest);
  }
  cost.memory_gib = 8 * doubles / kGiB;
  cost.seconds = flops * kSecondsPerFlop + units * kSecondsPerUnit;
  return cost;
}

CoupledExactResult solve_exact_coupled_detailed(const Model& model, const TimeGrid& grid,
                                                const CoupledExactOptions& options,
                                                const ProgressCallback& progress) {
  const CoupledExactCost cost = estimate_coupled_exact_cost(model, grid, options);
  const std::string what = fmt::format(
      "exact solver (coupled basis, {}): N_B = {}, N_C = {}, {}, {} grid points", cost.method,
      model.n_battery, model.n_charger, cost.size, grid.points);
  if (cost.memory_gib > options.max_memory_gib)
    throw InvalidArgument(fmt::format(
        "{} needs an estimated {:.3g} GiB, more than max_memory_gib = {:.3g} (CLI: --max-memory)",
        what, cost.memory_gib, options.max_memory_gib));
  if (cost.seconds > options.max_seconds)
    throw InvalidArgument(fmt::format(
        "{} needs an estimated {:.3g} s on one core, more than max_seconds = {:.3g} (CLI: "
        "--max-seconds)",
        what, cost.seconds, options.max_seconds));
  if (uses_cascade(model, options)) return solve_with_cascade(model, grid, options, progress);
  return solve_with_chains(model, grid, options, progress);
}

TimeSeries solve_exact_coupled(const Model& model, const TimeGrid& grid,
                               const CoupledExactOptions& options,
                               const ProgressCallback& progress) {
  return solve_exact_coupled_detailed(model, grid, options, progress).series;
}

}  // namespace darkcharge
