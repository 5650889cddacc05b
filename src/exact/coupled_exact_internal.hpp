#pragma once
// Shared internals of the coupled-basis exact solver (coupled_exact_solver.hpp), private to
// src/exact/: the snapshot of expectation values taken at each grid time, the J_B^z matrix
// elements in the coupled basis |j_C j_B; J M>, and the two propagation paths
// (coupled_exact_chains.cpp for nbar > 0, coupled_exact_cascade.cpp for nbar = 0 from one
// level), whose snapshots coupled_exact_columns.cpp turns into the output columns.
#include <map>
#include <memory>
#include <utility>
#include <vector>

#include "darkcharge/exact/coupled_exact_solver.hpp"
#include "darkcharge/physics/angular_momentum.hpp"
#include "darkcharge/physics/density_matrix.hpp"
#include "darkcharge/physics/ergotropy.hpp"

namespace darkcharge::coupled_exact {

/// Chain entries below this (absolute; Tr rho = 1) are zero. The chains drop them
/// (coupled_exact_steps.cpp) and the cost estimate counts the windows and chain lifetimes
/// this leaves (coupled_exact_cost.cpp). Measured against 1e-24 (thermal, nbar 0.5, default
/// grid, every column): at N_B = 50, N_C = 500 the linear columns move by <= 1e-12, S_B by
/// 3e-13, and the run is 1.35x faster (the windows' tails fall by ((nbar + 1) / nbar) per
/// level: 6 orders fewer is ~13 levels fewer at each end of every chain); at N_B = 100,
/// N_C = 1000 dark moves by 1e-10 and S_B no longer picks up 1.6e-8 of negativity from the
/// tails' step errors (the steps are accurate relative to the chain, not to entries 1e-20
/// of it). 1e-16 moved P_B by 1e-9 and dS_B_dt by 1.5e-9; 1e-14 was slower (the dropped
/// entries' negative eigenvalues beyond the Q blocks' slack).
inline constexpr double kNegligible = 1e-18;

/// Everything measured at one grid time, summed over sectors and blocks. jz_battery_squared,
/// emission, absorption: <(J_B^z)^2>, <J^+ J^->, <J^- J^+> (sigma_B, I_em, I_abs).
struct Snapshot {
  double jz_total = 0, jz_battery = 0, power = 0, dark = 0, trace_norm = 0;
  double jz_battery_squared = 0, emission = 0, absorption = 0;
  std::vector<SectorEigenvalue> battery_spectrum;

  /// Adds another snapshot's linear terms (every number but the spectrum and trace norm).
  void add_linear(const Snapshot& o) {
    jz_total += o.jz_total;
    jz_battery += o.jz_battery;
    power += o.power;
    dark += o.dark;
    jz_battery_squared += o.jz_battery_squared;
    emission += o.emission;
    absorption += o.absorption;
  }
};

/// <J M|J_B^z|J-1 M> where both states exist (J - 1 >= first_total_j, J <= j1 + j2), else 0.
inline double battery_jz_link(double j1, double j2, double J, double M) {
  if (J - 1 < first_total_j(j1, j2, M) - 0.25 || J > j1 + j2 + 0.25) return 0.0;
  return battery_jz_offdiagonal(j1, j2, J, M);
}

/// <J M|(J_B^z)^2|J' M> for J' = J, J + 1, J + 2 (J_B^z links J to J +- 1 only).
inline double battery_jz_squared_element(double j1, double j2, double J, double Jp, double M) {
  const int gap = count(Jp - J);
  if (gap == 0) {
    const double d = battery_jz_diagonal(j1, j2, J, M);
    const double below = battery_jz_link(j1, j2, J, M), above = battery_jz_link(j1, j2, J + 1, M);
    return d * d + below * below + above * above;
  }
  if (gap == 1)
    return battery_jz_link(j1, j2, J + 1, M) *
           (battery_jz_diagonal(j1, j2, J, M) + battery_jz_diagonal(j1, j2, J + 1, M));
  if (gap == 2) return battery_jz_link(j1, j2, J + 1, M) * battery_jz_link(j1, j2, J + 2, M);
  return 0.0;
}

/// The columns of solve_exact(), from the snapshots (energies per spin, Eq. 6).
TimeSeries to_series(const Model& model, const TimeGrid& grid, const std::vector<Snapshot>& s,
                     const CoupledExactOptions& options);

/// Initial levels grouped by battery sector j_B: (m_B, probability).
std::map<double, std::vector<std::pair<double, double>>> levels_by_sector(const Model& model);

/// Whether the rank-one zero-temperature cascade applies (and is enabled): nbar = 0 and one
/// initial level.
bool uses_cascade(const Model& model, const CoupledExactOptions& options);

/// One birth-death chain of a battery sector as the observers read it, at one time:
/// r_JJ'(M) = window[M + J - lo] for J <= J', nonzero only for M + J in lo..hi (the chain's
/// own entries, or those kept aside for the middle time of a pair of grid intervals).
struct ChainView {
  double J, Jp;
  int lo, hi;
  const double* window;
  double r(int i) const { return window[i - lo]; }  // i = M + J in lo..hi
};

/// What one battery sector adds to the nonlinear columns at one time: the populations of
/// its battery levels (rho_B is diagonal in m_B; index m_B + j_B) and ||rhot^{T_B}||_1.
struct SectorNonlinear {
  std::vector<double> level_populations;
  double trace_norm = 0;
};

/// Buffers that sector_nonlinear() keeps between calls (one per calling thread).
struct NonlinearScratch;
std::shared_ptr<NonlinearScratch> make_nonlinear_scratch();

/// Clebsch-Gordan columns that sector_nonlinear() keeps from one grid time to the next (one
/// per battery sector; per populated M the span of the J held there, so at most m_count n^2
/// doubles, n = 2 min(j_C, j_B) + 1, m_count = 2 (j_C + j_B) + 1). `enabled` false: none
/// kept.
struct ColumnCache;
std::shared_ptr<ColumnCache> make_column_cache(bool enabled);
/// Doubles of all sectors' column caches together at most (the rest go without).
constexpr double kColumnCacheDoubles = 2.0 * (1 << 30) / 8;
/// Whether each battery sector (ascending j_B) gets a column cache: in ascending j_B while
/// their largest possible sizes (m_count n^2) sum to at most kColumnCacheDoubles.
std::vector<char> cached_sectors(double j_charger, const std::vector<double>& j_batteries);

/// The sector's product-basis blocks from its chains (coupled_exact_product.cpp); `parallel`:
/// its M and Q blocks on all threads. `state` (optional) receives the blocks (j_B, M) of rho.
/// `eigenvalue_slack`: a Q block B (k x k) of rho^{T_B} counts as positive semidefinite
/// (||B||_1 = tr B) when B + slack 1 is positive definite: its eigenvalues are >= -slack, so
/// tr B is off by at most 2 k slack. The blocks that fail are tried again with the slack that
/// spreads the sector's budget (2 slack per row) over their rows alone; before either, the
/// blocks of smallest norm are settled by their norms alone within one more such budget. So
/// the sector's ||rho^{T_B}||_1 is off by at most 6 slack per row.
SectorNonlinear sector_nonlinear(double j_charger, double j_battery,
                                 const std::vector<ChainView>& chains, bool negativity,
                                 double eigenvalue_slack, bool parallel,
                                 NonlinearScratch& scratch, ColumnCache& cache,
                                 DensityMatrix* state = nullptr);

/// The pairs (J, J') = (|j_C - j_B| + a, |j_C - j_B| + b), a <= b <= a + widest_gap, of a
/// battery sector whose chain starts above the solver's negligible level (the only ones it
/// builds; a chain's l1 norm never grows). `weighted` (optional) receives sqrt(p) c_J by
/// level and J index.
std::vector<std::pair<int, int>> held_pairs(const Model& model, double j_battery,
                                            const std::vector<std::pair<double, double>>& levels,
                                            int widest_gap,
                                            std::vector<std::vector<double>>* weighted = nullptr);

/// The widest J' - J of a pair the run needs: the linear columns read J' - J <= 2 only
/// (J_B^z links J to J +- 1, (J_B^z)^2 to J +- 2); W_B, S_B and states need every pair.
int widest_gap(const CoupledExactOptions& options);

/// The linear columns' weights per entry of a chain with J' - J = gap (kept for every entry
/// of the chain): gap 0: M, <J_B^z>, d<J_B^z>/dt, <J^+ J^->, <J^- J^+>, <(J_B^z)^2>; gap 1:
/// <J_B^z>, d<J_B^z>/dt, <(J_B^z)^2>; gap 2: <(J_B^z)^2>; wider: none.
inline int linear_weight_kinds(int gap) { return gap == 0 ? 6 : gap == 1 ? 3 : gap == 2 ? 1 : 0; }

/// nbar > 0 or several initial levels: every birth-death chain propagated exactly.
CoupledExactResult solve_with_chains(const Model& model, const TimeGrid& grid,
                                     const CoupledExactOptions& options,
                                     const ProgressCallback& progress);

/// nbar = 0 from one level: the rank-one cascade rho = sum_M P(M) |psi(M)><psi(M)|.
CoupledExactResult solve_with_cascade(const Model& model, const TimeGrid& grid,
                                      const CoupledExactOptions& options,
                                      const ProgressCallback& progress);

}  // namespace darkcharge::coupled_exact
