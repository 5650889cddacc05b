#include "darkcharge/exact/exact_solver.hpp"

#include <algorithm>
#include <cmath>
#include <complex>
#include <limits>
#include <map>

#include <Eigen/Dense>
#include <Eigen/Sparse>
#include <fmt/format.h>

#include "darkcharge/estimate/curve_features.hpp"
#include "darkcharge/physics/angular_momentum.hpp"
#include "darkcharge/physics/density_matrix.hpp"
#include "darkcharge/physics/ergotropy.hpp"
#include "darkcharge/core/errors.hpp"
#include "darkcharge/physics/initial_state.hpp"
#include "exact/dormand_prince.hpp"

namespace darkcharge {
namespace {

using Complex = std::complex<double>;
using Matrix = Eigen::MatrixXcd;
using Sparse = Eigen::SparseMatrix<Complex>;

/// Explicit operators of one sector (j_C, j_B) in the product basis, index
/// i = (j_C - m_C)(2 j_B + 1) + (j_B - m_B).
struct SectorOperators {
  int dim_c, dim_b, dim;
  Sparse lower_total, raise_total, hamiltonian, battery_jz, charger_jz;
  Matrix dark_projector;

  SectorOperators(const Model& model, double j_battery) {
    const double jc = model.j_charger(), jb = j_battery;
    dim_c = static_cast<int>(std::lround(2 * jc)) + 1;
    dim_b = static_cast<int>(std::lround(2 * jb)) + 1;
    dim = dim_c * dim_b;
    auto index = [&](int ic, int ib) { return ic * dim_b + ib; };
    std::vector<Eigen::Triplet<Complex>> lower, bz, cz;
    for (int ic = 0; ic < dim_c; ++ic)
      for (int ib = 0; ib < dim_b; ++ib) {
        const double mc = jc - ic, mb = jb - ib;
        cz.emplace_back(index(ic, ib), index(ic, ib), mc);
        bz.emplace_back(index(ic, ib), index(ic, ib), mb);
        // J^-|j m> = sqrt((j + m)(j - m + 1)) |j, m - 1> on each ensemble.
        if (ic + 1 < dim_c)
          lower.emplace_back(index(ic + 1, ib), index(ic, ib), std::sqrt((jc + mc) * (jc - mc + 1)));
        if (ib + 1 < dim_b)
          lower.emplace_back(index(ic, ib + 1), index(ic, ib), std::sqrt((jb + mb) * (jb - mb + 1)));
      }
    lower_total = build(lower);
    raise_total = Sparse(lower_total.adjoint());
    battery_jz = build(bz);
    charger_jz = build(cz);
    hamiltonian = model.omega * (battery_jz + charger_jz);
    dark_projector = kernel_projector(Matrix(lower_total));
    // The all-down collective ground state is annihilated too but stores nothing: it is
    // excluded, but only in the symmetric sector, where it lives.
    if (j_battery == model.j_battery()) {
      const int down = dim - 1;
      dark_projector(down, down) -= 1.0;
    }
  }

  Sparse build(const std::vector<Eigen::Triplet<Complex>>& t) const {
    Sparse m(dim, dim);
    m.setFromTriplets(t.begin(), t.end());
    return m;
  }

  static Matrix kernel_projector(const Matrix& op) {
    Eigen::SelfAdjointEigenSolver<Matrix> eig(op.adjoint() * op);
    Matrix p = Matrix::Zero(op.cols(), op.cols());
    for (int i = 0; i < op.cols(); ++i)
      if (std::fabs(eig.eigenvalues()(i)) < 1e-9)
        p += eig.eigenvectors().col(i) * eig.eigenvectors().col(i).adjoint();
    return p;
  }
};

/// Lindblad right-hand side with jump operators sqrt(r_-) J^- and sqrt(r_+) J^+.
struct Lindbladian {
  const SectorOperators& op;
  double emission, absorption;
  Sparse decay_lower, decay_raise;  // L^dag L / 2 for each channel
  Sparse minus_i_effective;          // -i H_eff, H_eff = H - i sum L^dag L / 2

  Lindbladian(const SectorOperators& o, const Model& model)
      : op(o), emission(model.emission_rate()), absorption(model.absorption_rate()) {
    decay_lower = 0.5 * emission * (op.raise_total * op.lower_total);
    decay_raise = 0.5 * absorption * (op.lower_total * op.raise_total);
    const Complex i(0, 1);
    minus_i_effective = -i * (op.hamiltonian - i * (decay_lower + decay_raise));
  }

  /// -i H_eff rho + i rho H_eff^dag + sum r L rho L^dag, evaluated on the Hermitian part h
  /// of rho: then the second term is the adjoint of the first and L h L^dag = L (L h)^dag,
  /// so only sparse x dense products are needed (O(nnz d)). Using h, not rho, matters:
  /// with these identities an anti-Hermitian rounding error would evolve under a generator
  /// with the jump term's sign flipped, which is unstable; on h it has zero derivative.
  Matrix operator()(const Matrix& rho) const {
    const Matrix h = 0.5 * (rho + rho.adjoint());
    Matrix out = minus_i_effective * h;
    out += out.adjoint().eval();
    out += emission_jump(h);
    if (absorption > 0) out += absorption_jump(h);
    return out;
  }

  /// The emission jump term r_- J^- h J^+ of a Hermitian h (J^- h J^+ = J^- (J^- h)^dag).
  Matrix emission_jump(const Matrix& h) const {
    const Matrix lowered = op.lower_total * h;
    return emission * (op.lower_total * lowered.adjoint());
  }
  /// The absorption jump term r_+ J^+ h J^-.
  Matrix absorption_jump(const Matrix& h) const {
    const Matrix raised = op.raise_total * h;
    return absorption * (op.raise_total * raised.adjoint());
  }

  /// Adjoint generator applied to X: L^dag(X) = i[H, X] + sum r (L^dag X L - {L^dag L, X}/2).
  Matrix adjoint(const Matrix& x) const {
    const Complex i(0, 1);
    Matrix out = i * (op.hamiltonian * x - x * op.hamiltonian);
    out += emission * (op.raise_total * (x * op.lower_total));
    out -= decay_lower * x + x * decay_lower;
    if (absorption > 0) {
      out += absorption * (op.lower_total * (x * op.raise_total));
      out -= decay_raise * x + x * decay_raise;
    }
    return out;
  }
};

/// Full counting statistics of the jump record. With a counting field s on one channel
/// (jump term J), rho_s obeys d rho_s/dt = L rho_s + (e^s - 1) J rho_s and tr rho_s =
/// <e^{s n}>, so the ordinary moments of the count n are traces of the s-derivatives at
/// s = 0: rho_1 = d rho_s/ds and rho_2 = d^2 rho_s/ds^2 obey
///   d rho_1/dt = L rho_1 + J rho,   d rho_2/dt = L rho_2 + 2 J rho_1 + J rho,
/// from rho_1(0) = rho_2(0) = 0, and <n> = tr rho_1, <n^2> = tr rho_2. J never leaves a
/// sector (J^- and J^+ are collective), so each sector's moments evolve on their own. The
/// state is the blocks [rho | rho_1^em | rho_2^em | rho_1^abs] side by side, one matrix, so
/// that the integrator controls the error of all of them together.
struct CountingGenerator {
  enum Block { kState, kEmitted, kEmitted2, kAbsorbed, kBlocks };
  const Lindbladian& lindbladian;

  static Matrix initial(const Matrix& rho) {
    Matrix y = Matrix::Zero(rho.rows(), kBlocks * rho.cols());
    y.leftCols(rho.cols()) = rho;
    return y;
  }

  Matrix operator()(const Matrix& y) const {
    const Eigen::Index d = y.rows();
    auto block = [&](Block b) { return y.middleCols(b * d, d); };
    auto hermitian = [&](Block b) -> Matrix { return 0.5 * (block(b) + block(b).adjoint()); };
    const Matrix emitted_from_state = lindbladian.emission_jump(hermitian(kState));
    Matrix out(d, kBlocks * d);
    out.middleCols(kState * d, d) = lindbladian(block(kState));
    out.middleCols(kEmitted * d, d) = lindbladian(block(kEmitted)) + emitted_from_state;
    out.middleCols(kEmitted2 * d, d) = lindbladian(block(kEmitted2)) +
                                        2.0 * lindbladian.emission_jump(hermitian(kEmitted)) +
                                        emitted_from_state;
    out.middleCols(kAbsorbed * d, d) = lindbladian(block(kAbsorbed));
    if (lindbladian.absorption > 0)
      out.middleCols(kAbsorbed * d, d) += lindbladian.absorption_jump(hermitian(kState));
    return out;
  }
};

enum ExactColumn {
  kEB, kEB2, kEC, kPB, kDark, kEmission, kAbsorption, kTraceNorm, kEmitted, kEmitted2,
  kAbsorbed, kCount
};

/// Eigenvalues of rho_B = Tr_C rho of one sector (no assumption that it is diagonal).
std::vector<SectorEigenvalue> battery_spectrum(const Matrix& rho, const SectorOperators& op,
                                               double j_battery) {
  Matrix rho_b = Matrix::Zero(op.dim_b, op.dim_b);
  for (int ic = 0; ic < op.dim_c; ++ic)
    rho_b += rho.block(ic * op.dim_b, ic * op.dim_b, op.dim_b, op.dim_b);
  Eigen::SelfAdjointEigenSolver<Matrix> eig(rho_b, Eigen::EigenvaluesOnly);
  std::vector<SectorEigenvalue> out;
  for (int i = 0; i < op.dim_b; ++i) out.push_back({j_battery, eig.eigenvalues()(i)});
  return out;
}

/// ||rho^{T_B}||_1 of one sector by explicit partial transposition of the full matrix.
double partial_transpose_trace_norm(const Matrix& rho, const SectorOperators& op) {
  Matrix pt(op.dim, op.dim);
  for (int ic = 0; ic < op.dim_c; ++ic)
    for (int ib = 0; ib < op.dim_b; ++ib)
      for (int jc = 0; jc < op.dim_c; ++jc)
        for (int jb = 0; jb < op.dim_b; ++jb)
          pt(ic * op.dim_b + ib, jc * op.dim_b + jb) = rho(ic * op.dim_b + jb, jc * op.dim_b + ib);
  Eigen::SelfAdjointEigenSolver<Matrix> eig(pt, Eigen::EigenvaluesOnly);
  return eig.eigenvalues().cwiseAbs().sum();
}

/// Var(n)/<n> from the first two moments; NaN before the first emission (<n> = 0), as the
/// trajectory column. Clamped at 0 where rounding makes the variance negative.
std::vector<double> fano_factor(const std::vector<double>& mean, const std::vector<double>& second) {
  std::vector<double> out(mean.size());
  for (std::size_t g = 0; g < mean.size(); ++g)
    out[g] = mean[g] > 0 ? std::fmax(0.0, second[g] - mean[g] * mean[g]) / mean[g] : std::nan("");
  return out;
}

/// The state of one sector as DensityMatrix blocks (j_B, M), rows m_B ascending; blocks
/// that are exactly 0 (never reached) are left out.
void add_sector_state(const Matrix& rho, const SectorOperators& op, double j_charger,
                      double j_battery, DensityMatrix& out) {
  const double top = j_charger + j_battery;
  for (int k = 0; k <= static_cast<int>(std::lround(2 * top)); ++k) {
    const double M = k - top, m_first = first_battery_level(j_charger, j_battery, M);
    const int n = static_cast<int>(std::lround(std::min(j_battery, M + j_charger) - m_first)) + 1;
    Eigen::MatrixXd block(n, n);
    for (int a = 0; a < n; ++a)
      for (int b = 0; b < n; ++b) {
        const double ma = m_first + a, mb = m_first + b;
        const auto index = [&](double m_b) {
          return static_cast<int>(std::lround(j_charger - (M - m_b))) * op.dim_b +
                 static_cast<int>(std::lround(j_battery - m_b));
        };
        block(a, b) = rho(index(ma), index(mb)).real();
      }
    if (block.cwiseAbs().maxCoeff() > 0) out.blocks[{j_battery, M}] = block;
  }
}

}  // namespace

TimeSeries solve_exact(const Model& model, const TimeGrid& grid, const ExactOptions& options) {
  return solve_exact_detailed(model, grid, options).series;
}

ExactResult solve_exact_detailed(const Model& model, const TimeGrid& grid,
                                 const ExactOptions& options) {
  validate(model);
  check_collective_only(model, "the product-basis exact solver");
  validate(grid);
  validate(model, grid);
  const std::vector<char> keep_state = marked_indices(grid, options.state_times, "state_times");
  ExactResult result;
  result.density.assign(options.state_times.empty() ? 0 : grid.points, DensityMatrix());
  // Group the initial mixture by battery sector: rho_B(0) is diagonal in m_B within each.
  std::map<double, std::vector<WeightedInitialState>> sectors;
  for (const auto& level : initial_mixture(model))
    if (level.probability > 0) sectors[level.state.j_battery].push_back(level);

  // Refuse before building anything: the largest sector is the symmetric one.
  const long largest = (model.n_charger + 1L) * (model.n_battery + 1L);
  if (largest > options.max_dimension)
    throw InvalidArgument(fmt::format(
        "exact solver (product basis): sector dimension (N_C+1)(N_B+1) = {} exceeds "
        "max_dimension {} (N_B = {}, N_C = {}; CLI: --max-dimension; memory ~ 16 d^2 bytes "
        "per matrix, time ~ d^3)",
        largest, options.max_dimension, model.n_battery, model.n_charger));
  std::vector<std::vector<double>> values(kCount, std::vector<double>(grid.points, 0.0));
  std::vector<std::vector<SectorEigenvalue>> spectra(grid.points);
  for (const auto& [j_battery, levels] : sectors) {
    // Checked in 64 bits before any int index is formed from it.
    const long long dim = (model.n_charger + 1LL) * (std::llround(2 * j_battery) + 1LL);
    if (dim > std::min<long long>(options.max_dimension, std::numeric_limits<int>::max()))
      throw InvalidArgument(fmt::format(
          "exact solver: sector dimension {} exceeds max_dimension {} (N_B = {}, N_C = {})",
          dim, options.max_dimension, model.n_battery, model.n_charger));
    const SectorOperators op(model, j_battery);
    const Lindbladian lindbladian(op, model);
    const Matrix power_operator = lindbladian.adjoint(Matrix(op.battery_jz));
    Matrix rho = Matrix::Zero(op.dim, op.dim);
    for (const auto& level : levels) {
      const int ib = static_cast<int>(std::lround(j_battery - level.state.m_battery));
      rho(ib, ib) += level.probability;  // charger index 0: m_C = j_C
    }
    const CountingGenerator counting{lindbladian};
    Matrix moments = options.counting ? CountingGenerator::initial(rho) : Matrix();
    detail::DormandPrince integrator{options.relative_tolerance, options.absolute_tolerance};
    for (int g = 0; g < grid.points; ++g) {
      if (g > 0 && options.counting) {
        integrator.advance(moments, grid.time(g - 1), grid.time(g), counting);
        rho = moments.leftCols(op.dim);
        auto trace = [&](int block) {
          return moments.middleCols(block * op.dim, op.dim).trace().real();
        };
        values[kEmitted][g] += trace(CountingGenerator::kEmitted);
        values[kEmitted2][g] += trace(CountingGenerator::kEmitted2);
        values[kAbsorbed][g] += trace(CountingGenerator::kAbsorbed);
      } else if (g > 0) {
        integrator.advance(rho, grid.time(g - 1), grid.time(g), lindbladian);
      }
      if (keep_state[g]) add_sector_state(rho, op, model.j_charger(), j_battery, result.density[g]);
      values[kEB][g] += (rho * op.battery_jz).trace().real();
      values[kEC][g] += (rho * op.charger_jz).trace().real();
      values[kPB][g] += (rho * power_operator).trace().real();
      values[kDark][g] += (rho * op.dark_projector).trace().real();
      values[kEB2][g] += (rho * (op.battery_jz * op.battery_jz)).trace().real();
      values[kEmission][g] += (rho * (op.raise_total * op.lower_total)).trace().real();
      values[kAbsorption][g] += (rho * (op.lower_total * op.raise_total)).trace().real();
      if (!options.nonlinear) continue;
      values[kTraceNorm][g] += partial_transpose_trace_norm(rho, op);
      for (const auto& e : battery_spectrum(rho, op, j_battery)) spectra[g].push_back(e);
    }
  }

  TimeSeries& out = result.series;
  for (int g = 0; g < grid.points; ++g) out.time.push_back(grid.time(g));
  const std::vector<double> zero(grid.points, 0.0);
  auto column = [&](const char* name, std::vector<double> v) {
    out.columns.push_back({name, std::move(v), zero, "exact", ""});
  };
  std::vector<double> eb(grid.points), ec(grid.points), pb(grid.points), open(grid.points);
  for (int g = 0; g < grid.points; ++g) {
    eb[g] = values[kEB][g] / model.n_battery + 0.5;
    ec[g] = values[kEC][g] / model.n_charger + 0.5;
    pb[g] = values[kPB][g] / model.n_battery;
    open[g] = eb[g] - model.thermal_up_probability();
  }
  column("E_B", eb);
  column("E_C", ec);
  column("P_B", pb);
  column("W_open", open);
  column("dark", values[kDark]);
  // Linear in rho (sigma_B's moments) and cheap: computed even without `nonlinear`.
  std::vector<double> sigma(grid.points), emission(grid.points), absorption(grid.points);
  for (int g = 0; g < grid.points; ++g) {
    const double var = values[kEB2][g] - values[kEB][g] * values[kEB][g];
    sigma[g] = std::sqrt(std::fmax(0.0, var)) / model.n_battery;
    emission[g] = model.emission_rate() * values[kEmission][g];
    absorption[g] = model.absorption_rate() * values[kAbsorption][g];
  }
  auto add_jump_statistics = [&] {
    column("sigma_B", sigma);
    column("I_em", emission);
    column("I_abs", absorption);
    if (!options.counting) return;
    column("N_em", values[kEmitted]);
    column("N_abs", values[kAbsorbed]);
    column("F_em", fano_factor(values[kEmitted], values[kEmitted2]));
  };
  if (!options.nonlinear) {
    add_jump_statistics();
    return result;
  }
  std::vector<double> w(grid.points), w_sym(grid.points), s_b(grid.points);
  for (int g = 0; g < grid.points; ++g) {
    w[g] = ergotropy(spectra[g], values[kEB][g], model.n_battery);
    w_sym[g] = ergotropy_symmetric(spectra[g], values[kEB][g], model.n_battery);
    s_b[g] = std::log2(values[kTraceNorm][g]);
  }
  column("W_B", w);
  column("W_B_sym", w_sym);
  column("S_B", s_b);
  column("dS_B_dt", time_derivative(s_b, grid));
  add_jump_statistics();
  return result;
}

}  // namespace darkcharge
