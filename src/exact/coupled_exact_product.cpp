// The nonlinear columns of the birth-death chains (W_B, W_B_sym, S_B) need the product basis
// |m_C> (x) |m_B>: each M block of a sector is turned over with the Clebsch-Gordan columns
// of the J it holds, P^M = U_S R_S U_S^T (S: the J with a non-negligible entry at this M,
// usually far fewer than the block's width), rho_B is its diagonal, and rho^{T_B} is block
// diagonal in Q = m_C - m_B (Eq. 12). A Q block only draws on the M blocks that hold
// something, is assembled only when its norm is too large to settle it by that alone, and
// needs its eigenvalues only when a Cholesky factorisation cannot show it positive
// semidefinite.
#include <algorithm>
#include <cmath>
#include <memory>
#include <utility>

#include <Eigen/Dense>

#include "darkcharge/physics/clebsch_gordan_recursion.hpp"
#include "exact/anti_diagonals.hpp"
#include "exact/coupled_exact_internal.hpp"
#include "exact/q_blocks.hpp"
#include "exact/small_dense.hpp"

namespace darkcharge::coupled_exact {
namespace {

struct Entry {
  int row, col;  // J - first_total_j(M), J' - first_total_j(M)
  double value;
};

}  // namespace

/// Buffers of sector_nonlinear() kept from one call to the next (one per calling thread):
/// allocating them afresh for every sector and grid time cost ~30% of a thermal run in
/// malloc and page faults. The diagonals and anti-diagonal squares of the P^M lie in one
/// buffer each, M after M (a vector per M was a cache miss per M in the passes that sum
/// them, ~4% of N_B = 100, N_C = 1000).
struct NonlinearScratch {
  std::vector<std::vector<Entry>> by_m;  // chain entries by M index (capacity kept)
  std::vector<AntiDiagonals> product;    // P^M by M index (for the state)
  QBlockStore q_blocks;                  // rho^{T_B}'s Q blocks (for S_B)
  int stride = 0;                        // 2 j_B + 1: the largest n of a P^M
  std::vector<double> levels;            // diag P^M of M index k at k stride
  std::vector<double> squares;           // P^M's anti-diagonal squares at k (2 stride - 1)
  std::vector<char> populated;           // whether levels (and product) of k are this call's

  double* levels_of(int k) { return levels.data() + static_cast<std::size_t>(k) * stride; }
  double* squares_of(int k) {
    return squares.data() + static_cast<std::size_t>(k) * (2 * stride - 1);
  }
};

std::shared_ptr<NonlinearScratch> make_nonlinear_scratch() {
  return std::make_shared<NonlinearScratch>();
}

/// The Clebsch-Gordan columns of one M block that have been needed: the span of J indices
/// first .. first + columns.cols() - 1 (column a - first: J = first J + a), each computed
/// when first held (have[a]). Only the span held so far is allocated, widened as the held J
/// spread (an n x n matrix per M, as the cache was before, held 1.25 GiB at its peak at
/// N_B = 100, N_C = 1000, thermal, nbar 0.5, for 0.47 GiB of columns ever written).
struct HeldColumns {
  Eigen::MatrixXd columns;
  int first = 0;
  std::vector<char> have;
};

/// The Clebsch-Gordan columns of one battery sector by M index, kept while the M stays
/// populated: the populated M of a sector move slowly, and recomputing the held columns at
/// every grid time was ~10% of a thermal run. Disabled: the columns are computed afresh at
/// every call.
struct ColumnCache {
  bool enabled = true;
  std::vector<HeldColumns> by_m;
};

std::vector<char> cached_sectors(double j_charger, const std::vector<double>& j_batteries) {
  std::vector<char> out;
  double used = 0;
  for (const double j2 : j_batteries) {
    const double n = 2 * std::min(j_charger, j2) + 1, m_count = 2 * (j_charger + j2) + 1;
    const bool fits = used + m_count * n * n <= kColumnCacheDoubles;
    if (fits) used += m_count * n * n;
    out.push_back(fits);
  }
  return out;
}

std::shared_ptr<ColumnCache> make_column_cache(bool enabled) {
  auto cache = std::make_shared<ColumnCache>();
  cache->enabled = enabled;
  return cache;
}

namespace {

/// Per-thread buffers of one M block's transform. The matrices keep the largest size seen
/// and each block uses their top left corner: resized to every block's n and h they were
/// reallocated at nearly every block.
struct BlockScratch {
  std::vector<int> held, slot;
  std::vector<double> work;
  Eigen::MatrixXd r, u, ur, product;

  static void reserve(Eigen::MatrixXd& m, int rows, int cols) {
    if (m.rows() < rows || m.cols() < cols)
      m.resize(std::max<Eigen::Index>(m.rows(), rows), std::max<Eigen::Index>(m.cols(), cols));
  }
};

using Columns = Eigen::Map<const Eigen::MatrixXd, 0, Eigen::OuterStride<>>;

/// Widens `c`'s span of columns to cover J indices lo..hi (the columns already computed are
/// copied into place; a block's first call allocates it).
void widen(HeldColumns& c, int n, int lo, int hi) {
  if (c.columns.rows() != n) {
    c.columns.resize(n, hi - lo + 1);
    c.first = lo;
    c.have.assign(n, 0);
    return;
  }
  const int last = c.first + static_cast<int>(c.columns.cols()) - 1;
  if (lo >= c.first && hi <= last) return;
  const int new_first = std::min(lo, c.first), new_last = std::max(hi, last);
  Eigen::MatrixXd wider(n, new_last - new_first + 1);
  for (int a = c.first; a <= last; ++a)
    if (c.have[a]) wider.col(a - new_first) = c.columns.col(a - c.first);
  c.columns.swap(wider);
  c.first = new_first;
}

/// U_S: the Clebsch-Gordan columns of the J held at this M (b.held), from the cache
/// (`cached`; null: no cache) or computed into b.u. Where the held J are consecutive (nearly
/// always) the cached columns are used where they are.
Columns held_columns(double j1, double j2, double M, int n, HeldColumns* cached,
                     BlockScratch& b) {
  const int h = static_cast<int>(b.held.size());
  const double j_first = first_total_j(j1, j2, M);
  b.work.resize(n);
  if (cached == nullptr) {
    BlockScratch::reserve(b.u, n, h);
    const ClebschGordanRecursion recursion(j1, j2, M);
    for (int s = 0; s < h; ++s) recursion.column(j_first + b.held[s], &b.u(0, s), b.work.data());
    return Columns(b.u.data(), n, h, Eigen::OuterStride<>(b.u.rows()));
  }
  widen(*cached, n, b.held.front(), b.held.back());
  auto column = [&](int a) { return &cached->columns(0, a - cached->first); };
  std::unique_ptr<ClebschGordanRecursion> recursion;
  for (const int a : b.held)
    if (!cached->have[a]) {
      if (!recursion) recursion = std::make_unique<ClebschGordanRecursion>(j1, j2, M);
      recursion->column(j_first + a, column(a), b.work.data());
      cached->have[a] = 1;
    }
  if (b.held.back() - b.held.front() + 1 == h)
    return Columns(column(b.held.front()), n, h, Eigen::OuterStride<>(n));
  BlockScratch::reserve(b.u, n, h);
  for (int s = 0; s < h; ++s)
    b.u.col(s).head(n) = Eigen::Map<const Eigen::VectorXd>(column(b.held[s]), n);
  return Columns(b.u.data(), n, h, Eigen::OuterStride<>(b.u.rows()));
}

/// The size n of the M block of sector (j1, j2): its J, and its battery levels.
int block_size(double j1, double j2, double M) {
  return count(j1 + j2 - first_total_j(j1, j2, M)) + 1;
}

/// Where product_block() puts P^M (M index k) beyond its diagonal, by anti-diagonals
/// (copy_anti_diagonals): into the Q blocks (anti-diagonal d into Q block q = q_of_first - d,
/// whose anti-diagonal k - q_blocks->base[q] it is) and/or whole into `matrix`; null: not
/// wanted.
struct ProductOutput {
  QBlockStore* q_blocks = nullptr;
  int k = 0, q_of_first = 0;
  AntiDiagonals* matrix = nullptr;
  double* squares = nullptr;  // the anti-diagonals' squares
};

/// P^M = U_S R_S U_S^T (rows m_B ascending) into `out`, S: the J held at this M, and its
/// diagonal (the battery levels' populations) into `levels` (n each); `whole` false: only
/// the diagonal. `cached` (null: no cache): this M's cached Clebsch-Gordan columns.
void product_block(double j1, double j2, double M, const std::vector<Entry>& entries,
                   bool whole, const ProductOutput& out, double* levels, HeldColumns* cached,
                   BlockScratch& b) {
  const int n = block_size(j1, j2, M);
  b.slot.assign(n, -1);
  for (const auto& e : entries) b.slot[e.row] = b.slot[e.col] = 0;
  b.held.clear();
  for (int a = 0; a < n; ++a)
    if (b.slot[a] == 0) {
      b.slot[a] = static_cast<int>(b.held.size());
      b.held.push_back(a);
    }
  const int h = static_cast<int>(b.held.size());
  const Columns u = held_columns(j1, j2, M, n, cached, b);
  if (!whole) {
    // W_B alone needs only diag(U R U^T)_i = sum over entries of (2 -) r u_iJ u_iJ': n flops
    // per entry, against n h^2 + n^2 h / 2 for the whole block.
    std::fill(levels, levels + n, 0.0);
    for (const auto& e : entries) {
      const double w = e.row == e.col ? e.value : 2 * e.value;
      const auto row = u.col(b.slot[e.row]), col = u.col(b.slot[e.col]);
      for (int i = 0; i < n; ++i) levels[i] += w * row[i] * col[i];
    }
    return;
  }
  // U_S R_S: R_S is sparse once the coherences between distant J have died (the chains of
  // J' - J > 2 die soon after the burst); column by column from its entries when they are few
  // (2 n flops per entry against a dense product's 2 n h^2, at ~3x the cost per flop).
  BlockScratch::reserve(b.ur, n, h);
  auto ur = b.ur.topLeftCorner(n, h);
  const int ld_ur = static_cast<int>(b.ur.rows());
  if (6 * static_cast<double>(entries.size()) < static_cast<double>(h) * h) {
    ur.setZero();
    for (const auto& e : entries) {
      ur.col(b.slot[e.col]) += e.value * u.col(b.slot[e.row]);
      if (e.row != e.col) ur.col(b.slot[e.row]) += e.value * u.col(b.slot[e.col]);
    }
  } else {
    BlockScratch::reserve(b.r, h, h);
    auto r = b.r.topLeftCorner(h, h);
    r.setZero();
    for (const auto& e : entries) r(b.slot[e.row], b.slot[e.col]) = r(b.slot[e.col], b.slot[e.row]) = e.value;
    // U R = U R^T (R is symmetric): A B^T with A = U, B = R.
    detail::product_transposed(u.data(), static_cast<int>(u.outerStride()), r.data(),
                               static_cast<int>(b.r.rows()), n, h, h, ur.data(), ld_ur, false);
  }
  BlockScratch::reserve(b.product, n, n);
  auto p = b.product.topLeftCorner(n, n);
  // Symmetric: its lower triangle, n^2 h multiplications, not 2 n^2 h.
  detail::product_transposed(ur.data(), ld_ur, u.data(), static_cast<int>(u.outerStride()), n,
                             n, h, p.data(), static_cast<int>(b.product.rows()), true);
  if (out.q_blocks != nullptr)
    copy_anti_diagonals(p, n, [&](int d) {
      const int q = out.q_of_first - d;
      return out.q_blocks->diagonal(q, out.k - out.q_blocks->base[q]);
    }, out.squares);
  if (out.matrix != nullptr) out.matrix->assign_lower(p, out.squares);
  for (int i = 0; i < n; ++i) levels[i] = p(i, i);
}

}  // namespace

SectorNonlinear sector_nonlinear(double j_charger, double j_battery,
                                 const std::vector<ChainView>& chains, bool negativity,
                                 double eigenvalue_slack, bool parallel,
                                 NonlinearScratch& scratch, ColumnCache& cache,
                                 DensityMatrix* state) {
  const double j1 = j_charger, j2 = j_battery, top = j1 + j2;
  const int m_count = count(2 * top) + 1;  // index k = M + top
  auto& by_m = scratch.by_m;
  if (static_cast<int>(by_m.size()) < m_count) by_m.resize(m_count);
  for (int k = 0; k < m_count; ++k) by_m[k].clear();
  for (const auto& c : chains)
    for (int i = c.lo; i <= c.hi; ++i) {
      const double r = c.r(i);
      if (r == 0.0) continue;
      const double M = i - c.J, j_first = first_total_j(j1, j2, M);
      by_m[count(M + top)].push_back({count(c.J - j_first), count(c.Jp - j_first), r});
    }
  int k_lo = m_count, k_hi = -1;
  for (int k = 0; k < m_count; ++k)
    if (!by_m[k].empty()) {
      k_lo = std::min(k_lo, k);
      k_hi = k;
    }
  SectorNonlinear out;
  out.level_populations.assign(count(2 * j2) + 1, 0.0);
  if (cache.enabled && static_cast<int>(cache.by_m.size()) < m_count) cache.by_m.resize(m_count);
  for (int k = 0; cache.enabled && k < m_count; ++k)
    if ((k < k_lo || k > k_hi) && cache.by_m[k].columns.size() > 0)  // no longer populated
      cache.by_m[k] = HeldColumns();
  if (k_hi < 0) return out;

  // P^M for the populated M (full symmetric n x n, rows m_B ascending), or only its diagonal
  // when neither rho^{T_B} nor the state is asked for.
  const bool whole = negativity || state != nullptr;
  auto& product = scratch.product;
  if (static_cast<int>(product.size()) < m_count) product.resize(m_count);
  scratch.stride = count(2 * j2) + 1;
  scratch.levels.resize(static_cast<std::size_t>(m_count) * scratch.stride);
  if (whole) scratch.squares.resize(static_cast<std::size_t>(m_count) * (2 * scratch.stride - 1));
  scratch.populated.assign(m_count, 0);
  // Q blocks: element (a, b), a >= b, x_B = x_first + a, y_B = x_first + b, is
  // <Q + x_B, y_B|rho|Q + y_B, x_B> = P^M[x_B, y_B] (lower triangle) with M = Q + x_B + y_B.
  // In integers: battery index i = m_B + j_B, M index k = M + top = q + i_x + i_y - 2 j_B,
  // and P^M's row of battery index i is i - first[k]; Q block q's element (0, 0) lies in
  // P^base[q], its anti-diagonal t in P^(base[q] + t).
  const int q_count = m_count, width = count(2 * j2);
  std::vector<int> first(m_count, 0);
  for (int k = k_lo; k <= k_hi; ++k) first[k] = count(first_battery_level(j1, j2, k - top) + j2);
  // The Q block of P^k's anti-diagonal 0 (its anti-diagonal d lies in Q block this - d).
  const auto q_of_first = [&](int k) { return k + width - 2 * first[k]; };
  QBlockStore& q_blocks = scratch.q_blocks;
  if (negativity) q_blocks.layout(m_count, width, k_lo, k_hi);
  const std::vector<int>& rows = q_blocks.rows;
  const int populated = k_hi - k_lo + 1;
#pragma omp parallel if (parallel && populated * (2 * j2 + 1) > 2000)
  {
    BlockScratch block;
#pragma omp for schedule(dynamic)
    for (int k = k_lo; k <= k_hi; ++k) {
      if (by_m[k].empty()) continue;
      ProductOutput out;
      if (negativity) {
        out.q_blocks = &q_blocks;
        out.k = k;
        out.q_of_first = q_of_first(k);
      }
      if (state != nullptr) out.matrix = &product[k];
      if (whole) out.squares = scratch.squares_of(k);
      product_block(j1, j2, k - top, by_m[k], whole, out, scratch.levels_of(k),
                    cache.enabled ? &cache.by_m[k] : nullptr, block);
      scratch.populated[k] = 1;
    }
  }
  for (int k = k_lo; k <= k_hi; ++k) {
    if (!scratch.populated[k]) continue;
    if (state != nullptr) {
      const AntiDiagonals& p = product[k];
      Eigen::MatrixXd& block = state->blocks[{j2, k - top}];
      block.resize(p.n, p.n);
      for (int a = 0; a < p.n; ++a)
        for (int b = 0; b <= a; ++b) block(a, b) = block(b, a) = p(a, b);
    }
    const double* levels = scratch.levels_of(k);
    for (int i = 0, n = block_size(j1, j2, k - top); i < n; ++i)
      out.level_populations[first[k] + i] += levels[i];
  }
  if (!negativity) return out;

  // Each Q block's ||B||_F^2 and tr B, summed over the anti-diagonals of the P^M in one
  // pass over them (anti-diagonal d of P^k lies in Q block q_of_first(k) - d), in
  // ascending k as the block's own loop took them (bit-identical): that loop chased 2n P^M
  // per block, where perf put 3.5% of N_B = 100, N_C = 1000 (1-2% faster without it). The
  // diagonal element that starts each even anti-diagonal is taken from `levels` (the same
  // number, n of them side by side): read from the anti-diagonals it was a cache line each,
  // ~5% of that run.
  std::vector<double> squares(q_count, 0.0), trace(q_count, 0.0);
  for (int k = k_lo; k <= k_hi; ++k) {
    if (!scratch.populated[k]) continue;
    const int n = block_size(j1, j2, k - top);
    const double* levels = scratch.levels_of(k);
    const double* p_squares = scratch.squares_of(k);
    const int q_first = q_of_first(k);
    for (int d = 0; d + 1 < 2 * n; ++d) {
      squares[q_first - d] += p_squares[d];
      if (d % 2 == 0) trace[q_first - d] += levels[d / 2];
    }
  }
  std::vector<double> norm(q_count, 0.0);
  std::vector<int> failed;  // Q blocks the first Cholesky test left open
  // Settles Q block q into norm[q] with the slack `slack`, or (eigenvalues false) leaves it
  // unsettled when the Cholesky test fails. `buffer`: the largest block's size (a matrix
  // resized to every block's n was reallocated at nearly every block), factorised in place.
  auto settle = [&](int q, double slack, bool eigenvalues, std::vector<double>& buffer) {
    if (!q_blocks.drawn[q]) return true;
    const int n = rows[q], k_first = q_blocks.base[q];  // plain ints: captured below
    // Anti-diagonal t = a + b of this block is a whole anti-diagonal of P^k, k = k_first + t
    // (first row: the diagonal when t is even), which the products stored in q_blocks.
    const int t_lo = std::max(0, k_lo - k_first), t_hi = std::min(2 * n - 2, k_hi - k_first);
    // A positive semidefinite block (most of them) has ||B||_1 = tr B: ||B||_F <= slack
    // (without assembling it) or a Cholesky factorisation of B + slack 1 (k^3 / 3) settles
    // it to within 2 k slack (the budget's share of its rows: the caller's slack on the
    // first try, the failed blocks' on the second) before any eigenvalue is needed; of what
    // the second try leaves only the few negative ones (trace_norm_few_negative). Without
    // the slack, blocks that are PSD but for eigenvalues of the size of the chain entries
    // left out as negligible (kNegligible, then 1e-24) failed the Cholesky test and took the
    // eigenvalue path: 29% of the Q blocks tested at N_B = 30, N_C = 300, nbar 0.5, 80% of
    // their k^3.
    if (squares[q] <= slack * slack) {
      norm[q] = trace[q];
      return true;
    }
    Eigen::Map<Eigen::MatrixXd> block(buffer.data(), n, n);
    auto assemble = [&] {  // the lower triangle (all that is read), anti-diagonal t = a + b
      for (int t = 0; t <= 2 * n - 2; ++t) {
        const int a_first = anti_diagonal_first_row(t), a_last = std::min(t, n - 1);
        if (t < t_lo || t > t_hi || !scratch.populated[k_first + t]) {
          for (int a = a_first; a <= a_last; ++a) block(a, t - a) = 0.0;
          continue;
        }
        const double* v = q_blocks.diagonal(q, t);
        for (int a = a_first; a <= a_last; ++a) block(a, t - a) = *v++;
      }
    };
    assemble();
    if (n > 2) {
      block.diagonal().array() += slack;
      if (detail::cholesky_in_place(block.data(), n, n)) {
        norm[q] = trace[q];
        return true;
      }
      if (!eigenvalues) return false;
      assemble();  // factorised in place: again, without the slack
    }
    norm[q] = trace_norm_few_negative(block, slack);
    return true;
  };
  // body(i, buffer) for i = 0..blocks-1, on all threads when the sector is large enough.
  const bool threads = parallel && q_count * (2 * j2 + 1) > 2000;
  auto for_blocks = [&](long blocks, const auto& body) {
#pragma omp parallel if (threads && blocks > 1)
    {
      std::vector<double> buffer(static_cast<std::size_t>(width + 1) * (width + 1));
#pragma omp for schedule(dynamic)
      for (long i = 0; i < blocks; ++i) body(i, buffer);
    }
  };
  // Blocks of small norm settled by that alone, without assembling them (settled_by_norms).
  const std::vector<char> by_norm = settled_by_norms(
      squares, rows, eigenvalue_slack, 2 * eigenvalue_slack * (2 * j1 + 1) * (2 * j2 + 1));
  for (int q = 0; q < q_count; ++q)
    if (by_norm[q]) norm[q] = trace[q];
  for_blocks(q_count, [&](long q, std::vector<double>& buffer) {
    if (by_norm[q]) return;
    if (settle(static_cast<int>(q), eigenvalue_slack, false, buffer)) return;
#pragma omp critical(failed_q_blocks)
    failed.push_back(static_cast<int>(q));
  });
  // The blocks that failed the test are tried again with the slack the sector's budget
  // (2 slack per row of its (2 j_C + 1)(2 j_B + 1)) gives when spread over their rows alone,
  // and only what fails that takes the eigenvalue path (with that slack): their negative
  // eigenvalues are mostly the chains' step errors, just below the first slack (N_B = 100,
  // N_C = 1000, nbar 0.5, whose S_B is ~1e-11 throughout: of the k^3 of the failed blocks 49%
  // had their lowest eigenvalue within 10x the slack, 83% within 100x, 99% within 1000x).
  // This spends the budget a second time: ||rho^{T_B}||_1 moves by at most twice it.
  std::sort(failed.begin(), failed.end());  // the same slack and blocks on any thread count
  double failed_rows = 0;
  for (const int q : failed) failed_rows += rows[q];
  const double second_slack =
      failed.empty() ? 0.0 : eigenvalue_slack * (2 * j1 + 1) * (2 * j2 + 1) / failed_rows;
  for_blocks(static_cast<long>(failed.size()), [&](long i, std::vector<double>& buffer) {
    settle(failed[i], second_slack, true, buffer);
  });
  for (double x : norm) out.trace_norm += x;  // fixed order: identical for any thread count
  return out;
}

}  // namespace darkcharge::coupled_exact
