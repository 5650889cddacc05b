#pragma once
// A symmetric matrix's lower triangle stored by anti-diagonals (the P^M blocks of
// coupled_exact_product.cpp and the Q blocks of q_blocks.hpp). Private to src/exact/.
#include <algorithm>
#include <vector>

namespace darkcharge::coupled_exact {

/// Where anti-diagonal s = row + column of an n x n lower triangle starts when they are
/// stored one after another, each from its row ceil(s / 2) down to min(s, n - 1):
/// s = 0..2n - 1 (the last: the size n (n + 1) / 2).
inline int anti_diagonal_first_row(int d) { return (d + 1) / 2; }
inline int anti_diagonal_length(int n, int d) {
  return std::min(d, n - 1) - anti_diagonal_first_row(d) + 1;
}
inline std::vector<int> anti_diagonal_starts(int n) {
  std::vector<int> start(std::max(1, 2 * n), 0);
  for (int d = 0; d + 1 < 2 * n; ++d) start[d + 1] = start[d] + anti_diagonal_length(n, d);
  return start;
}

/// Copies m's lower triangle (n x n) by anti-diagonals, anti-diagonal d to destination(d),
/// and into squares[d] the sum of anti-diagonal d's squares over the whole symmetric matrix
/// (twice each off-diagonal element): a Q block's ||B||_F^2 without assembling it.
template <class Matrix, class Destination>
void copy_anti_diagonals(const Matrix& m, int n, const Destination& destination,
                         double* squares) {
  for (int d = 0; d + 1 < 2 * n; ++d) {
    double* out = destination(d);
    double sum = 0;
    for (int row = anti_diagonal_first_row(d), last = std::min(d, n - 1); row <= last; ++row) {
      const double v = m(row, d - row);
      *out++ = v;
      sum += (row == d - row ? 1 : 2) * v * v;
    }
    squares[d] = sum;
  }
}

/// The lower triangle (row >= column) of a symmetric n x n matrix stored by anti-diagonals:
/// the P^M kept whole for the states (for S_B the products copy the same anti-diagonals into
/// the Q blocks instead, q_blocks.hpp).
struct AntiDiagonals {
  int n = 0;
  std::vector<int> start;  // offset of anti-diagonal s, s = 0..2n - 1 (the last: the size)
  std::vector<double> values;

  void reshape(int size) {
    if (size == n) return;
    n = size;
    start = anti_diagonal_starts(n);
    values.resize(start.back());
  }
  double operator()(int row, int col) const {  // row >= col
    return values[start[row + col] + row - anti_diagonal_first_row(row + col)];
  }
  template <class Matrix>
  void assign_lower(const Matrix& m, double* squares) {
    reshape(static_cast<int>(m.rows()));
    copy_anti_diagonals(m, n, [&](int d) { return values.data() + start[d]; }, squares);
  }
};

}  // namespace darkcharge::coupled_exact
