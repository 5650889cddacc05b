#pragma once
// One birth-death chain of the coupled-basis solver at nbar > 0 (or several initial levels)
// and its steps in time: the chain's window of non-negligible entries, its generator, and
// the rational-exponential steps with their checks (coupled_exact_steps.cpp). Private to
// src/exact/; coupled_exact_chains.cpp builds the chains and observes them.
#include <cmath>
#include <vector>

#include "darkcharge/physics/angular_momentum.hpp"
#include "exact/rational_exponential.hpp"

namespace darkcharge::coupled_exact {
/// Smallest margin of entries solved for beyond a window's edge, on each side.
constexpr int kMinMargin = 8;
/// The chain of r_JJ'(M) = <J M|rho|J' M>, J <= J', M = -J..J (index i = M + J).
struct PairChain {
  double J, Jp;
  int lo = 0, hi = -1;  // window [lo, hi] of non-negligible entries; empty: negligible
  int margin_low = kMinMargin, margin_high = kMinMargin;
  std::vector<double> r;

  int length() const { return static_cast<int>(r.size()); }
  double m(int i) const { return i - J; }
  bool alive() const { return lo <= hi; }
};

/// The generator at index i (physics.md, "Facts"): d r(M)/dt = diagonal r(M) +
/// from_above r(M + 1) + from_below r(M - 1).
struct Rates {
  double down, up;  // gamma (nbar + 1), gamma nbar
  /// The formulas by M, without the chain's ends (the chains' generator takes them in one
  /// vectorised loop): the rate out of M, and the rates into M - 1 from M (down) and into
  /// M + 1 from M (up). 0 from beyond a chain's end: lowering_squared(J, J + 1) =
  /// raising_squared(J, -J - 1) = 0.
  double decay(double J, double Jp, double M) const {
    return -down * (lowering_squared(J, M) + lowering_squared(Jp, M)) -
           up * (raising_squared(J, M) + raising_squared(Jp, M));
  }
  double down_from(double J, double Jp, double M) const {
    return 2 * down * std::sqrt(lowering_squared(J, M) * lowering_squared(Jp, M));
  }
  double up_from(double J, double Jp, double M) const {
    return 2 * up * std::sqrt(raising_squared(J, M) * raising_squared(Jp, M));
  }
  double diagonal(const PairChain& c, int i) const { return decay(c.J, c.Jp, c.m(i)); }
  double from_above(const PairChain& c, int i) const {
    return i + 1 >= c.length() ? 0.0 : down_from(c.J, c.Jp, c.m(i) + 1);
  }
  double from_below(const PairChain& c, int i) const {
    return i <= 0 ? 0.0 : up_from(c.J, c.Jp, c.m(i) - 1);
  }
  /// (A^T x)(i) for an observable x given by index: d/dt sum_i x(i) r(i) = sum_i r(i)
  /// (A^T x)(i). P_B is taken in this form: A^T x is exact and of the size of the power,
  /// where A r would cancel terms ~ N^2 larger and amplify r's rounding by that much.
  template <class X>
  double adjoint(const PairChain& c, int i, const X& x) const {
    double d = diagonal(c, i) * x(i);
    if (i > 0) d += from_above(c, i - 1) * x(i - 1);
    if (i + 1 < c.length()) d += from_below(c, i + 1) * x(i + 1);
    return d;
  }
};

/// A chain's window and its entries (every entry outside the window is 0).
struct ChainSnapshot {
  int lo = 0, hi = -1, margin_low = kMinMargin, margin_high = kMinMargin;
  std::vector<double> window;
};

/// Per-thread scratch of one chain step.
struct StepScratch {
  std::vector<double> diagonal, above, below, in, out, out_b;
  std::vector<double> scaled_a[3], scaled_b[3];  // dt times diagonal, above, below
  detail::TridiagonalScratch solve;
  ChainSnapshot start, one_step;
};

/// Zeroes the negligible entries at both ends of [first, last] and sets the window to what
/// is left (empty if nothing).
void trim_window(PairChain& c, int first, int last);

/// r <- exp(A dt) r, checked against two half steps at nbar > 0, else in substeps.
void advance(PairChain& c, const Rates& rates, double dt, StepScratch& s);

/// r <- exp(A dt2) exp(A dt1) r with `middle` receiving exp(A dt1) r: one step over both
/// intervals checked against the two kept; where they disagree, advance() for each.
void advance_pair(PairChain& c, const Rates& rates, double dt1, double dt2, StepScratch& s,
                  ChainSnapshot& middle);

}  // namespace darkcharge::coupled_exact
