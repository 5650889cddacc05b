#pragma once
// A deliberately simple full 2^N Lindblad solver for tests of the reduced Dicke-basis solver
// (N_C + N_B <= 8). Independent of the library's physics code: every operator is an explicit
// Kronecker product of single-spin matrices, the master equation is written term by term as
// in physics.md (collective gamma (nbar+1) L[J^-] + gamma nbar L[J^+], local
// (g_down/2) L[s_i^-] + (g_up/2) L[s_i^+] + (g_phi/4) L[s_i^z] with s^z the Pauli matrix),
// the reservoir coupled to J = J_C + J_B, or to J_B or J_C alone, or to nothing (a protocol's
// "reservoir"; switch_to() changes the rates and the coupling between segments, keeping rho),
// and rho is propagated by a Taylor series of the Lindbladian over substeps tau with
// tau ||L|| <= 1 (truncated when the terms fall below 1e-17), which is exact to rounding.
// Observables are traces, partial traces and dense eigen-decompositions.
#include <cmath>
#include <complex>
#include <map>
#include <string>
#include <vector>

#include <Eigen/Dense>
#include <Eigen/Sparse>

namespace darkcharge::testing {

struct DenseRates {
  double decay = 0, pumping = 0, dephasing = 0;
};

struct DenseCase {
  int n_battery = 2, n_charger = 2;
  double gamma = 1, nbar = 0;
  bool thermal_battery = false;
  DenseRates charger, battery;
  std::string reservoir = "both";  ///< "both", "battery", "charger" or "none"
};

class DenseLindblad {
 public:
  using Complex = std::complex<double>;
  using Matrix = Eigen::MatrixXcd;
  using Sparse = Eigen::SparseMatrix<Complex>;

  explicit DenseLindblad(const DenseCase& c) : c_(c), n_(c.n_battery + c.n_charger), dim_(1 << n_) {
    Eigen::Matrix2cd lower, raise, pauli_z;  // basis (down, up)
    lower << 0, 1, 0, 0;
    raise << 0, 0, 1, 0;
    pauli_z << -1, 0, 0, 1;
    lower_charger_ = lower_battery_ = Sparse(dim_, dim_);
    jz_charger_ = jz_battery_ = Sparse(dim_, dim_);
    for (int i = 0; i < n_; ++i) {
      const bool battery = i >= c.n_charger;
      s_minus_.push_back(site(lower, i));
      s_plus_.push_back(site(raise, i));
      s_z_.push_back(site(pauli_z, i));
      (battery ? lower_battery_ : lower_charger_) += s_minus_.back();
      (battery ? jz_battery_ : jz_charger_) += 0.5 * s_z_.back();
    }
    switch_to(c);
  }

  /// The next segment of a protocol: new rates and reservoir coupling (same sizes); the
  /// state rho is the caller's and carries over unchanged.
  void switch_to(const DenseCase& c) {
    c_.gamma = c.gamma;
    c_.nbar = c.nbar;
    c_.charger = c.charger;
    c_.battery = c.battery;
    c_.reservoir = c.reservoir;
    lower_total_ = Sparse(dim_, dim_);
    if (c.reservoir == "both" || c.reservoir == "charger") lower_total_ += lower_charger_;
    if (c.reservoir == "both" || c.reservoir == "battery") lower_total_ += lower_battery_;
    raise_total_ = Sparse(lower_total_.adjoint());
    // The terms of the master equation with their rates (zero rates left out).
    dissipators_.clear();
    add_term(lower_total_, c.gamma * (c.nbar + 1));
    add_term(raise_total_, c.gamma * c.nbar);
    for (int k = 0; k < n_; ++k) {
      const DenseRates& r = k < c.n_charger ? c.charger : c.battery;
      add_term(s_minus_[k], r.decay / 2);
      add_term(s_plus_[k], r.pumping / 2);
      add_term(s_z_[k], r.dephasing / 4);
    }
    norm_bound_ = n_ + 2 * (2 * c.gamma * (2 * c.nbar + 1)) * std::pow(0.5 * n_ + 1, 2);
    for (const DenseRates* r : {&c.charger, &c.battery})
      norm_bound_ += 4 * (r->decay + r->pumping + r->dephasing) * n_;
  }

  /// Initial state: charger all up; battery all down or thermal (each spin up with
  /// probability nbar / (2 nbar + 1)).
  Matrix initial() const {
    const double p_up = c_.thermal_battery ? c_.nbar / (2 * c_.nbar + 1) : 0.0;
    Matrix rho = Matrix::Zero(dim_, dim_);
    for (int s = 0; s < dim_; ++s) {
      double p = 1;
      for (int i = 0; i < n_; ++i) {
        const bool up = (s >> (n_ - 1 - i)) & 1;
        if (i < c_.n_charger) p *= up ? 1.0 : 0.0;
        else p *= up ? p_up : 1 - p_up;
      }
      rho(s, s) = p;
    }
    return rho;
  }

  /// d rho / dt.
  Matrix derivative(const Matrix& rho) const {
    Matrix out = Matrix::Zero(dim_, dim_);
    const Complex i(0, 1);
    const Sparse h = jz_charger_ + jz_battery_;  // H = omega J^z, omega = 1
    out += -i * (h * rho - rho * h);
    for (const Dissipator& d : dissipators_) add_dissipator(out, rho, d);
    return out;
  }

  Matrix derivative_general(const Matrix& rho) const { return derivative(rho); }

  /// rho(t + dt) from rho(t).
  Matrix propagate(const Matrix& rho, double dt) const {
    const int substeps = std::max(1, int(std::ceil(dt * norm_bound_)));
    const double tau = dt / substeps;
    Matrix x = rho;
    for (int s = 0; s < substeps; ++s) {
      Matrix term = x, sum = x;
      for (int k = 1; k < 200; ++k) {
        term = derivative(term) * (tau / k);
        sum += term;
        if (term.cwiseAbs().maxCoeff() < 1e-17) break;
      }
      x = 0.5 * (sum + sum.adjoint());
    }
    return x;
  }

  /// Every column the reduced solver shares with this one, at state rho.
  std::map<std::string, double> observe(const Matrix& rho) const {
    std::map<std::string, double> o;
    const double nb = c_.n_battery, nc = c_.n_charger;
    auto expect = [&](const Sparse& op) { return (op * rho).trace().real(); };
    const double jzb = expect(jz_battery_), jzc = expect(jz_charger_);
    o["E_B"] = jzb / nb + 0.5;
    o["E_C"] = jzc / nc + 0.5;
    o["W_open"] = o["E_B"] - c_.nbar / (2 * c_.nbar + 1);
    o["P_B"] = (Matrix(jz_battery_) * derivative(rho)).trace().real() / nb;
    const Sparse jzb2 = jz_battery_ * jz_battery_;
    o["sigma_B"] = std::sqrt(std::max(0.0, expect(jzb2) - jzb * jzb)) / nb;
    o["I_em"] = 2 * c_.gamma * (c_.nbar + 1) * expect(Sparse(raise_total_ * lower_total_));
    o["I_abs"] = 2 * c_.gamma * c_.nbar * expect(Sparse(lower_total_ * raise_total_));
    o["I_loc_em_C"] = c_.charger.decay * (nc / 2 + jzc);
    o["I_loc_abs_C"] = c_.charger.pumping * (nc / 2 - jzc);
    o["I_loc_em_B"] = c_.battery.decay * (nb / 2 + jzb);
    o["I_loc_abs_B"] = c_.battery.pumping * (nb / 2 - jzb);
    o["dark"] = (dark_projector() * rho).trace().real();  // kernel of J_C^- + J_B^-
    const Matrix rho_b = battery_state(rho);
    o["W_B"] = ergotropy(rho_b);
    o["S_B"] = std::log2(partial_transpose_trace_norm(rho));
    add_battery_sectors(rho_b, o);
    return o;
  }

  /// The stationary state: the null vector of the superoperator (built column by column from
  /// derivative()), with the (0, 0) equation replaced by Tr rho = 1. For dim <= 32.
  Matrix steady() const {
    const int d2 = dim_ * dim_;
    Matrix super(d2, d2);
    for (int k = 0; k < d2; ++k) {
      Matrix e = Matrix::Zero(dim_, dim_);
      e(k % dim_, k / dim_) = 1.0;
      const Matrix f = derivative_general(e);
      super.col(k) = Eigen::Map<const Eigen::VectorXcd>(f.data(), d2);
    }
    for (int k = 0; k < d2; ++k) super(0, k) = (k % dim_ == k / dim_) ? 1.0 : 0.0;
    Eigen::VectorXcd rhs = Eigen::VectorXcd::Zero(d2);
    rhs(0) = 1.0;
    const Eigen::VectorXcd x = super.partialPivLu().solve(rhs);
    Matrix rho = Eigen::Map<const Matrix>(x.data(), dim_, dim_);
    return 0.5 * (rho + rho.adjoint());
  }

  int dim() const { return dim_; }

 private:
  Sparse site(const Eigen::Matrix2cd& op, int k) const {
    // 1 (x) ... (x) op (x) ... (x) 1 with op on site k (site 0 = most significant bit).
    std::vector<Eigen::Triplet<Complex>> t;
    for (int s = 0; s < dim_; ++s)
      for (int b = 0; b < 2; ++b) {
        const int bit = (s >> (n_ - 1 - k)) & 1;
        const Complex v = op(b, bit);
        if (v == Complex(0)) continue;
        const int target = (s & ~(1 << (n_ - 1 - k))) | (b << (n_ - 1 - k));
        t.emplace_back(target, s, v);
      }
    Sparse m(dim_, dim_);
    m.setFromTriplets(t.begin(), t.end());
    return m;
  }

  /// One term rate L[l] of the master equation, with l^dag and l^dag l kept.
  struct Dissipator {
    Sparse l, ld, ldl;
    double rate;
  };

  void add_term(const Sparse& l, double rate) {
    if (rate == 0) return;
    const Sparse ld = l.adjoint();
    dissipators_.push_back({l, ld, Sparse(ld * l), rate});
  }

  /// rate * (2 L rho L^dag - L^dag L rho - rho L^dag L).
  static void add_dissipator(Matrix& out, const Matrix& rho, const Dissipator& d) {
    const Matrix l_rho = d.l * rho;
    out += d.rate * (2.0 * (l_rho * d.ld) - d.ldl * rho - rho * d.ldl);
  }

  Matrix dark_projector() const {
    const Sparse lower = lower_charger_ + lower_battery_;
    const Matrix a = Matrix(Sparse(lower.adjoint()) * lower);
    Eigen::SelfAdjointEigenSolver<Matrix> eig(a);
    Matrix p = Matrix::Zero(dim_, dim_);
    for (int k = 0; k < dim_; ++k)
      if (std::fabs(eig.eigenvalues()(k)) < 1e-9)
        p += eig.eigenvectors().col(k) * eig.eigenvectors().col(k).adjoint();
    p(0, 0) -= 1.0;  // all spins down (index 0) is annihilated but stores nothing
    return p;
  }

  Matrix battery_state(const Matrix& rho) const {
    const int db = 1 << c_.n_battery, dc = 1 << c_.n_charger;
    Matrix r = Matrix::Zero(db, db);
    for (int ic = 0; ic < dc; ++ic) r += rho.block(ic * db, ic * db, db, db);
    return r;
  }

  /// Battery J^z of a battery basis state.
  double battery_level(int s) const {
    double m = 0;
    for (int i = 0; i < c_.n_battery; ++i) m += ((s >> i) & 1) ? 0.5 : -0.5;
    return m;
  }

  double ergotropy(const Matrix& rho_b) const {
    const int db = static_cast<int>(rho_b.rows());
    Eigen::SelfAdjointEigenSolver<Matrix> eig(rho_b, Eigen::EigenvaluesOnly);
    std::vector<double> p(eig.eigenvalues().data(), eig.eigenvalues().data() + db), e(db);
    for (int s = 0; s < db; ++s) e[s] = battery_level(s);
    std::sort(p.rbegin(), p.rend());
    std::sort(e.begin(), e.end());
    double energy = 0, passive = 0;
    for (int s = 0; s < db; ++s) {
      energy += rho_b(s, s).real() * battery_level(s);
      passive += p[s] * e[s];
    }
    return (energy - passive) / c_.n_battery;
  }

  double partial_transpose_trace_norm(const Matrix& rho) const {
    const int db = 1 << c_.n_battery, dc = 1 << c_.n_charger;
    Matrix pt(dim_, dim_);
    for (int ic = 0; ic < dc; ++ic)
      for (int jc = 0; jc < dc; ++jc)
        for (int ib = 0; ib < db; ++ib)
          for (int jb = 0; jb < db; ++jb) pt(ic * db + ib, jc * db + jb) = rho(ic * db + jb, jc * db + ib);
    Eigen::SelfAdjointEigenSolver<Matrix> eig(pt, Eigen::EigenvaluesOnly);
    return eig.eigenvalues().cwiseAbs().sum();
  }

  /// Population of each total battery spin j_B: eigenspaces of J_B^2.
  void add_battery_sectors(const Matrix& rho_b, std::map<std::string, double>& o) const {
    const int db = 1 << c_.n_battery;
    Eigen::Matrix2cd lower, raise, pauli_z;
    lower << 0, 1, 0, 0;
    raise << 0, 0, 1, 0;
    pauli_z << -1, 0, 0, 1;
    Matrix jm = Matrix::Zero(db, db), jz = Matrix::Zero(db, db);
    for (int i = 0; i < c_.n_battery; ++i) {
      Matrix a = Matrix::Identity(1, 1), b = Matrix::Identity(1, 1);
      for (int k = 0; k < c_.n_battery; ++k) {
        const Matrix l = k == i ? Matrix(lower) : Matrix::Identity(2, 2);
        const Matrix z = k == i ? Matrix(pauli_z) : Matrix::Identity(2, 2);
        Matrix na(a.rows() * 2, a.cols() * 2), nb(b.rows() * 2, b.cols() * 2);
        for (int r = 0; r < a.rows(); ++r)
          for (int c = 0; c < a.cols(); ++c) {
            na.block(r * 2, c * 2, 2, 2) = a(r, c) * l;
            nb.block(r * 2, c * 2, 2, 2) = b(r, c) * z;
          }
        a = na;
        b = nb;
      }
      jm += a;
      jz += 0.5 * b;
    }
    const Matrix j2 = jm.adjoint() * jm + jz * jz - jz;  // J^+J^- + J_z^2 - J_z
    Eigen::SelfAdjointEigenSolver<Matrix> eig(j2);
    for (int k = 0; k < db; ++k) {
      const double lambda = eig.eigenvalues()(k);
      const double j = std::round(2 * (-0.5 + std::sqrt(0.25 + lambda))) / 2;
      const auto v = eig.eigenvectors().col(k);
      std::string name = "jB=" + format_j(j);
      o[name] += (v.adjoint() * rho_b * v)(0, 0).real();
    }
  }

  static std::string format_j(double j) {
    const long twice = std::lround(2 * j);
    return twice % 2 ? std::to_string(twice / 2) + ".5" : std::to_string(twice / 2);
  }

  DenseCase c_;
  int n_, dim_;
  std::vector<Sparse> s_minus_, s_plus_, s_z_;
  // lower_total_: the reservoir's collective J^- (J_C^- + J_B^-, J_B^-, J_C^- or 0).
  Sparse lower_charger_, lower_battery_, lower_total_, raise_total_, jz_charger_, jz_battery_;
  std::vector<Dissipator> dissipators_;
  double norm_bound_ = 0;
};

}  // namespace darkcharge::testing
