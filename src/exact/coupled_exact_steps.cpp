// The steps of one birth-death chain in time (coupled_exact_steps.hpp): rational
// exponentials (rational_exponential.hpp, 7 complex tridiagonal solves, uniformly accurate to
// ~2e-14 for any dt and any rate on a normal matrix) on the window of entries that are not
// negligible, checked against shorter steps or taken in short substeps, so that the chain's
// non-normality cannot magnify that error (see advance() and advance_pair()).
#include "exact/coupled_exact_steps.hpp"

#include <algorithm>
#include <cmath>
#include <utility>

#include "exact/coupled_exact_internal.hpp"
#include "exact/simd_clones.hpp"

namespace darkcharge::coupled_exact {
namespace {

/// Largest h |A(i, i)| of one rational-exponential substep (see advance()).
constexpr double kLargestDecay = 3;
/// At nbar > 0, intervals of at most this many substeps take them without a check (one step
/// against two half steps costs 3 rational exponentials).
constexpr int kDirectSubsteps = 2;
/// Largest l1 distance between one step and two half steps of a chain that accepts the
/// half steps at nbar > 0 (see advance()).
constexpr double kStepAgreement = 1e-13;

void save(const PairChain& c, ChainSnapshot& snapshot) {
  snapshot.lo = c.lo;
  snapshot.hi = c.hi;
  snapshot.margin_low = c.margin_low;
  snapshot.margin_high = c.margin_high;
  if (c.alive()) snapshot.window.assign(c.r.begin() + c.lo, c.r.begin() + c.hi + 1);
  else snapshot.window.clear();
}

void restore(const ChainSnapshot& snapshot, PairChain& c) {
  if (c.alive()) std::fill(c.r.begin() + c.lo, c.r.begin() + c.hi + 1, 0.0);
  std::copy(snapshot.window.begin(), snapshot.window.end(), c.r.begin() + std::max(0, snapshot.lo));
  c.lo = snapshot.lo;
  c.hi = snapshot.hi;
  c.margin_low = snapshot.margin_low;
  c.margin_high = snapshot.margin_high;
}

/// sum_i |c.r[i] - snapshot's entry i|.
double l1_distance(const PairChain& c, const ChainSnapshot& snapshot) {
  double sum = 0;
  const int lo = std::min(c.alive() ? c.lo : snapshot.lo, snapshot.lo);
  const int hi = std::max(c.alive() ? c.hi : snapshot.hi, snapshot.hi);
  for (int i = std::max(0, lo); i <= hi; ++i) {
    const double a = c.alive() && i >= c.lo && i <= c.hi ? c.r[i] : 0.0;
    const double b = i >= snapshot.lo && i <= snapshot.hi ? snapshot.window[i - snapshot.lo] : 0.0;
    sum += std::fabs(a - b);
  }
  return sum;
}

/// r <- exp(A h) r on the window plus margins. The margins grow (and the step is redone)
/// until the result is negligible at both cut edges and in the sinks beyond them
/// (solve_on_window), so cutting the chain there changes nothing above kNegligible; then
/// they follow how far the window moved.
void advance_once(PairChain& c, const Rates& rates, double dt, StepScratch& s);

/// s.one_step <- exp(A dt_a) r and r <- exp(A dt_b) r, from the same start on the same
/// window (grown until both are negligible at its cut edges and in its sinks), solved side
/// by side.
void advance_both(PairChain& c, const Rates& rates, double dt_a, double dt_b, StepScratch& s);

/// One step of dt1 + dt2 against the steps dt1, dt2 (`middle`, if given, receives the chain
/// after dt1): true where they agree within kStepAgreement, the two steps kept; else false,
/// the chain back at its start.
bool two_steps_agree(PairChain& c, const Rates& rates, double dt1, double dt2, StepScratch& s,
                     ChainSnapshot* middle) {
  save(c, s.start);
  advance_both(c, rates, dt1 + dt2, dt1, s);  // s.one_step: over both; c: over dt1
  if (middle != nullptr) save(c, *middle);
  if (c.alive()) advance_once(c, rates, dt2, s);
  if (l1_distance(c, s.one_step) <= kStepAgreement) return true;
  restore(s.start, c);
  return false;
}

}  // namespace

void trim_window(PairChain& c, int first, int last) {
  int lo = first, hi = last;
  while (lo <= hi && std::fabs(c.r[lo]) <= kNegligible) c.r[lo++] = 0.0;
  while (hi >= lo && std::fabs(c.r[hi]) <= kNegligible) c.r[hi--] = 0.0;
  if (lo > hi) {
    c.lo = 0;
    c.hi = -1;
    return;
  }
  c.lo = lo;
  c.hi = hi;
}

/// r <- exp(A dt) r. The rational approximation is uniform on the spectrum of a normal
/// matrix; A is not normal. At nbar > 0 it is D S D^-1 with S symmetric and D diagonal, the
/// ratio of D's entries k levels apart ~ ((nbar + 1) / nbar)^(k/2), so the 2e-14 error of
/// moving weight k levels down in one step is magnified by up to that ratio; at nbar = 0
/// (pure death, bidiagonal with repeated diagonal entries) without bound. Substeps with
/// h |A(i, i)| <= kLargestDecay keep the transport of one substep to a few levels: measured
/// against the same solver on grids 20x finer, at nbar = 0 (N_B = 12, N_C = 41) the largest
/// error of any column was 1.5e-6 with one step per grid interval, 1e-10 with
/// h |A(i, i)| <= 10 and 4e-12 with <= 3; at nbar = 0.1 (N_B = 20, N_C = 200, output times
/// 0.005 apart) S_B was off by 0.33 with one step, 4e-7 with <= 10, 1e-10 with <= 3; at
/// nbar = 0.5 by 3e-3, 1e-9 and 3e-12. They are many while the window spans the middle of a
/// ladder (the burst): 8x the cost of one step on the default grid at N_B = 30, N_C = 300.
/// At nbar > 0 one step is therefore tried first and checked against two half steps: where
/// they agree within kStepAgreement (l1 over the chain) the half steps are kept, else each
/// half is advanced the same way, halving until the halves agree or are short enough to take
/// in at most kDirectSubsteps substeps unchecked. The error of a step grows like the ratio
/// above, exponentially in how far it moves weight, so a halving or two usually agree where
/// the h |A(i, i)| <= 3 substeps were tens (N_B = 100, N_C = 1000, default grid: 451 -> ~240
/// CPU-s, most of it these intervals of the burst). On the default grid (201 points) nearly
/// every interval passes at once (2.5x the cost of one step); at output times 0.02 apart in
/// the burst of N_B = 4, N_C = 40, nbar 0.1 every column is within 3e-12 of the product
/// solver (one step: 2.5e-7).
/// The grid's intervals are taken two at a time where they can be (advance_pair), which
/// checks the same way at half the cost and falls back on this for each interval.
void advance(PairChain& c, const Rates& rates, double dt, StepScratch& s) {
  if (!c.alive()) return;
  double fastest = 0;
  const int first = std::max(0, c.lo - c.margin_low);
  const int last = std::min(c.length() - 1, c.hi + c.margin_high);
  for (int i = first; i <= last; ++i) fastest = std::max(fastest, -rates.diagonal(c, i));
  const int k = std::max(1, static_cast<int>(std::ceil(fastest * dt / kLargestDecay)));
  // At nbar > 0: one step against two half steps, and where they disagree each half the same
  // way (the transport of a step, and with it the magnification of its error, shrinks with
  // the step), down to where the substeps cost no more than a check (3 exponentials).
  if (rates.up > 0 && k > kDirectSubsteps) {
    if (two_steps_agree(c, rates, dt / 2, dt / 2, s, nullptr)) return;
    advance(c, rates, dt / 2, s);
    advance(c, rates, dt / 2, s);
    return;
  }
  for (int j = 0; j < k && c.alive(); ++j) advance_once(c, rates, dt / k, s);
}

/// r <- exp(A dt2) exp(A dt1) r, with `middle` receiving exp(A dt1) r, for two grid
/// intervals at once. Checked like advance(), one step against shorter ones, but over the
/// pair: one step of dt1 + dt2 against the two steps dt1, dt2 that are kept. Where they agree
/// each interval's step moves weight half as far as the checked one, the same margin as
/// advance()'s half steps, at 3 rational exponentials per two intervals instead of 6. Where
/// they do not, each interval is advanced on its own.
void advance_pair(PairChain& c, const Rates& rates, double dt1, double dt2, StepScratch& s,
                  ChainSnapshot& middle) {
  if (c.alive() && rates.up > 0 && two_steps_agree(c, rates, dt1, dt2, s, &middle)) return;
  advance(c, rates, dt1, s);
  save(c, middle);
  advance(c, rates, dt2, s);
}

namespace {

/// The generator's entries on [first, first + m) unscaled: diagonal, above, below (the
/// window's own ends cut: nothing enters from beyond them). Rates' formulas by M in one loop
/// without branches, which the compiler vectorises (its square roots too: this file is
/// compiled with -fno-math-errno), 4-5% of a thermal run when it took Rates::diagonal,
/// from_above, from_below entry by entry: at the chain's ends the formulas give the 0 those
/// return there, and inside the chain every product under a root is of two factors >= 0.
/// [first, first + m) may reach one row beyond each end of the chain (the sinks of
/// solve_on_window): there the diagonal is junk and the rate from beyond, below[0] or
/// above[m - 1], can be NaN (J' >= J + 2); all three are overwritten before use (below[0]
/// and above[m - 1] here, the sinks' diagonal by the caller). Compiled for AVX2 too
/// (lane-wise, no FMA: the same numbers).
DARKCHARGE_SIMD_CLONES
void generator(const PairChain& c, const Rates& rates, int first, int m, StepScratch& s) {
  s.diagonal.resize(m);
  s.above.resize(m);
  s.below.resize(m);
  double* diagonal = s.diagonal.data();
  double* above = s.above.data();
  double* below = s.below.data();
  const double J = c.J, Jp = c.Jp;
  const Rates r = rates;  // a local copy: the stores below cannot alias its rates
  for (int j = 0; j < m; ++j) {
    const double M = (first + j) - J;  // c.m(i)
    diagonal[j] = r.decay(J, Jp, M);
    above[j] = r.down_from(J, Jp, M + 1);
    below[j] = r.up_from(J, Jp, M - 1);
  }
  above[m - 1] = 0.0;
  below[0] = 0.0;
}

/// `out` = dt times s's unscaled generator (m entries each).
void scale(const StepScratch& s, double dt, int m, std::vector<double> (&out)[3]) {
  for (auto& v : out) v.resize(m);
  for (int j = 0; j < m; ++j) {
    out[0][j] = dt * s.diagonal[j];
    out[1][j] = dt * s.above[j];
    out[2][j] = dt * s.below[j];
  }
}

/// Copies a step's result on [first, last] into the chain and trims its window; the margins
/// follow how far the window moved.
void take(PairChain& c, const double* result, int first, int last) {
  std::copy(result, result + (last - first + 1), c.r.begin() + first);
  const int old_lo = c.lo, old_hi = c.hi;
  trim_window(c, first, last);
  if (!c.alive()) return;
  c.margin_low = std::max(kMinMargin, 2 * (old_lo - c.lo));
  c.margin_high = std::max(kMinMargin, 2 * (c.hi - old_hi));
}

/// exp(A dt_a) r into s.out and, where dt_b > 0, exp(A dt_b) r into s.out_b (the two solved
/// side by side), on the chain's window plus margins, [first, last]: entries 1..m of the
/// outputs, m = last - first + 1. Entries 0 and m + 1 are sinks, rows of their own that
/// collect what flows out across each cut edge and feed nothing back (the rows inside are
/// the same numbers with or without them, but for the sign of an exact zero). The margins
/// grow (and the step is redone) until every result is negligible at both cut edges and
/// neither sink holds more than that, so cutting the chain there changes nothing above
/// kNegligible (a sink holds the net outflow: a coherence whose outflow changed sign within
/// the step could cancel part of it there, which the edge entries still catch). The edges
/// alone were not enough: a step long against the chain's rates can drain the whole window
/// across a cut edge, leaving negligible entries at the edge (and everywhere), and the chain
/// was dropped as empty (a population of 4e-7 at N_B = 20, N_C = 60, nbar 0.5, J = 30, in
/// the first grid interval, once kNegligible was 1e-18).
void solve_on_window(PairChain& c, const Rates& rates, double dt_a, double dt_b, StepScratch& s,
                     int& first, int& last) {
  const int n = c.length();
  for (;;) {
    first = std::max(0, c.lo - c.margin_low);
    last = std::min(n - 1, c.hi + c.margin_high);
    const int m = last - first + 1, rows = m + 2;
    // The generator on [first - 1, last + 1], its two outer rows made sinks: no decay of
    // their own and no rate from them into the window.
    generator(c, rates, first - 1, rows, s);
    s.diagonal[0] = s.diagonal[m + 1] = 0.0;
    s.below[1] = s.above[m] = 0.0;
    s.in.assign(rows, 0.0);
    std::copy(c.r.begin() + first, c.r.begin() + last + 1, s.in.begin() + 1);
    scale(s, dt_a, rows, s.scaled_a);
    const detail::Tridiagonal a{s.scaled_a[0].data(), s.scaled_a[1].data(), s.scaled_a[2].data()};
    s.out.resize(rows);
    if (dt_b > 0) {
      scale(s, dt_b, rows, s.scaled_b);
      s.out_b.resize(rows);
      detail::tridiagonal_exponentials(
          a, {s.scaled_b[0].data(), s.scaled_b[1].data(), s.scaled_b[2].data()}, rows,
          s.in.data(), s.out.data(), s.out_b.data(), s.solve);
    } else {
      detail::tridiagonal_exponential(a.d, a.up, a.low, rows, s.in.data(), s.out.data(),
                                      s.solve);
    }
    auto large = [&](const std::vector<double>& out, int j) {
      return j >= 0 && j < rows && std::fabs(out[j]) > kNegligible;
    };
    // The sink and the window's two entries at each cut edge.
    auto edge_low = [&](const std::vector<double>& out) {
      return large(out, 0) || large(out, 1) || large(out, 2);
    };
    auto edge_high = [&](const std::vector<double>& out) {
      return large(out, m + 1) || large(out, m) || large(out, m - 1);
    };
    const bool grow_low = first > 0 && (edge_low(s.out) || (dt_b > 0 && edge_low(s.out_b)));
    const bool grow_high = last < n - 1 && (edge_high(s.out) || (dt_b > 0 && edge_high(s.out_b)));
    if (!grow_low && !grow_high) return;
    if (grow_low) c.margin_low *= 4;
    if (grow_high) c.margin_high *= 4;
  }
}

void advance_both(PairChain& c, const Rates& rates, double dt_a, double dt_b, StepScratch& s) {
  int first = 0, last = 0;
  solve_on_window(c, rates, dt_a, dt_b, s, first, last);
  const int lo = c.lo, hi = c.hi, margin_low = c.margin_low, margin_high = c.margin_high;
  take(c, s.out.data() + 1, first, last);
  save(c, s.one_step);
  // Back to the start's window (with the margins as grown), then the dt_b step's result.
  if (c.alive()) std::fill(c.r.begin() + c.lo, c.r.begin() + c.hi + 1, 0.0);
  c.lo = lo;
  c.hi = hi;
  c.margin_low = margin_low;
  c.margin_high = margin_high;
  take(c, s.out_b.data() + 1, first, last);
}

void advance_once(PairChain& c, const Rates& rates, double dt, StepScratch& s) {
  int first = 0, last = 0;
  solve_on_window(c, rates, dt, 0, s, first, last);
  take(c, s.out.data() + 1, first, last);
}

}  // namespace
}  // namespace darkcharge::coupled_exact
