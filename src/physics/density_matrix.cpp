#include "darkcharge/physics/density_matrix.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "darkcharge/core/errors.hpp"

namespace darkcharge {

void DensityMatrix::add_pure(double j_battery, double M, const Eigen::VectorXd& psi,
                             double weight) {
  Eigen::MatrixXd& block = blocks[{j_battery, M}];
  if (block.size() == 0) block = Eigen::MatrixXd::Zero(psi.size(), psi.size());
  block.selfadjointView<Eigen::Lower>().rankUpdate(psi, weight);
}

void DensityMatrix::add(const DensityMatrix& other, double factor) {
  for (const auto& [key, block] : other.blocks) {
    Eigen::MatrixXd& mine = blocks[key];
    if (mine.size() == 0) mine = Eigen::MatrixXd::Zero(block.rows(), block.cols());
    mine += factor * block;
  }
}

void DensityMatrix::scale(double factor) {
  for (auto& [key, block] : blocks) block *= factor;
}

std::vector<BatteryLevel> battery_level_populations(const DensityMatrix& rho, double j_charger) {
  std::map<std::pair<double, double>, double> population;  // (j_B, m_B)
  for (const auto& [key, block] : rho.blocks) {
    const auto [j_battery, M] = key;
    const double m_first = first_battery_level(j_charger, j_battery, M);
    for (int i = 0; i < block.rows(); ++i) population[{j_battery, m_first + i}] += block(i, i);
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

// Closed forms for 1x1 and 2x2: most blocks of rho^{T_B} at small N_B, and the S_B error
// estimate evaluates it ~100 times per output time. Not Eigen's 3x3 closed form
// (computeDirect): its trigonometric roots lose ~sqrt(eps) on the near-degenerate
// near-zero eigenvalues of low-rank blocks, which moved S_B by 1e-12 where it is 1e-8.
double trace_norm_symmetric(const Eigen::Ref<const Eigen::MatrixXd>& a) {
  if (a.rows() == 1) return std::fabs(a(0, 0));
  if (a.rows() == 2) {  // eigenvalues mean +- radius: |mean + r| + |mean - r| = 2 max(|mean|, r)
    const double mean = 0.5 * (a(0, 0) + a(1, 1));
    const double radius = std::hypot(0.5 * (a(0, 0) - a(1, 1)), a(1, 0));
    return 2 * std::max(std::fabs(mean), radius);
  }
  const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(a, Eigen::EigenvaluesOnly);
  return eig.eigenvalues().cwiseAbs().sum();
}

namespace {
/// Numbers of eigenvalues below each x[s] of the symmetric tridiagonal matrix (diagonal d,
/// squared off-diagonal e2), from the signs of the pivots of T - x I = L D L^T (Sylvester's
/// law of inertia), all shifts in one pass (independent recurrences: the divisions overlap).
/// A zero pivot is replaced by a tiny one, as LAPACK's dstebz does: each count is then exact
/// for a matrix within a few ulps of T.
void count_below(const Eigen::VectorXd& d, const Eigen::VectorXd& e2, const double* x, int shifts,
                 double tiny, double* pivot, int* below) {
  for (int s = 0; s < shifts; ++s) {
    pivot[s] = d(0) - x[s];
    below[s] = 0;
  }
  for (Eigen::Index i = 0;; ++i) {
    for (int s = 0; s < shifts; ++s) {
      if (std::fabs(pivot[s]) < tiny) pivot[s] = -tiny;
      below[s] += pivot[s] < 0;
    }
    if (i + 1 == d.size()) return;
    for (int s = 0; s < shifts; ++s) pivot[s] = d(i + 1) - x[s] - e2(i) / pivot[s];
  }
}
}  // namespace

double trace_norm_few_negative(const Eigen::Ref<const Eigen::MatrixXd>& a, double slack) {
  const Eigen::Index n = a.rows();
  if (n <= 2) return trace_norm_symmetric(Eigen::MatrixXd(a.selfadjointView<Eigen::Lower>()));
  const Eigen::Tridiagonalization<Eigen::MatrixXd> tri(a);
  const Eigen::VectorXd d = tri.diagonal();
  const Eigen::VectorXd e2 = tri.subDiagonal().array().square();
  double lowest = 0, norm = 0;  // Gershgorin bounds of T's spectrum
  for (Eigen::Index i = 0; i < n; ++i) {
    const double radius =
        (i > 0 ? std::sqrt(e2(i - 1)) : 0.0) + (i + 1 < n ? std::sqrt(e2(i)) : 0.0);
    lowest = std::min(lowest, d(i) - radius);
    norm = std::max(norm, std::fabs(d(i)) + radius);
  }
  if (norm == 0) return 0.0;
  constexpr double eps = std::numeric_limits<double>::epsilon();
  const double tiny = std::numeric_limits<double>::min() / eps;
  // How many eigenvalues lie below -slack, and below which of -1e-12, -1e-8, -1e-4 (times the
  // norm) none lies: the blocks this is for have a few negative eigenvalues near rounding
  // level, and that bracket saves ~40 of the ~52 halvings from the Gershgorin bound. Blocks
  // of low rank hold many eigenvalues at rounding level, about half of them negative: with a
  // slack those are not counted, and do not send the block to implicit QR.
  std::vector<double> x = {-slack, -1e-12 * norm, -1e-8 * norm, -1e-4 * norm};
  std::vector<double> pivot(std::max<Eigen::Index>(n, 4));
  std::vector<int> below(pivot.size());
  count_below(d, e2, x.data(), 4, tiny, pivot.data(), below.data());
  const int negative = below[0];
  if (negative == 0) return d.sum();
  if (4 * negative > n) {  // many: implicit QR on T is cheaper than bisecting each
    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig;
    eig.computeFromTridiagonal(d, tri.subDiagonal(), Eigen::EigenvaluesOnly);
    double sum = 0;  // those in [-slack, 0) with their sign, as in the trace
    for (const double l : eig.eigenvalues()) sum += l < -slack ? -l : l;
    return sum;
  }
  double start = lowest;
  for (int s = 3; s >= 1; --s)
    if (below[s] == 0) start = std::max(lowest, x[s]);
  // Bisection of every negative eigenvalue at once, each count narrowing every bracket it
  // bounds (eigenvalue m lies in [lo[m], hi[m]]) down to eps ||A||: the tridiagonalisation
  // and the Sturm counts are backward stable, so the eigenvalues are those of a matrix within
  // ~n eps ||A|| of A, as with implicit QR.
  const double tolerance = eps * norm;
  std::vector<double> lo(negative, start), hi(negative, x[0]);
  std::vector<int> which;
  for (;;) {
    x.clear();
    which.clear();
    for (int m = 0; m < negative; ++m) {
      const double mid = 0.5 * (lo[m] + hi[m]);
      if (hi[m] - lo[m] <= tolerance || mid <= lo[m] || mid >= hi[m]) continue;
      if (!x.empty() && mid == x.back()) continue;  // shared bracket: one count
      x.push_back(mid);
      which.push_back(m);
    }
    if (x.empty()) break;
    const int shifts = static_cast<int>(x.size());
    count_below(d, e2, x.data(), shifts, tiny, pivot.data(), below.data());
    for (int s = 0; s < shifts; ++s)
      for (int m = 0; m < negative; ++m) {
        if (below[s] > m) hi[m] = std::min(hi[m], x[s]);
        else lo[m] = std::max(lo[m], x[s]);
      }
  }
  double negative_sum = 0;
  for (int m = 0; m < negative; ++m) negative_sum += 0.5 * (lo[m] + hi[m]);
  return d.sum() - 2 * negative_sum;
}

PartialTranspose partial_transpose(const DensityMatrix& rho, double j_charger) {
  std::map<double, std::map<double, const Eigen::MatrixXd*>> by_sector;  // j_B -> M -> block
  for (const auto& [key, block] : rho.blocks) by_sector[key.first][key.second] = &block;
  const double j1 = j_charger;
  PartialTranspose out;
  for (const auto& [j2, by_m] : by_sector) {
    // Element of rho^{T_B} between (x_C, x_B) and (y_C, y_B) in block Q = x_C - x_B:
    //   <x_C y_B| rho |y_C x_B> = R^M[y_B, x_B] with M = x_C + y_B.
    auto element = [&, j2 = j2, &by_m = by_m](double x_c, double x_b, double y_b) {
      const double M = x_c + y_b;
      const auto it = by_m.find(M);
      if (it == by_m.end()) return 0.0;
      const double m_first = first_battery_level(j1, j2, M);
      const int row = static_cast<int>(std::lround(y_b - m_first));
      const int col = static_cast<int>(std::lround(x_b - m_first));
      return row >= col ? (*it->second)(row, col) : (*it->second)(col, row);  // lower part
    };
    for (double Q = -(j1 + j2); Q <= j1 + j2; Q += 1) {
      std::vector<double> levels;  // x_B with x_C = Q + x_B valid
      for (double x_b = -j2; x_b <= j2; x_b += 1)
        if (std::fabs(Q + x_b) <= j1) levels.push_back(x_b);
      const int n = static_cast<int>(levels.size());
      Eigen::MatrixXd block(n, n);
      for (int a = 0; a < n; ++a)
        for (int b = 0; b < n; ++b) block(a, b) = element(Q + levels[a], levels[a], levels[b]);
      if (!block.isZero(0.0)) out.blocks[{j2, Q}] = std::move(block);
    }
  }
  return out;
}

double PartialTranspose::trace_norm() const {
  double sum = 0;
  for (const auto& [key, block] : blocks) sum += trace_norm_symmetric(block);
  return sum;
}

double log_negativity(const DensityMatrix& rho, double j_charger) {
  return std::log2(partial_transpose(rho, j_charger).trace_norm());
}

namespace {
std::atomic<std::uint64_t> next_product_basis_id{1};
}  // namespace

ProductBasis::ProductBasis(double j_charger, const std::vector<double>& battery_sectors)
    : j_charger_(j_charger), sectors_(battery_sectors), id_(next_product_basis_id++) {
  std::sort(sectors_.begin(), sectors_.end());
}

ProductBasis::~ProductBasis() = default;

ClebschGordanCache& ProductBasis::thread_cache() const {
  // The last basis this thread used, by id: a destroyed basis's id never comes back.
  thread_local std::uint64_t owner = 0;
  thread_local ClebschGordanCache* mine = nullptr;
  if (owner == id_) return *mine;
  const std::lock_guard<std::mutex> lock(mutex_);
  auto& slot = caches_[std::this_thread::get_id()];
  if (!slot) slot = std::make_unique<ClebschGordanCache>(j_charger_, kCacheDoubles);
  owner = id_;
  mine = slot.get();
  return *mine;
}

void ProductBasis::to_product(double j_battery, double M, const double* c, int n, double norm2,
                              Eigen::VectorXd& psi) const {
  if (!std::binary_search(sectors_.begin(), sectors_.end(), j_battery))
    throw NumericalError(
        fmt::format("no Clebsch-Gordan table for battery sector j_B = {}", j_battery));
  ClebschGordanCache& cache = thread_cache();
  ClebschGordanCache::Block& block = cache.block(j_battery, M);
  if (n != block.size())
    throw NumericalError(fmt::format(
        "{} coupled amplitudes for a Clebsch-Gordan block of width {} at j_B = {}, M = {}", n,
        block.size(), j_battery, M));
  psi.setZero(n);
  const double negligible = kNegligibleWeight * norm2;
  for (int k = 0; k < n; ++k) {
    if (c[k] * c[k] <= negligible) continue;  // most J have decayed away: skip their columns
    psi += c[k] * Eigen::Map<const Eigen::VectorXd>(cache.column(block, k), n);
  }
  psi /= std::sqrt(norm2);
}

namespace {
/// Sum over the sectors' (j_B, M) blocks of f(n(M)), or any value above `limit` once the
/// sum exceeds it (a resource estimate at 10^6 spins need not visit 10^12 blocks).
template <class F>
double sum_over_blocks(double j_charger, const std::vector<double>& battery_sectors, F f,
                       double limit = std::numeric_limits<double>::infinity()) {
  double total = 0;
  for (double j2 : battery_sectors)
    for (double M = -(j_charger + j2); M <= j_charger + j2; M += 1) {
      total += f(j_charger + j2 - first_total_j(j_charger, j2, M) + 1);
      if (total > limit) return total;
    }
  return total;
}
}  // namespace

double block_diagonal_size(double j_charger, const std::vector<double>& battery_sectors) {
  return sum_over_blocks(j_charger, battery_sectors, [](double n) { return n * n; });
}

double ProductBasis::table_size(double j_charger, const std::vector<double>& battery_sectors) {
  // The cache evicts down to its budget before a block grows, so it can exceed the budget by
  // one block of the widest sector.
  double widest = 0;
  for (double j2 : battery_sectors) widest = std::max(widest, 2 * std::min(j_charger, j2) + 1);
  const double bound =
      kCacheDoubles + widest * widest + clebsch_gordan_block_overhead(static_cast<int>(widest));
  const double everything = sum_over_blocks(j_charger, battery_sectors, [](double n) {
    return n * n + clebsch_gordan_block_overhead(static_cast<int>(n));
  }, bound);
  return std::min(everything, bound);
}

}  // namespace darkcharge
