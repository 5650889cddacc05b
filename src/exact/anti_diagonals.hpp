#pragma once
// A symmetric matrix's lower triangle stored by anti-diagonals (the P^M blocks of
// coupled_exact_product.cpp). Private to src/exact/.
#include <algorithm>
#include <vector>

namespace darkcharge::coupled_exact {

/// The lower triangle (row >= column) of a symmetric n x n matrix stored by anti-diagonals
/// s = row + column, each from its row ceil(s / 2) down to min(s, n - 1): a Q block of
/// rho^{T_B} takes each of its anti-diagonals from one P^M, where it is one run of
/// consecutive numbers here (in column-major storage every element was another cache line).
struct AntiDiagonals {
  int n = 0;
  std::vector<int> start;  // offset of anti-diagonal s, s = 0..2n - 1 (the last: the size)
  std::vector<double> values;

  void reshape(int size) {
    if (size == n) return;
    n = size;
    start.assign(std::max(1, 2 * n), 0);
    for (int d = 0; d + 1 < 2 * n; ++d) start[d + 1] = start[d] + length(d);
    values.resize(start.back());
  }
  static int first_row(int d) { return (d + 1) / 2; }
  int length(int d) const { return std::min(d, n - 1) - first_row(d) + 1; }
  const double* diagonal(int d) const { return values.data() + start[d]; }
  double operator()(int row, int col) const {  // row >= col
    return values[start[row + col] + row - first_row(row + col)];
  }
  /// Copies m's lower triangle, and into squares[d] the sum of anti-diagonal d's squares over
  /// the whole symmetric matrix (twice each off-diagonal element): a Q block's ||B||_F^2
  /// without assembling it.
  template <class Matrix>
  void assign_lower(const Matrix& m, double* squares) {
    reshape(static_cast<int>(m.rows()));
    for (int d = 0; d + 1 < 2 * n; ++d) {
      double* out = values.data() + start[d];
      double sum = 0;
      for (int row = first_row(d), last = std::min(d, n - 1); row <= last; ++row) {
        const double v = m(row, d - row);
        *out++ = v;
        sum += (row == d - row ? 1 : 2) * v * v;
      }
      squares[d] = sum;
    }
  }
};

}  // namespace darkcharge::coupled_exact
