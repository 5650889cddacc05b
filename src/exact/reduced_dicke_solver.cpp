#include "darkcharge/exact/reduced_dicke_solver.hpp"

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

namespace darkcharge {
namespace {

constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;
/// Calibrated on the benchmark cases (bench/local_exact.sh, 2 threads).
constexpr double kSecondsPerFlop = 2.1e-9;
/// Battery sectors with more weight than this outside j_B = N_B/2 make W_B_sym undefined.
constexpr double kSymmetricWeightFloor = 1e-12;

/// Nearest integer of x, always within rounding of one (quantum numbers and differences).
int count(double x) { return static_cast<int>(x >= 0 ? x + 0.5 : x - 0.5); }

// ---------------------------------------------------------------------------------------
// Layout: which (j_C, j_B) sectors and M blocks the state holds, and where.

struct Sector {
  double jc, jb;
  int first_block, blocks;
};

/// One definite-M block of one sector: rows (and columns) m_B = first_mb, ..., first_mb + n - 1,
/// stored column-major at `offset` of the flat state.
struct Block {
  int sector;
  double M, first_mb;
  int n;
  long offset;
  long packed_offset;  ///< of its lower triangle (column-major) in the packed state
};

/// Index of entry (r, c), r >= c, of an n x n block's lower triangle stored column-major.
inline long packed_index(int n, int r, int c) { return long(c) * n - long(c) * (c - 1) / 2 + (r - c); }

class Layout {
 public:
  Layout(const Model& model, const LocalNoise& noise) : model_(model) {
    // Collective terms keep (j_C, j_B); local noise on X reaches every j_X, and the thermal
    // battery starts in every j_B.
    charger_sectors_ = noise.charger.any() ? model.n_charger / 2 + 1 : 1;
    const bool spread = noise.battery.any() || initial_mixture(model).size() > 1;
    battery_sectors_ = spread ? model.n_battery / 2 + 1 : 1;
    index_.assign(charger_sectors_ * battery_sectors_, -1);
    for (int ic = 0; ic < charger_sectors_; ++ic)
      for (int ib = 0; ib < battery_sectors_; ++ib) add_sector(ic, ib);
  }

  const std::vector<Sector>& sectors() const { return sectors_; }
  const std::vector<Block>& blocks() const { return blocks_; }
  long size() const { return size_; }
  /// Numbers in the packed state (lower triangles only: every block stays symmetric).
  long packed_size() const { return packed_size_; }
  const Model& model() const { return model_; }

  /// Index of sector (jc, jb), or -1 when the state does not hold it.
  int sector_index(double jc, double jb) const {
    const int ic = count(model_.j_charger() - jc), ib = count(model_.j_battery() - jb);
    if (ic < 0 || ic >= charger_sectors_ || ib < 0 || ib >= battery_sectors_) return -1;
    return index_[ic * battery_sectors_ + ib];
  }
  /// Index of block M of a sector, or -1 when |M| > j_C + j_B.
  int block_index(int sector, double M) const {
    if (sector < 0) return -1;
    const Sector& s = sectors_[sector];
    const int k = count(M + s.jc + s.jb);
    return k < 0 || k >= s.blocks ? -1 : s.first_block + k;
  }

 private:
  void add_sector(int ic, int ib) {
    const double jc = model_.j_charger() - ic, jb = model_.j_battery() - ib;
    if (jc < 0 || jb < 0) return;
    index_[ic * battery_sectors_ + ib] = static_cast<int>(sectors_.size());
    Sector s{jc, jb, static_cast<int>(blocks_.size()), count(2 * (jc + jb)) + 1};
    for (int k = 0; k < s.blocks; ++k) {
      const double M = k - (jc + jb);
      const double first = std::max(-jb, M - jc), last = std::min(jb, M + jc);
      const int n = count(last - first) + 1;
      blocks_.push_back({static_cast<int>(sectors_.size()), M, first, n, size_, packed_size_});
      size_ += long(n) * n;
      packed_size_ += long(n) * (n + 1) / 2;
    }
    sectors_.push_back(s);
  }

  Model model_;
  int charger_sectors_ = 1, battery_sectors_ = 1;
  std::vector<int> index_;
  std::vector<Sector> sectors_;
  std::vector<Block> blocks_;
  long size_ = 0, packed_size_ = 0;
};

// ---------------------------------------------------------------------------------------
// The generator as a sparse real matrix on the flat state (CSR, applied in parallel).

struct SparseGenerator {
  long rows = 0;
  std::vector<long> start;  // rows + 1
  std::vector<int> column;   // 4 bytes: the products are memory bound
  std::vector<double> value;

  void apply(const Eigen::Ref<const Eigen::VectorXd>& x, Eigen::VectorXd& y) const {
    y.resize(rows);
#pragma omp parallel for schedule(static) if (rows > 20000)
    for (long r = 0; r < rows; ++r) {
      double sum = 0;
      for (long k = start[r]; k < start[r + 1]; ++k) sum += value[k] * x[column[k]];
      y[r] = sum;
    }
  }
};

/// One way a target row of a block is fed from a row of a source block: amplitude `amp`.
struct RowLink {
  int row;
  double amp;
};

/// A sandwich K rho_source K^T into one target block, K given row by row of the target
/// (at most two links per row: J^- = J_C^- + J_B^- lowers either ensemble).
struct Sandwich {
  int source;
  double weight;
  std::vector<std::vector<RowLink>> rows;
};

/// Builds the sandwiches and the anticommutator G of one target block (physics.md: the
/// collective dissipator with rates 2 gamma (nbar+1), 2 gamma nbar, plus the local one).
class BlockTerms {
 public:
  BlockTerms(const Layout& layout, const LocalNoise& noise, int target)
      : layout_(layout), model_(layout.model()), target_(layout.blocks()[target]),
        sector_(layout.sectors()[target_.sector]) {
    build_anticommutator(noise);
    add_collective(+1, model_.emission_rate());    // J^- rho J^+ from M + 1
    add_collective(-1, model_.absorption_rate());  // J^+ rho J^- from M - 1
    for (LocalChannel channel : kLocalChannels)
      for (int shift = -1; shift <= 1; ++shift) {
        add_local(channel, shift, noise.charger, false);
        add_local(channel, shift, noise.battery, true);
      }
  }

  /// G = gamma(nbar+1) J^+J^- + gamma nbar J^-J^+ + sum_X sum_s (p_s g_s / 2) A_s^X as a
  /// symmetric tridiagonal matrix in m_B (diagonal, link i <-> i + 1).
  std::vector<double> g_diagonal, g_link;
  std::vector<Sandwich> sandwiches;

 private:
  double m_charger(double mb) const { return target_.M - mb; }

  void build_anticommutator(const LocalNoise& noise) {
    const int n = target_.n;
    const double jc = sector_.jc, jb = sector_.jb, M = target_.M;
    const double down = model_.emission_rate() / 2, up = model_.absorption_rate() / 2;
    g_diagonal.assign(n, 0.0);
    g_link.assign(n, 0.0);
    for (int i = 0; i < n; ++i) {
      const double mb = target_.first_mb + i, mc = m_charger(mb);
      // J^+J^- diagonal, and J^-J^+ = J^+J^- - 2 J^z.
      const double lowered = lowering_squared(jc, mc) + lowering_squared(jb, mb);
      g_diagonal[i] = down * lowered + up * (lowered - 2 * M) +
                      local_anticommutator(noise.charger, model_.n_charger, mc) +
                      local_anticommutator(noise.battery, model_.n_battery, mb);
      // J_B^+ J_C^- links |m_C, m_B> to |m_C - 1, m_B + 1> (row i + 1); J_C^+ J_B^- back.
      if (i + 1 < n)
        g_link[i] = (down + up) * std::sqrt(lowering_squared(jc, mc) * raising_squared(jb, mb));
    }
  }

  /// sum_s (p_s g_s / 2) <sum_i s_i^dag s_i> at level m of one ensemble.
  static double local_anticommutator(const LocalRates& rates, int n, double m) {
    double g = 0;
    for (LocalChannel channel : kLocalChannels)
      g += 0.5 * channel_prefactor(channel) * channel_rate(rates, channel) *
           local_completeness_target(channel, n, m);
    return g;
  }

  /// Row index of level mb in `block`, or -1.
  static int row_of(const Block& block, double mb) {
    const int i = count(mb - block.first_mb);
    return i < 0 || i >= block.n ? -1 : i;
  }

  /// J^-_total rho J^+_total into this block from M + 1 (direction +1), or J^+ rho J^- from
  /// M - 1 (direction -1): each ensemble's ladder operator is one link per row.
  void add_collective(int direction, double rate) {
    if (rate == 0) return;
    const int source = layout_.block_index(target_.sector, target_.M + direction);
    if (source < 0) return;
    const Block& s = layout_.blocks()[source];
    const double jc = sector_.jc, jb = sector_.jb;
    Sandwich w{source, rate, std::vector<std::vector<RowLink>>(target_.n)};
    for (int i = 0; i < target_.n; ++i) {
      const double mb = target_.first_mb + i, mc = m_charger(mb);
      // Charger moved: source (m_C + direction, m_B). Battery moved: (m_C, m_B + direction).
      const double mc_source = mc + direction, mb_source = mb + direction;
      const double charger = direction > 0 ? lowering_squared(jc, mc_source) : raising_squared(jc, mc_source);
      const double battery = direction > 0 ? lowering_squared(jb, mb_source) : raising_squared(jb, mb_source);
      const int rc = row_of(s, mb), rb = row_of(s, mb_source);
      if (rc >= 0 && std::fabs(mc_source) <= jc && charger > 0) w.rows[i].push_back({rc, std::sqrt(charger)});
      if (rb >= 0 && std::fabs(mb_source) <= jb && battery > 0) w.rows[i].push_back({rb, std::sqrt(battery)});
    }
    sandwiches.push_back(std::move(w));
  }

  /// p_s g_s w_D(j_source) B_D rho_source B_D^T from sector j_X - D, block M - delta.
  void add_local(LocalChannel channel, int shift, const LocalRates& rates, bool battery) {
    const double rate = channel_prefactor(channel) * channel_rate(rates, channel);
    if (rate == 0) return;
    const int delta = channel_m_step(channel);
    const double jc = sector_.jc - (battery ? 0 : shift), jb = sector_.jb - (battery ? shift : 0);
    const int n_spins = battery ? model_.n_battery : model_.n_charger;
    const double weight = rate * local_weight(n_spins, battery ? jb : jc, shift);
    if (weight == 0) return;
    const int source = layout_.block_index(layout_.sector_index(jc, jb), target_.M - delta);
    if (source < 0) return;
    const Block& s = layout_.blocks()[source];
    Sandwich w{source, weight, std::vector<std::vector<RowLink>>(target_.n)};
    for (int i = 0; i < target_.n; ++i) {
      const double mb = target_.first_mb + i;
      const double mb_source = battery ? mb - delta : mb, mc_source = s.M - mb_source;
      const int r = row_of(s, mb_source);
      if (r < 0) continue;
      const double amp = battery ? local_amplitude(channel, shift, jb, mb_source)
                                 : local_amplitude(channel, shift, jc, mc_source);
      if (amp != 0) w.rows[i].push_back({r, amp});
    }
    sandwiches.push_back(std::move(w));
  }

  const Layout& layout_;
  const Model& model_;
  const Block& target_;
  const Sector& sector_;
};

/// The rows of one target block: entry (a, b) at target.offset + a + b n.
/// With `packed`, only the rows a >= b, and columns of the packed state (the generator maps
/// symmetric blocks to symmetric blocks, so entry (r, c) and (c, r) share one number).
void block_rows(const Layout& layout, const BlockTerms& terms, int target, bool packed,
                std::vector<long>& row_nnz, std::vector<int>& column, std::vector<double>& value) {
  const Block& t = layout.blocks()[target];
  const int n = t.n;
  std::vector<std::pair<long, double>> entries;
  auto index = [packed](const Block& s, int r, int c) {
    if (!packed) return s.offset + r + long(c) * s.n;
    return s.packed_offset + (r >= c ? packed_index(s.n, r, c) : packed_index(s.n, c, r));
  };
  for (int b = 0; b < n; ++b)
    for (int a = packed ? b : 0; a < n; ++a) {
      entries.clear();
      auto at = [&](int r, int c) { return index(t, r, c); };
      // -(G rho + rho G), G symmetric tridiagonal.
      entries.push_back({at(a, b), -(terms.g_diagonal[a] + terms.g_diagonal[b])});
      if (a + 1 < n) entries.push_back({at(a + 1, b), -terms.g_link[a]});
      if (a > 0) entries.push_back({at(a - 1, b), -terms.g_link[a - 1]});
      if (b + 1 < n) entries.push_back({at(a, b + 1), -terms.g_link[b]});
      if (b > 0) entries.push_back({at(a, b - 1), -terms.g_link[b - 1]});
      for (const Sandwich& w : terms.sandwiches) {
        const Block& s = layout.blocks()[w.source];
        for (const RowLink& p : w.rows[a])
          for (const RowLink& q : w.rows[b])
            entries.push_back({index(s, p.row, q.row), w.weight * p.amp * q.amp});
      }
      std::sort(entries.begin(), entries.end(),
                [](const auto& x, const auto& y) { return x.first < y.first; });
      long kept = 0;
      for (std::size_t k = 0; k < entries.size(); ++k) {
        if (kept > 0 && column.back() == entries[k].first) {
          value.back() += entries[k].second;
        } else {
          column.push_back(static_cast<int>(entries[k].first));
          value.push_back(entries[k].second);
          ++kept;
        }
      }
      row_nnz.push_back(kept);
    }
}

SparseGenerator build_generator(const Layout& layout, const LocalNoise& noise, bool packed = false) {
  if (layout.size() > std::numeric_limits<int>::max())
    throw InvalidArgument(fmt::format("exact solver with local noise: {} stored numbers exceed the "
                                      "generator's 32-bit column index", layout.size()));
  const int n_blocks = static_cast<int>(layout.blocks().size());
  struct Rows {
    std::vector<long> nnz;
    std::vector<int> column;
    std::vector<double> value;
  };
  std::vector<Rows> rows(n_blocks);
#pragma omp parallel for schedule(dynamic, 8)
  for (int k = 0; k < n_blocks; ++k) {
    const BlockTerms terms(layout, noise, k);
    block_rows(layout, terms, k, packed, rows[k].nnz, rows[k].column, rows[k].value);
  }
  SparseGenerator g;
  g.rows = packed ? layout.packed_size() : layout.size();
  long nnz = 0;
  for (const Rows& r : rows) nnz += static_cast<long>(r.column.size());
  g.start.reserve(g.rows + 1);
  g.column.reserve(nnz);
  g.value.reserve(nnz);
  g.start.push_back(0);
  for (Rows& r : rows) {  // blocks are stored in offset order
    for (long c : r.nnz) g.start.push_back(g.start.back() + c);
    g.column.insert(g.column.end(), r.column.begin(), r.column.end());
    g.value.insert(g.value.end(), r.value.begin(), r.value.end());
    r = Rows{};
  }
  return g;
}

// ---------------------------------------------------------------------------------------
// Initial state and observables.

Eigen::VectorXd initial_state(const Layout& layout) {
  const Model& model = layout.model();
  Eigen::VectorXd x = Eigen::VectorXd::Zero(layout.size());
  for (const auto& level : initial_mixture(model)) {
    if (level.probability == 0) continue;
    const int sector = layout.sector_index(model.j_charger(), level.state.j_battery);
    const int k = layout.block_index(sector, model.j_charger() + level.state.m_battery);
    const Block& b = layout.blocks()[k];
    const int i = count(level.state.m_battery - b.first_mb);
    x[b.offset + i + long(i) * b.n] += level.probability;
  }
  return x;
}

/// The lower triangles of the blocks of a full state (blocks are symmetric).
Eigen::VectorXd pack(const Layout& layout, const Eigen::VectorXd& x) {
  Eigen::VectorXd p(layout.packed_size());
  for (const Block& b : layout.blocks())
    for (int c = 0; c < b.n; ++c)
      for (int r = c; r < b.n; ++r) p[b.packed_offset + packed_index(b.n, r, c)] = x[b.offset + r + long(c) * b.n];
  return p;
}

/// The full (symmetric) blocks of a packed state.
void unpack(const Layout& layout, const Eigen::VectorXd& p, Eigen::VectorXd& x) {
  x.resize(layout.size());
  for (const Block& b : layout.blocks())
    for (int c = 0; c < b.n; ++c)
      for (int r = c; r < b.n; ++r)
        x[b.offset + r + long(c) * b.n] = x[b.offset + c + long(r) * b.n] = p[b.packed_offset + packed_index(b.n, r, c)];
}

/// Everything measured at one time, summed over blocks (linear in rho unless noted).
struct Snapshot {
  double jz_charger = 0, jz_battery = 0, jz_battery_squared = 0, power = 0, dark = 0;
  double emission = 0, absorption = 0;  // <J^+J^->, <J^-J^+>
  double trace_norm = 0;                // ||rho^{T_B}||_1 (nonlinear)
  std::vector<double> battery_sector;   // Tr over sectors with j_B = N_B/2 - index
  std::vector<SectorEigenvalue> battery_spectrum;
};

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

// ---------------------------------------------------------------------------------------
// Columns.

std::string sector_name(double jb) { return fmt::format("jB={}", jb); }

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
  column("I_em", per_time([&](const Snapshot& x) { return model.emission_rate() * x.emission; }));
  column("I_abs", per_time([&](const Snapshot& x) { return model.absorption_rate() * x.absorption; }));
  // Single-spin currents: g_down <N_X/2 + J_z^X>, g_up <N_X/2 - J_z^X>.
  column("I_loc_em_C", per_time([&](const Snapshot& x) { return noise.charger.decay * (nc / 2 + x.jz_charger); }));
  column("I_loc_abs_C", per_time([&](const Snapshot& x) { return noise.charger.pumping * (nc / 2 - x.jz_charger); }));
  column("I_loc_em_B", per_time([&](const Snapshot& x) { return noise.battery.decay * (nb / 2 + x.jz_battery); }));
  column("I_loc_abs_B", per_time([&](const Snapshot& x) { return noise.battery.pumping * (nb / 2 - x.jz_battery); }));
  for (int i = 0; i <= model.n_battery / 2; ++i)
    column(sector_name(model.j_battery() - i), per_time([i](const Snapshot& x) { return x.battery_sector[i]; }));
  return out;
}

// ---------------------------------------------------------------------------------------
// Time stepping.

/// exp(t L) x by Krylov subspaces (Arnoldi, Saad 1992; substeps as Expokit's dgexpv): a
/// subspace of dimension m resolves a step tau with |tau L| up to ~m^2 on the real spectrum,
/// so the cost is set by accuracy, not by the largest rate as an explicit method's is.
/// Error per substep (Saad's estimate beta h_{m+1,m} |e_m^T exp(tau H) e_1|, 2-norm, >= the
/// max norm) <= absolute + relative max|y|, as the explicit method's.
class KrylovExponential {
 public:
  KrylovExponential(const SparseGenerator& generator, const ReducedDickeOptions& options, int dimension = 30)
      : f_(generator), options_(options), m_(dimension) {}

  /// Advances y from times[0] through times.back(), calling out(g, y(times[g])) for every
  /// g >= 1; one Krylov subspace serves every grid time its step covers.
  template <class Output>
  void advance(Eigen::VectorXd& y, const std::vector<double>& times, Output&& out) {
    const long n = y.size();
    double t = times.front();
    const double t1 = times.back();
    std::size_t next_point = 1;
    if (basis_.cols() != m_ + 1 || basis_.rows() != n) basis_.resize(n, m_ + 1);
    while (t < t1) {
      if (options_.stop && options_.stop->load())
        throw Interrupted(fmt::format("reduced Dicke solver stopped at t = {}", t));
      const double beta = y.norm();
      if (beta == 0) return;
      basis_.col(0) = y / beta;
      Eigen::MatrixXd h = Eigen::MatrixXd::Zero(m_ + 1, m_ + 1);
      int m = m_;
      bool breakdown = false;
      for (int j = 0; j < m_; ++j) {
        f_.apply(basis_.col(j), w_);
        ++products_;
        // Classical Gram-Schmidt, repeated when it cancels much (BLAS-2, stable).
        double before = w_.norm(), next = before;
        for (int pass = 0; pass < 3; ++pass) {
          const Eigen::VectorXd c = basis_.leftCols(j + 1).transpose() * w_;
          w_.noalias() -= basis_.leftCols(j + 1) * c;
          h.col(j).head(j + 1) += c;
          next = w_.norm();
          if (next > 0.5 * before) break;
          before = next;
        }
        if (next <= 1e-14 * h.col(j).head(j + 1).norm() + 1e-300) {
          m = j + 1;
          breakdown = true;
          break;
        }
        h(j + 1, j) = next;
        basis_.col(j + 1) = w_ / next;
      }
      const double scale = options_.absolute_tolerance + options_.relative_tolerance * y.cwiseAbs().maxCoeff();
      double tau = std::min(t1 - t, step_);
      if (step_ >= t1 - t) tau = t1 - t;
      Eigen::VectorXd coefficients;
      for (int attempt = 0;; ++attempt) {
        const Eigen::MatrixXd e = (tau * h.topLeftCorner(m, m)).exp();
        const double err = breakdown ? 0.0 : beta * h(m, m - 1) * std::fabs(e(m - 1, 0)) * 2;
        if (!std::isfinite(err))
          throw NumericalError(fmt::format("reduced Dicke solver: non-finite error at t = {}", t));
        if (err <= scale) {
          coefficients = beta * e.col(0);
          // Next substep: the estimate scales like tau^(m) at best; grow cautiously.
          const double grow = err == 0 ? 2.0 : std::clamp(0.9 * std::pow(scale / err, 1.0 / m), 1.0, 2.0);
          if (tau == step_ || tau < t1 - t) step_ = tau * grow;
          break;
        }
        tau *= std::clamp(0.9 * std::pow(scale / err, 1.0 / m), 0.1, 0.7);
        step_ = tau;
        if (attempt > 200 || tau < 1e-15 * (1 + std::fabs(t)))
          throw NumericalError(fmt::format("reduced Dicke solver: Krylov step collapsed at t = {}", t));
      }
      const double t_end = (tau >= t1 - t) ? t1 : t + tau;
      // Grid times inside this step from the same subspace (the estimate grows with tau).
      while (next_point < times.size() - 1 && times[next_point] < t_end) {
        const Eigen::VectorXd c = beta * ((times[next_point] - t) * h.topLeftCorner(m, m)).exp().col(0);
        out_.noalias() = basis_.leftCols(m) * c;
        out(static_cast<int>(next_point), out_);
        ++next_point;
      }
      y.noalias() = basis_.leftCols(m) * coefficients;
      t = t_end;
      if (next_point < times.size() && times[next_point] <= t) {
        out(static_cast<int>(next_point), y);
        ++next_point;
      }
      ++steps_;
    }
  }
  long steps() const { return steps_; }
  long products() const { return products_; }

 private:
  const SparseGenerator& f_;
  const ReducedDickeOptions& options_;
  int m_;
  double step_ = 1e-3;
  long steps_ = 0, products_ = 0;
  Eigen::MatrixXd basis_;
  Eigen::VectorXd w_, out_;
};

/// Largest rate of the generator, ~ the negative eigenvalue that limits an explicit step.
double stiffness(const Model& model, const LocalNoise& noise) {
  const double j = 0.5 * (model.n_battery + model.n_charger);
  auto local = [](const LocalRates& r, int n) { return (r.decay + r.pumping + r.dephasing) * n; };
  return 2 * model.gamma * (2 * model.nbar + 1) * (j * (j + 1) + 0.25) +
         local(noise.charger, model.n_charger) + local(noise.battery, model.n_battery);
}

void check_cost(const Model& model, const LocalNoise& noise, const TimeGrid& grid,
                const ReducedDickeOptions& options) {
  const ReducedDickeCost cost = estimate_reduced_dicke_cost(model, noise, grid, options);
  const std::string what = fmt::format("exact solver with local noise (reduced Dicke basis): N_B = {}, N_C = {}, {}",
                                       model.n_battery, model.n_charger, cost.size);
  if (cost.memory_gib > options.max_memory_gib)
    throw InvalidArgument(fmt::format("{} needs an estimated {:.3g} GiB, more than max_memory_gib = {:.3g}",
                                      what, cost.memory_gib, options.max_memory_gib));
  if (cost.seconds > options.max_seconds)
    throw InvalidArgument(fmt::format("{} needs an estimated {:.3g} s, more than max_seconds = {:.3g}",
                                      what, cost.seconds, options.max_seconds));
}

}  // namespace

ReducedDickeCost estimate_reduced_dicke_cost(const Model& model, const LocalNoise& noise,
                                             const TimeGrid& grid, const ReducedDickeOptions& options) {
  validate(model);
  validate(noise);
  validate(grid);
  check_positive("ReducedDickeOptions::relative_tolerance", options.relative_tolerance);
  check_non_negative("ReducedDickeOptions::absolute_tolerance", options.absolute_tolerance);
  // Sizes from the layout's formulas without building it (cheap even when refused).
  const bool charger_spread = noise.charger.any();
  const bool battery_spread = noise.battery.any() || initial_mixture(model).size() > 1;
  double numbers = 0, sectors = 0, widest = 0;
  for (int ic = 0; ic <= (charger_spread ? model.n_charger / 2 : 0); ++ic)
    for (int ib = 0; ib <= (battery_spread ? model.n_battery / 2 : 0); ++ib) {
      const double jc = model.j_charger() - ic, jb = model.j_battery() - ib;
      const double lo = std::min(jc, jb), hi = std::max(jc, jb), w = 2 * lo + 1;
      // sum_M n(M)^2: width w over 2(hi - lo) + 1 values of M, tapering at both ends.
      numbers += (2 * (hi - lo) + 1) * w * w + 2 * (w - 1) * w * (2 * w - 1) / 6;
      sectors += 1;
      widest = std::max(widest, w);
    }
  int channels = 5 + 8;
  for (const LocalRates* r : {&noise.charger, &noise.battery})
    for (LocalChannel c : kLocalChannels) channels += channel_rate(*r, c) > 0 ? 3 : 0;
  ReducedDickeCost cost;
  cost.numbers = numbers;
  cost.entries = numbers * channels;
  // Krylov exponential (m = 30 products per substep) on the packed state (half the numbers
  // and entries): measured ~20 + t rate / 60 substeps (N_B = 10, N_C = 40: 60 substeps).
  const double rate = stiffness(model, noise);
  cost.steps = 30 * (20 + grid.t_max * rate / 60);  // generator products
  const int threads = std::max(1, omp_get_max_threads());
  // Per product: the packed sparse product (entries / 2, 12 bytes each, memory bound) and
  // classical Gram-Schmidt against ~15 vectors, twice; observables per point.
  const double flops = cost.steps * (cost.entries + 60 * numbers / 2) +
                       grid.points * numbers * (widest + 20);
  cost.seconds = flops * kSecondsPerFlop / std::min(threads, 2);
  cost.memory_gib = (12 * cost.entries / 2 + 8 * (31 + 6) * numbers / 2 + 8 * 3 * numbers) / kGiB +
                    16.0 * cost.entries / kGiB * (1.0 / std::max<double>(1, sectors));
  cost.size = fmt::format("{} sectors, {:.3g} stored numbers, {:.3g} generator entries, ~{:.3g} generator products",
                          sectors, numbers, cost.entries, cost.steps);
  (void)widest;
  return cost;
}

std::vector<std::string> reduced_dicke_columns(const Model& model, const LocalNoise&) {
  std::vector<std::string> names = {"E_B", "E_C", "P_B", "W_open", "dark", "W_B", "W_B_sym",
                                    "S_B", "dS_B_dt", "sigma_B", "I_em", "I_abs", "I_loc_em_C",
                                    "I_loc_abs_C", "I_loc_em_B", "I_loc_abs_B"};
  for (int i = 0; i <= model.n_battery / 2; ++i) names.push_back(sector_name(model.j_battery() - i));
  return names;
}

void validate_reduced_dicke_columns(const Model& model, const LocalNoise& noise,
                                    const std::vector<std::string>& names) {
  const std::vector<std::string> known = reduced_dicke_columns(model, noise);
  for (const std::string& name : names) {
    if (std::find(known.begin(), known.end(), name) != known.end()) continue;
    if (name == "N_em" || name == "N_abs" || name == "F_em")
      throw InvalidArgument(fmt::format(
          "column '{}' is not provided by the exact solver with local noise: it is a statistic "
          "of the collective jump record, not of rho (use the trajectory engine)", name));
    throw InvalidArgument(fmt::format("unknown column '{}' for the exact solver with local noise", name));
  }
}

TimeSeries solve_exact_local(const Model& model, const LocalNoise& noise, const TimeGrid& grid,
                             const ReducedDickeOptions& options, const ProgressCallback& progress) {
  check_cost(model, noise, grid, options);
  const Layout layout(model, noise);
  // The state is integrated packed (lower triangles of the symmetric blocks: half the work).
  const SparseGenerator generator = build_generator(layout, noise, true);
  Eigen::VectorXd p = pack(layout, initial_state(layout)), dp, x, dx;
  std::vector<Snapshot> snapshots;
  std::vector<double> time;
  auto record = [&](int g, const Eigen::VectorXd& state) {
    generator.apply(state, dp);
    unpack(layout, state, x);
    unpack(layout, dp, dx);
    snapshots.push_back(observe(layout, x, dx));
    time.push_back(grid.time(g));
    if (progress) progress(g + 1, grid.points);
  };
  record(0, p);
  if (grid.points > 1) {
    std::vector<double> times;
    for (int g = 0; g < grid.points; ++g) times.push_back(grid.time(g));
    KrylovExponential integrator(generator, options);
    integrator.advance(p, times, record);
  }
  return to_series(model, noise, time, snapshots, &grid);
}

TimeSeries solve_steady_local(const Model& model, const LocalNoise& noise,
                              const ReducedDickeOptions& options) {
  validate(model);
  validate(noise);
  const bool relaxing = noise.charger.decay + noise.charger.pumping + noise.battery.decay +
                            noise.battery.pumping > 0;
  // Without local noise on the battery, the weight of each initially populated j_B is conserved.
  const bool battery_sectors_conserved = !noise.battery.any() && initial_mixture(model).size() > 1;
  if (battery_sectors_conserved)
    throw InvalidArgument(
        "steady state with local noise: the thermal battery's j_B sector weights are conserved "
        "without local battery noise, so the stationary state depends on the initial state; "
        "evolve to long times instead (darkcharge exact, solve_exact_local)");
  if (!relaxing)
    throw InvalidArgument(
        "steady state with local noise: without local decay or pumping (collective jumps and "
        "dephasing only) the stationary state is not unique (it depends on the initial state "
        "through conserved quantities); evolve to long times instead (darkcharge exact, solve_exact_local)");
  TimeGrid grid{1.0, 2};
  check_cost(model, noise, grid, options);
  const Layout layout(model, noise);
  const SparseGenerator generator = build_generator(layout, noise);
  // L x = 0 with the trace fixed: replace the first diagonal row by the trace condition.
  const long n = layout.size();
  std::vector<Eigen::Triplet<double>> triplets;
  triplets.reserve(generator.value.size() + layout.blocks().size() * 8);
  const long trace_row = 0;
  for (long r = 0; r < n; ++r) {
    if (r == trace_row) continue;
    for (long k = generator.start[r]; k < generator.start[r + 1]; ++k)
      triplets.emplace_back(r, generator.column[k], generator.value[k]);
  }
  for (const Block& b : layout.blocks())
    for (int i = 0; i < b.n; ++i) triplets.emplace_back(trace_row, b.offset + i + long(i) * b.n, 1.0);
  Eigen::SparseMatrix<double> a(n, n);
  a.setFromTriplets(triplets.begin(), triplets.end());
  Eigen::SparseLU<Eigen::SparseMatrix<double>> lu;
  lu.compute(a);
  if (lu.info() != Eigen::Success)
    throw NumericalError("steady state with local noise: the generator's LU failed (stationary state not unique?)");
  Eigen::VectorXd rhs = Eigen::VectorXd::Zero(n);
  rhs[trace_row] = 1.0;
  Eigen::VectorXd x = lu.solve(rhs), dx;
  // Stored blocks are full matrices: symmetrise away the solver's rounding asymmetry.
  for (const Block& b : layout.blocks()) {
    Eigen::Map<Eigen::MatrixXd> r(x.data() + b.offset, b.n, b.n);
    r = (0.5 * (r + r.transpose())).eval();
  }
  generator.apply(x, dx);
  const double residual = dx.cwiseAbs().maxCoeff();
  if (!(residual < 1e-8))
    throw NumericalError(fmt::format("steady state with local noise: residual |L rho| = {:.3g}", residual));
  std::vector<Snapshot> snapshots{observe(layout, x, dx)};
  snapshots[0].power = 0;
  return to_series(model, noise, {std::numeric_limits<double>::infinity()}, snapshots, nullptr);
}

}  // namespace darkcharge
