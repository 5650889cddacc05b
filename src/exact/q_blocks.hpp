#pragma once
// The Q blocks of rho^{T_B} (Q = m_C - m_B, Eq. 12) of one battery sector, which S_B needs
// (coupled_exact_product.cpp): where the products of the M blocks store them, and which of
// them count as positive semidefinite by their norms alone. Private to src/exact/.
#include <algorithm>
#include <vector>

#include "exact/anti_diagonals.hpp"

namespace darkcharge::coupled_exact {

/// The Q blocks of one sector's rho^{T_B}, each by anti-diagonals as AntiDiagonals stores a
/// matrix, one after another in q. Anti-diagonal d of P^M is the whole anti-diagonal
/// t = k - base(q) of one Q block q, so the products write each where the Q blocks'
/// assembly then reads them in order: read from the P^M, a Q block's 2n anti-diagonals were
/// 2n streams far apart, a cache miss per line (perf: 83% of the assembly, ~14% of N_B = 100,
/// N_C = 1000). Only the Q blocks that draw on a populated M are stored.
struct QBlockStore {
  std::vector<int> rows, base;  // Q block q's size, and the M index k of its element (0, 0)
  std::vector<char> drawn;      // whether it draws on an M index in [k_lo, k_hi] (stored)
  std::vector<long> offset;     // where a stored Q block starts in `values`
  std::vector<std::vector<int>> starts;  // anti_diagonal_starts by size
  std::vector<double> values;

  /// The Q blocks q = 0..m_count - 1 (Q = q - j_C - j_B) of a sector with 2 j_B = width:
  /// battery indices i = m_B + j_B from max(0, width - q) to min(width, m_count - 1 - q),
  /// element (0, 0) in P^k, k = q + 2 i_first - width; only those that draw on the populated
  /// M indices k_lo..k_hi get room, their values left as they are.
  void layout(int m_count, int width, int k_lo, int k_hi) {
    rows.assign(m_count, 0);
    base.assign(m_count, 0);
    drawn.assign(m_count, 0);
    offset.assign(m_count, -1);
    long size = 0;
    for (int q = 0; q < m_count; ++q) {
      const int i_first = std::max(0, width - q);
      const int n = std::min(width, m_count - 1 - q) - i_first + 1;
      rows[q] = std::max(0, n);
      base[q] = q + 2 * i_first - width;
      drawn[q] = n > 0 && base[q] <= k_hi && base[q] + 2 * (n - 1) >= k_lo;
      if (!drawn[q]) continue;
      if (static_cast<int>(starts.size()) <= n) starts.resize(n + 1);
      if (starts[n].empty()) starts[n] = anti_diagonal_starts(n);
      offset[q] = size;
      size += static_cast<long>(n) * (n + 1) / 2;
    }
    if (static_cast<long>(values.size()) < size) values.resize(size);
  }
  /// Anti-diagonal t of stored Q block q.
  double* diagonal(int q, int t) { return values.data() + offset[q] + starts[rows[q]][t]; }
};

/// The Q blocks of rho^{T_B} that count as settled by their norms alone (||B||_1 taken as
/// tr B): a symmetric k x k block has ||B||_1 - tr B = 2 sum |negative eigenvalues|
/// <= 2 sqrt(k) ||B||_F, so the blocks of smallest such bound (squares[q] = ||B_q||_F^2,
/// rows[q] = k), taken smallest first while their bounds sum to at most `budget`, move
/// ||rho^{T_B}||_1 by at most `budget`. Blocks with ||B||_F <= `floor` (the slack, settled
/// by that alone) and empty blocks are left out. These are blocks far out in Q, of small
/// norm yet above the slack: with a sector's budget (2 slack per row), at N_B = 50,
/// N_C = 500, nbar 0.5, 11% of the blocks that went to the Cholesky test, 14% of their k^3;
/// at N_B = 100, N_C = 1000 the Q blocks' part of the run fell from 20.4 to 17.0 CPU-s
/// (alternated within one run).
std::vector<char> settled_by_norms(const std::vector<double>& squares,
                                   const std::vector<int>& rows, double floor, double budget);

}  // namespace darkcharge::coupled_exact
