#pragma once
/// @file rare_event_floor.hpp
/// A lower bound on the error of a trajectory average, against events too rare to appear in
/// the sample (issue 9, item 2).
///
/// At nbar = 0 the late-time P_B, dark and S_B are carried by rare trajectories that linger
/// above the dark level. A run that met none of them reports 0 +- 0 (or a value whose
/// standard error comes from one or two such trajectories), far from the exact value: the
/// standard error only sees the spread of what was sampled. But a class of trajectories of
/// total probability p was missed by all n with probability (1-p)^n, which is below 5% once
/// p > 3/n (the "rule of three"), and such a class moves the mean of a quantity confined to
/// [a, b] by at most p (b - a). Hence error >= 1.5 (b - a) / n keeps the 2-error interval
/// honest at the 95% level against anything unseen. It is far below the standard error
/// wherever many trajectories contribute (ratio ~ 1/sqrt(n)), so it only shows where the
/// sample has not resolved the tail.
#include <vector>

#include "darkcharge/model.hpp"
#include "darkcharge/time_series.hpp"

namespace darkcharge {

/// 1.5 (b - a) / n for a quantity confined to an interval of width `range`.
double rare_event_floor(double range, long trajectories);

/// The caveat of the variance-type columns sigma_B and F_em sampled by trajectories at
/// nbar = 0: at the tail of the burst, where a few lingering trajectories carry the
/// variance, their jackknife errors under-cover (N_B = 20, N_C = 100, 1000 trajectories,
/// 100 seeds: coverage at the worst time 0.33 for F_em, errors ~2.4x too small; 0.76 for
/// sigma_B). Appends that, with the measured `worst_coverage` and the remedy (the exact
/// cascade), to the column's note.
void add_tail_caveat(Column& column, double worst_coverage);

/// error = max(error, rare_event_floor(range, n)) at every time; when the floor is the larger
/// anywhere, a sentence is appended to column.note.
void apply_rare_event_floor(Column& column, double range, long trajectories);

/// Width of the interval a single trajectory's P_B can take: |P_B| N_B = |<L^dag(J_B^z)>|
/// = |<gamma(nbar+1) (J^+ J_B^- + h.c.) + gamma nbar (J^- J_B^+ + h.c.)>| <= 2 gamma (2 nbar + 1)
/// ||J^+|| ||J_B^-||, with ||J^-|| = J + 1/2 at most for spin J (J <= (N_B+N_C)/2, j_B <= N_B/2).
double power_range(const Model& model);

/// Width of the interval a single trajectory's collective jump current (I_em, I_abs) can
/// take: rate <J^+ J^-> with J(J+1) - M(M-1) <= (J + 1/2)^2 for J <= (N_B+N_C)/2 (likewise
/// J^- J^+); `rate` = Model::emission_rate() or absorption_rate().
double jump_current_range(const Model& model, double rate);

/// Width of the interval a trajectory's count of emitted (or absorbed) quanta can take: at
/// nbar = 0 only emissions happen, each lowers M by 1 within [-J, J], so at most N_B + N_C
/// (absorptions: none); at nbar > 0 unbounded (infinity).
double emitted_quanta_range(const Model& model);
double absorbed_quanta_range(const Model& model);

/// Width of the interval S_B can move over when a fraction p <= 3/n of the state is
/// replaced (rule of three): |log2 ||rho^{T_B}||_1| changes by at most
/// log2(1 + p (d + ||rho^{T_B}||_1) / ||rho^{T_B}||_1) with d = min(N_C, N_B) + 1, the largest
/// trace norm of a partially transposed state of the Dicke sectors. Returned as the
/// equivalent `range` for rare_event_floor at this n, given S_B.
double negativity_range(const Model& model, double log_negativity, long trajectories);

/// How much one trajectory block dominates a mean (a largest-contribution diagnostic).
struct BlockDominance {
  double share = 0;         ///< largest n_b (m_b - m)^2 over the sum of them (0 if no spread)
  double contribution = 0;  ///< that block's pull on the mean, n_b (m_b - m_rest) / n
};

/// From the block means m_b and counts n_b. For B comparable blocks of Gaussian-like data
/// the share is ~ 2 ln(B) / B (0.2 for 32 blocks); above 1/2 the block holds more spread
/// than all others together: a handful of rare trajectories carry the mean.
BlockDominance block_dominance(const std::vector<double>& means, const std::vector<long>& counts);

/// Where one block dominates (share > 1/2 at time g), the error becomes at least twice its
/// contribution: if a single rare trajectory was seen, the Poisson 95% range of the tail's
/// true weight is 0.05 to 4.7 times what it contributed, which a 2-error interval of
/// +-4 contributions around the estimate covers. The column note says where.
void apply_dominance_bound(Column& column, const std::vector<BlockDominance>& by_time);

}  // namespace darkcharge
