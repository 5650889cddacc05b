#pragma once
/// @file rare_event_floor.hpp
/// A lower bound on the error of a trajectory average, against events too rare to appear in
/// the sample.
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

#include "darkcharge/physics/model.hpp"
#include "darkcharge/estimate/time_series.hpp"

namespace darkcharge {

/// 1.5 (b - a) / n for a quantity confined to an interval of width `range`.
double rare_event_floor(double range, long trajectories);

/// What a sample of one trajectory value at one time says about its own tails.
struct SampleTail {
  long n = 0;                ///< trajectories
  double mean = 0;           ///< their mean
  double squares = 0;        ///< sum of squared deviations from the mean
  double lowest = 0, highest = 0;  ///< smallest and largest value seen
};

/// Share of the squared spread held by the farthest single trajectory,
/// max(highest - mean, mean - lowest)^2 / squares: ~ 2 ln(n) / n for a Gaussian-like sample
/// (0.008 at n = 2000), about 1/k where k trajectories of a rare class carry the spread; 1 if
/// the sample has no spread. A diagnostic: the floors below do not switch on it.
double largest_deviation_share(const SampleTail& s);

/// The pull of the farthest trajectory on the mean: x_far - (mean of the others), over n,
/// = max(highest - mean, mean - lowest) / (n - 1). 0 for n <= 1.
double farthest_pull(const SampleTail& s);

/// The rare-event floor judged from the sample (BlockSums::linear_column, at nbar > 0 only:
/// at nbar = 0 the dark states absorb, and a sample that missed the class not yet absorbed
/// can look resolved, so the theoretical floor stays there).
///  - No spread at all (every trajectory the same): nothing to judge the tail by, the
///    theoretical rare_event_floor(range, n).
///  - Otherwise the larger of two bounds read off the sample, capped by the theoretical one:
///    (a) 1.5 (highest - lowest) / n, the rule of three for a missed class lying within the
///    range the sample spans. A missed class of probability p < 3/n at distance d from the
///    mean moves it by p d; to exceed a standard error s / sqrt(n) it must lie at
///    d > s sqrt(n) / 3 (15 s at n = 2000), several times farther than the farthest of the n
///    trajectories seen, with nothing seen in between -- the assumption under every standard
///    error.
///    (b) 2 farthest_pull(s): where a handful of rare trajectories carry the spread (the end
///    of the burst at nbar > 0, one trajectory holding up to ~1/2 of the squared spread),
///    the farthest one stands for a class seen once, whose true weight is 0.05 to 4.7 times
///    what it contributed (Poisson, 95%); a 2-error interval of +-4 pulls covers that. With k
///    such trajectories the standard error (~ sqrt(k) pulls) takes over.
///  The share of the squared spread the farthest trajectory holds does not switch the floor
///  back to the theoretical range: on the nbar > 0 plateaus one trajectory holds 0.03-0.07 of
///  it at n = 2000 (a skewed but well-sampled distribution), and that theoretical floor was
///  2-30 times the seed-to-seed scatter (bench/tight_errors.py).
/// `range` may be infinite (the count columns at nbar > 0): a sample with no spread then has
/// no floor.
double sample_rare_event_floor(const SampleTail& s, double range);

/// error = max(error, sample_rare_event_floor(tails[g], range)) at every time; where the floor
/// is the larger, a sentence saying which of the two floors acted (and how often) is
/// appended to column.note.
void apply_sample_rare_event_floor(Column& column, const std::vector<SampleTail>& tails,
                                   double range);

/// The same rule for the variance-type columns. A missed class of probability p moves a
/// variance far more than a mean where the class lies far from the rest: after the nbar = 0
/// burst, the few trajectories still lingering carry the whole spread of n_em and of the
/// battery energy, and a sample that met none of them reported sigma_B and F_em with
/// jackknife errors that covered the exact value at one time in 0.30 (sigma_B) and 0.02
/// (F_em) of 50 runs (N_B = 100, N_C = 1000, 2000 trajectories). With p = 1.5/n:
///  - sigma_B = sqrt(A - B^2), per-trajectory A in [0, 1/4], B in [-1/2, 1/2] (per spin):
///    |dA| <= p/4, |d(B^2)| <= p + p^2, so sigma moves by at most
///    sqrt(sigma^2 + 1.25 p + p^2) - sigma;
///  - F_em = V/m with counts confined to [0, D]: a class at count n' moves V by at most
///    p (n' - m)^2 and m by p |n' - m|, |n' - m| <= w = max(m, D - m), so F_em moves by at
///    most f(p) = (V + p w^2)/(m - p w) - V/m. f is convex in p, so the floor is f(3/n)/2
///    (not f(1.5/n), which would be smaller); undetermined (NaN) while m <= 3 w/n, and no
///    floor where D is infinite (nbar > 0). Conservative during the burst (jackknife
///    coverage there is near nominal without it), honest after it; loose, since it assumes
///    the worst place for the missed class.
///  (sigma_B: the shift is concave in p, so the value at 1.5/n is already conservative; it
///  bounds the upward move, and the downward one follows from the law of total variance,
///  sigma_t^2 >= (1 - p) sigma_s^2.)
double energy_spread_floor(double sigma, long trajectories);
/// The same judged from the sample (as sample_rare_event_floor), from the tails of two
/// per-trajectory values: v = <(J_B^z)^2> - <J_B^z>^2 (the trajectory's own variance) and
/// b = <J_B^z>. A missed class of weight p with values (v', b') moves
/// sigma^2 = E[v] + Var(b) (per spin) by p (v' + (b' - B)^2 - sigma^2) - p^2 (b' - B)^2:
/// up by at most p U, U = max(0, v_max + d_max^2 - sigma^2), d_max the largest distance of a
/// seen b from the mean B, for a class within the values seen; down by at most p sigma^2
/// (law of total variance). Where both samples have a spread the floor is the larger move of
/// sigma at p = 1.5/n, capped by energy_spread_floor above -- which is also what a sample
/// without spread gets. `v`, `b` in units of J_B^z (divided by N_B here).
double energy_spread_floor(double sigma, long trajectories, const SampleTail& v,
                           const SampleTail& b, double n_battery);
double fano_factor_floor(double mean, double variance, double range, long trajectories);

/// error = max(error, floor[g]) at every time g; a NaN floor makes the error NaN (the bound
/// is undetermined there). Appends a sentence saying where, to column.note.
void apply_floor(Column& column, const std::vector<double>& floor);

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
/// nbar = 0 only emissions happen, each lowers M by 1 from M0 = j_C - j_B (the battery
/// starts in its ground level) to at least -(j_C + j_B), so at most N_C (absorptions: none);
/// at nbar > 0 unbounded (infinity).
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
