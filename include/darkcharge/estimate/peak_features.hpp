#pragma once
/// @file peak_features.hpp
/// A peak of a noisy curve (P_B^max, the largest local maximum of dS_B/dt: paper Fig. 2e,
/// 5c-d) with errors, or a reason why it is not resolved.
///
/// The value and time are those of the reported curve (parabola through its grid maximum
/// and neighbours), so the value is a maximum of that curve and the time lies inside the
/// run. Errors: the larger of the delete-one-block jackknife spread and the spread
/// over pseudo-samples full + (B-1)/sqrt(B) (full - leave_one_out[b]) (each with about the
/// noise of an independent run), every replicate's peak looked for only in the full curve's
/// basin (between the minima on either side), so it never jumps to another local maximum;
/// the time's error is then scaled to the parabola's curvature one error flatter (the
/// vertex moves as 1/curvature, and a run whose noise sharpened the peak understates it).
/// No jackknife bias correction: for an argmax it extrapolates across replicates that pick
/// different maxima, and can land outside the run (a "maximum" at t = 4.77 in a run to
/// t = 2).
///
/// Not resolved (NaN value, time and errors, with the reason) when the maximum is at an end
/// of the run, or when it does not beat its best rival -- another local maximum, or for the
/// global maximum an end of the run -- by 2 jackknife errors of the margin: the data do not
/// then say which maximum is the largest (and a rival that is truly equal passes this test
/// in about 2% of runs); or when the parabola's curvature is not 3 pseudo-sample errors below
/// 0 (a peak too flat for the noise: the vertex is a ratio with a noisy denominator).
#include <string>
#include <vector>

#include "darkcharge/estimate/jackknife.hpp"
#include "darkcharge/core/time_grid.hpp"

namespace darkcharge {

enum class PeakKind {
  global,              ///< the largest value of the curve (must not be at an end)
  largest_interior,    ///< the largest interior local maximum (paper Fig. 5c)
};

struct PeakFeature {
  Estimate value;
  Estimate time;
  std::string unresolved;  ///< why value and time are NaN ("" when resolved)
  std::vector<double> leave_one_out_time;  ///< each replicate's peak time (for differences)
};

/// `leave_one_out` may be empty (exact curves: errors 0).
PeakFeature peak_feature(const std::vector<double>& curve,
                         const std::vector<std::vector<double>>& leave_one_out,
                         const TimeGrid& grid, PeakKind kind);

}  // namespace darkcharge
