// nbar = 0 from one initial level: the state stays rank one within each total M,
// rho = sum_M P(M) |psi(M)><psi(M)|, so the populations P(M, t) of the zero-temperature
// cascade and the amplitudes psi(M, t) give every column; W_B and S_B come from the
// product-basis amplitudes U^M psi and the Q blocks of rho^{T_B}.
#include <algorithm>
#include <cmath>

#include <Eigen/Dense>

#include "darkcharge/physics/clebsch_gordan_recursion.hpp"
#include "darkcharge/physics/initial_state.hpp"
#include "exact/coupled_exact_internal.hpp"

namespace darkcharge::coupled_exact {
namespace {

/// Cascade levels with a smaller population are left out of W_B and S_B: their whole
/// contribution to rho (trace) and to ||rho^{T_B}||_1 is below 1e-15.
constexpr double kNonlinearFloor = 1e-18;
/// Coupled-basis amplitudes (of a normalised psi, all >= 0) below this are left out of
/// the Clebsch-Gordan transform.
constexpr double kAmplitudeFloor = 1e-17;

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

/// rho(t) = sum_k P(k, t) |psi(M0 - k, t)><psi| in the product basis (levels with
/// P <= kNonlinearFloor left out: their trace is below 1e-15).
DensityMatrix averaged_state(const ZeroTemperatureCascade& cascade, const ProductBasis& basis,
                             const std::vector<double>& p, double t) {
  DensityMatrix rho;
  std::vector<double> psi;
  Eigen::VectorXd product;
  for (int k = 0; k < cascade.levels(); ++k) {
    if (!(p[k] > kNonlinearFloor)) continue;
    cascade.amplitudes(k, t, psi);
    const double M = cascade.top_m() - k;
    basis.to_product(cascade.j_battery(), M, psi.data(), static_cast<int>(psi.size()), 1.0,
                     product);
    rho.add_pure(cascade.j_battery(), M, product, p[k]);
  }
  return rho;
}

}  // namespace

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
  const std::vector<char> keep_state = marked_indices(grid, options.state_times, "state_times");
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
  if (!options.state_times.empty()) {
    result.density.assign(grid.points, DensityMatrix());
    const ProductBasis basis(model.j_charger(), {level.j_battery});
    for (int g = 0; g < grid.points; ++g)
      if (keep_state[g])
        result.density[g] = averaged_state(cascade, basis, population[g], grid.time(g));
  }
  return result;
}

}  // namespace darkcharge::coupled_exact
