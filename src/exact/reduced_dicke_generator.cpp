// The reduced Dicke-basis generator: collective jumps keep (j_C, j_B), single-spin jumps
// move j_X by 0 or +-1 with the weights of physics/local_noise; assembled once as a sparse
// matrix on the flat (or packed) state. Also the initial state and (un)packing.
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
#include "darkcharge/physics/process.hpp"

namespace darkcharge::reduced_dicke {
namespace {

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
  BlockTerms(const Layout& layout, const Model& model, int target)
      : layout_(layout), model_(model), target_(layout.blocks()[target]),
        sector_(layout.sectors()[target_.sector]) {
    // G and the jump (sandwich) terms of every process of the model (physics/process.hpp).
    BlockTridiagonal g = no_jump_generator(model_, sector_.jc, sector_.jb, target_.M);
    g_diagonal = std::move(g.diagonal);
    g_link = std::move(g.link);
    for (const Process& p : processes(model_)) {
      if (p.collective()) {
        add_collective(p);
      } else {
        for (int shift = -1; shift <= 1; ++shift) add_local(p, shift);
      }
    }
  }

  /// G = (1/2) sum_k K_k^dag K_k as a symmetric tridiagonal matrix in m_B (diagonal, link
  /// i <-> i + 1), and the sandwiches K rho K^T that feed this block.
  std::vector<double> g_diagonal, g_link;
  std::vector<Sandwich> sandwiches;

 private:
  double m_charger(double mb) const { return target_.M - mb; }

  /// Row index of level mb in `block`, or -1.
  static int row_of(const Block& block, double mb) {
    const int i = count(mb - block.first_mb);
    return i < 0 || i >= block.n ? -1 : i;
  }

  /// J^-_total rho J^+_total into this block from M + 1 (emission), or J^+ rho J^- from
  /// M - 1 (absorption): each ensemble's ladder operator is one link per row. With the
  /// reservoir on one ensemble (p.on), only that ensemble's link.
  void add_collective(const Process& p) {
    const int direction = -p.m_step();  // the source block's M is the target's + direction
    const int source = layout_.block_index(target_.sector, target_.M + direction);
    if (source < 0) return;
    const Block& s = layout_.blocks()[source];
    const double jc = sector_.jc, jb = sector_.jb;
    Sandwich w{source, p.rate, std::vector<std::vector<RowLink>>(target_.n)};
    for (int i = 0; i < target_.n; ++i) {
      const double mb = target_.first_mb + i, mc = m_charger(mb);
      // Charger moved: source (m_C + direction, m_B). Battery moved: (m_C, m_B + direction).
      const double mc_source = mc + direction, mb_source = mb + direction;
      const double charger = ladder_squared(p, jc, mc_source), battery = ladder_squared(p, jb, mb_source);
      const int rc = row_of(s, mb), rb = row_of(s, mb_source);
      const bool on_charger = p.on != Ensemble::battery, on_battery = p.on != Ensemble::charger;
      if (on_charger && rc >= 0 && std::fabs(mc_source) <= jc && charger > 0)
        w.rows[i].push_back({rc, std::sqrt(charger)});
      if (on_battery && rb >= 0 && std::fabs(mb_source) <= jb && battery > 0)
        w.rows[i].push_back({rb, std::sqrt(battery)});
    }
    sandwiches.push_back(std::move(w));
  }

  /// p_s g_s w_D(j_source) B_D rho_source B_D^T from sector j_X - D, block M - delta.
  void add_local(const Process& p, int shift) {
    const LocalChannel channel = p.local_channel();
    const bool battery = p.on == Ensemble::battery;
    const double rate = channel_prefactor(channel) * p.rate;
    const int delta = p.m_step();
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
  const Model model_;  // the generator's model (a protocol segment's, or the layout's)
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

}  // namespace

SparseGenerator build_generator(const Layout& layout, const LocalNoise& noise, bool packed) {
  Model model = layout.model();
  model.local = noise;
  return build_generator(layout, model, packed);
}

SparseGenerator build_generator(const Layout& layout, const Model& model, bool packed) {
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
    const BlockTerms terms(layout, model, k);
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


}  // namespace darkcharge::reduced_dicke
