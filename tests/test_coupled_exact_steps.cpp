// One chain's steps (src/exact/coupled_exact_steps.hpp) where its window is far narrower than
// where a step takes its weight: the superradiant burst of a chain started at one level, one
// step long against its rates. The window is cut at its margins; a step that drained the
// whole window across a cut edge left only negligible entries behind and the chain was
// dropped as empty (J = 30 of N_B = 20, N_C = 60, nbar 0.5, weight 4e-7: lost in the first
// grid interval of 0.1 when chain entries below 1e-18 were negligible; advance_pair()'s
// check over two intervals takes one step of 0.2 first). Expected values: a
// population chain keeps its sum exactly (the generator's columns sum to zero); a coherence
// chain is compared with the same step on the whole chain (no cut edge).
#include <numeric>

#include <gtest/gtest.h>

#include "exact/coupled_exact_internal.hpp"
#include "exact/coupled_exact_steps.hpp"

namespace darkcharge::coupled_exact {
namespace {

PairChain started_at(double J, double Jp, double M0, double weight) {
  PairChain c;
  c.J = J;
  c.Jp = Jp;
  c.r.assign(static_cast<int>(2 * J) + 1, 0.0);
  c.lo = c.hi = static_cast<int>(M0 + J);
  c.r[c.lo] = weight;
  return c;
}

double sum(const PairChain& c) { return std::accumulate(c.r.begin(), c.r.end(), 0.0); }

const Rates kRates{1.5, 0.5};  // gamma = 1, nbar = 0.5

TEST(CoupledExactSteps, AStepThatDrainsTheWindowKeepsThePopulation) {
  for (const double weight : {4e-7, 1e-8}) {
    PairChain c = started_at(30, 30, 20, weight);
    StepScratch s;
    advance(c, kRates, 0.1, s);
    ASSERT_TRUE(c.alive()) << weight;
    // The steps' accuracy (~2e-14 relative) and the entries dropped as negligible at the
    // window's two ends (tails falling by ~3 per level, under 1.5 kNegligible each; none at
    // these weights, whose chains fill their whole length: measured losses 3e-20 and 9e-22;
    // a weight of 1e-9 loses 1.3e-17 over the step's ~10 checked substeps).
    const double tolerance = 1e-13 * weight + 3 * kNegligible;
    EXPECT_NEAR(sum(c), weight, tolerance) << weight;
    PairChain d = started_at(30, 30, 20, weight);
    ChainSnapshot middle;
    advance_pair(d, kRates, 0.1, 0.1, s, middle);
    EXPECT_NEAR(sum(d), weight, tolerance) << weight;
  }
}

TEST(CoupledExactSteps, AStepThatDrainsTheWindowMatchesTheWholeChain) {
  const double weight = 4e-7;
  PairChain windowed = started_at(30, 31, 20, weight), whole = windowed;
  whole.lo = 0;  // the window is the whole chain: nothing cut
  whole.hi = whole.length() - 1;
  StepScratch s;
  ChainSnapshot middle;  // two grid intervals of 0.1, as the solver takes them
  advance_pair(windowed, kRates, 0.1, 0.1, s, middle);
  advance_pair(whole, kRates, 0.1, 0.1, s, middle);
  ASSERT_TRUE(windowed.alive());
  for (int i = 0; i < whole.length(); ++i)
    // The steps' accuracy, and the entries each run drops as negligible on its own.
    EXPECT_NEAR(windowed.r[i], whole.r[i], 1e-12 * weight + kNegligible) << "M = " << whole.m(i);
}

}  // namespace
}  // namespace darkcharge::coupled_exact
