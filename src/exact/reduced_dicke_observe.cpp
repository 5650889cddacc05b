// What the reduced Dicke-basis state gives at one time, with multiplicities (physics.md):
// energies, power, currents, dark population, battery spectrum, partial-transpose norm, and
// the output columns.
#include "exact/reduced_dicke_internal.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include <Eigen/Dense>
#include <Eigen/SparseCore>
#include <Eigen/SparseLU>
#include <fmt/format.h>
#include <unsupported/Eigen/MatrixFunctions>
#include <omp.h>

#include "darkcharge/physics/angular_momentum.hpp"
#include "darkcharge/physics/clebsch_gordan_recursion.hpp"
#include "darkcharge/estimate/curve_features.hpp"
#include "darkcharge/physics/ergotropy.hpp"
#include "darkcharge/core/errors.hpp"
#include "darkcharge/physics/initial_state.hpp"

namespace darkcharge::reduced_dicke {
namespace {

using BlockView = Eigen::Map<const Eigen::MatrixXd>;

BlockView view(const Layout& layout, const Eigen::VectorXd& x, int k) {
  const Block& b = layout.blocks()[k];
  return BlockView(x.data() + b.offset, b.n, b.n);
}

/// <J^+J^-> of one block: its diagonal and the J_B^+J_C^- links (x2 for both triangles).
double emission_of_block(const Layout& layout, const Block& b, const BlockView& r) {
  const Sector& s = layout.sectors()[b.sector];
  double sum = 0;
  for (int i = 0; i < b.n; ++i) {
    const double mb = b.first_mb + i, mc = b.M - mb;
    sum += (lowering_squared(s.jc, mc) + lowering_squared(s.jb, mb)) * r(i, i);
    if (i + 1 < b.n)
      sum += 2 * std::sqrt(lowering_squared(s.jc, mc) * raising_squared(s.jb, mb)) * r(i + 1, i);
  }
  return sum;
}

/// ||rhot^{T_B}||_1 of one sector: rho^{T_B} is block diagonal in Q = m_C - m_B, and its
/// element between battery levels x, y is <Q + x, y|rho|Q + y, x>, in the block M = Q + x + y.
double sector_trace_norm(const Layout& layout, const Eigen::VectorXd& x, int sector) {
  const Sector& s = layout.sectors()[sector];
  double total = 0;
  for (double Q = -(s.jc + s.jb); Q <= s.jc + s.jb + 0.25; Q += 1) {
    const double first = std::max(-s.jb, -s.jc - Q), last = std::min(s.jb, s.jc - Q);
    const int n = count(last - first) + 1;
    if (n <= 0) continue;
    Eigen::MatrixXd pt(n, n);
    for (int a = 0; a < n; ++a)
      for (int c = 0; c <= a; ++c) {
        const double xb = first + a, yb = first + c;
        const int k = layout.block_index(sector, Q + xb + yb);
        const Block& b = layout.blocks()[k];
        pt(a, c) = pt(c, a) = view(layout, x, k)(count(yb - b.first_mb), count(xb - b.first_mb));
      }
    if (n == 1) {
      total += std::fabs(pt(0, 0));
      continue;
    }
    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(pt, Eigen::EigenvaluesOnly);
    total += eig.eigenvalues().cwiseAbs().sum();
  }
  return total;
}

/// Population of the kernel of J^- in one sector: <J, -J|rhot|J, -J> for every J, without
/// the all-down state (J = j_C + j_B of the fully symmetric sector).
double sector_dark(const Layout& layout, const Eigen::VectorXd& x, int sector) {
  const Model& model = layout.model();
  const Sector& s = layout.sectors()[sector];
  const bool symmetric = s.jc == model.j_charger() && s.jb == model.j_battery();
  double dark = 0;
  for (double J = std::fabs(s.jc - s.jb); J <= s.jc + s.jb + 0.25; J += 1) {
    if (symmetric && J == s.jc + s.jb) continue;
    const int k = layout.block_index(sector, -J);
    const BlockView r = view(layout, x, k);
    Eigen::VectorXd c(r.rows()), work(r.rows());
    clebsch_gordan_column(s.jc, s.jb, J, -J, c.data(), work.data());
    dark += c.dot(r * c);
  }
  return dark;
}

}  // namespace

Snapshot observe(const Layout& layout, const Eigen::VectorXd& x, const Eigen::VectorXd& dx) {
  const Model& model = layout.model();
  Snapshot snap;
  snap.battery_sector.assign(model.n_battery / 2 + 1, 0.0);
  std::map<double, std::vector<double>> levels;  // j_B -> population of m_B + j_B
  for (int k = 0; k < static_cast<int>(layout.blocks().size()); ++k) {
    const Block& b = layout.blocks()[k];
    const Sector& s = layout.sectors()[b.sector];
    const BlockView r = view(layout, x, k), dr = view(layout, dx, k);
    auto& level = levels[s.jb];
    level.resize(count(2 * s.jb) + 1, 0.0);
    for (int i = 0; i < b.n; ++i) {
      const double mb = b.first_mb + i, p = r(i, i);
      snap.jz_battery += mb * p;
      snap.jz_charger += (b.M - mb) * p;
      snap.jz_battery_squared += mb * mb * p;
      snap.power += mb * dr(i, i);
      snap.battery_sector[count(model.j_battery() - s.jb)] += p;
      level[count(mb + s.jb)] += p;
    }
    const double e = emission_of_block(layout, b, r);
    snap.emission += e;
    for (int i = 0; i < b.n; ++i) {
      const double mb = b.first_mb + i;
      snap.emission_charger += lowering_squared(s.jc, b.M - mb) * r(i, i);
      snap.emission_battery += lowering_squared(s.jb, mb) * r(i, i);
    }
    snap.absorption += e - 2 * b.M * r.trace();  // J^-J^+ = J^+J^- - 2 J^z
  }
  const int n_sectors = static_cast<int>(layout.sectors().size());
  std::vector<double> norm(n_sectors), dark(n_sectors);
#pragma omp parallel for schedule(dynamic)
  for (int s = 0; s < n_sectors; ++s) {
    norm[s] = sector_trace_norm(layout, x, s);
    dark[s] = sector_dark(layout, x, s);
  }
  for (int s = 0; s < n_sectors; ++s) {  // fixed order: identical for any thread count
    snap.trace_norm += norm[s];
    snap.dark += dark[s];
  }
  for (const auto& [jb, level] : levels)
    for (double p : level) snap.battery_spectrum.push_back({jb, p});
  return snap;
}

std::string sector_name(double jb) { return fmt::format("jB={}", jb); }

namespace {

}  // namespace

TimeSeries to_series(const Model& model, const LocalNoise& noise, const std::vector<double>& time,
                     const std::vector<Snapshot>& s, const TimeGrid* grid) {
  TimeSeries out;
  out.time = time;
  const int n = static_cast<int>(time.size());
  const std::vector<double> zero(n, 0.0);
  auto column = [&](std::string name, std::vector<double> v, std::string note = "") {
    out.columns.push_back({std::move(name), std::move(v), zero, "exact", std::move(note)});
  };
  auto per_time = [&](auto f) {
    std::vector<double> v(n);
    for (int g = 0; g < n; ++g) v[g] = f(s[g]);
    return v;
  };
  const double nb = model.n_battery, nc = model.n_charger;
  column("E_B", per_time([&](const Snapshot& x) { return x.jz_battery / nb + 0.5; }));
  column("E_C", per_time([&](const Snapshot& x) { return x.jz_charger / nc + 0.5; }));
  column("P_B", per_time([&](const Snapshot& x) { return x.power / nb; }));
  column("W_open", per_time([&](const Snapshot& x) {
           return x.jz_battery / nb + 0.5 - model.thermal_up_probability();
         }));
  column("dark", per_time([](const Snapshot& x) { return x.dark; }));
  column("W_B", per_time([&](const Snapshot& x) {
           return ergotropy(x.battery_spectrum, x.jz_battery, model.n_battery);
         }));
  const std::vector<double> w_sym = per_time([&](const Snapshot& x) {
    double outside = 0;
    for (std::size_t i = 1; i < x.battery_sector.size(); ++i) outside += std::fabs(x.battery_sector[i]);
    if (outside > kSymmetricWeightFloor) return std::numeric_limits<double>::quiet_NaN();
    return ergotropy_symmetric(x.battery_spectrum, x.jz_battery, model.n_battery);
  });
  const bool undefined = std::any_of(w_sym.begin(), w_sym.end(), [](double v) { return std::isnan(v); });
  column("W_B_sym", w_sym,
         undefined ? "NaN where more than 1e-12 of the weight has left j_B = N_B/2 (W_B_sym is "
                     "defined on the symmetric subspace only)"
                   : "");
  const std::vector<double> s_b = per_time([](const Snapshot& x) { return std::log2(x.trace_norm); });
  column("S_B", s_b);
  if (grid) column("dS_B_dt", time_derivative(s_b, *grid));
  else column("dS_B_dt", zero);
  column("sigma_B", per_time([&](const Snapshot& x) {
           // A variance within the roundoff of <(J_B^z)^2> is zero (as solve_exact_coupled).
           double var = x.jz_battery_squared - x.jz_battery * x.jz_battery;
           if (var <= 1e-13 * x.jz_battery_squared) var = 0;
           return std::sqrt(var) / nb;
         }));
  // Collective currents through the ensembles the reservoir couples to: J_X^-J_X^+ =
  // J_X^+J_X^- - 2 J_X^z on one ensemble X.
  const ReservoirCoupling coupling = model.reservoir;
  auto emitted = [coupling](const Snapshot& x) {
    switch (coupling) {
      case ReservoirCoupling::battery: return x.emission_battery;
      case ReservoirCoupling::charger: return x.emission_charger;
      case ReservoirCoupling::none: return 0.0;
      default: return x.emission;
    }
  };
  auto absorbed = [coupling](const Snapshot& x) {
    switch (coupling) {
      case ReservoirCoupling::battery: return x.emission_battery - 2 * x.jz_battery;
      case ReservoirCoupling::charger: return x.emission_charger - 2 * x.jz_charger;
      case ReservoirCoupling::none: return 0.0;
      default: return x.absorption;
    }
  };
  column("I_em", per_time([&](const Snapshot& x) { return model.emission_rate() * emitted(x); }));
  column("I_abs", per_time([&](const Snapshot& x) { return model.absorption_rate() * absorbed(x); }));
  // Single-spin currents: g_down <N_X/2 + J_z^X>, g_up <N_X/2 - J_z^X>.
  column("I_loc_em_C", per_time([&](const Snapshot& x) { return noise.charger.decay * (nc / 2 + x.jz_charger); }));
  column("I_loc_abs_C", per_time([&](const Snapshot& x) { return noise.charger.pumping * (nc / 2 - x.jz_charger); }));
  column("I_loc_em_B", per_time([&](const Snapshot& x) { return noise.battery.decay * (nb / 2 + x.jz_battery); }));
  column("I_loc_abs_B", per_time([&](const Snapshot& x) { return noise.battery.pumping * (nb / 2 - x.jz_battery); }));
  for (int i = 0; i <= model.n_battery / 2; ++i)
    column(sector_name(model.j_battery() - i), per_time([i](const Snapshot& x) { return x.battery_sector[i]; }));
  return out;
}

}  // namespace darkcharge::reduced_dicke
