// Which Q blocks of rho^{T_B} count as settled by their norms alone (q_blocks.hpp).
#include "exact/q_blocks.hpp"

#include <algorithm>
#include <cmath>
#include <utility>

namespace darkcharge::coupled_exact {

std::vector<char> settled_by_norms(const std::vector<double>& squares,
                                   const std::vector<int>& rows, double floor, double budget) {
  std::vector<std::pair<double, int>> bounds;  // sorted with q: the same on any thread count
  for (int q = 0; q < static_cast<int>(squares.size()); ++q)
    if (rows[q] > 0 && squares[q] > floor * floor)
      bounds.push_back({2 * std::sqrt(rows[q] * squares[q]), q});
  std::sort(bounds.begin(), bounds.end());
  std::vector<char> settled(squares.size(), 0);
  double used = 0;
  for (const auto& [bound, q] : bounds) {
    if (used + bound > budget) break;
    used += bound;
    settled[q] = 1;
  }
  return settled;
}

}  // namespace darkcharge::coupled_exact
