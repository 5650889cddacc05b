#pragma once
/// @file jackknife.hpp
/// Delete-one-block jackknife for functions of trajectory averages (ergotropy, negativity,
/// peak values): bias-corrected estimate B f(all) - (B-1) mean_b f(all but b) and standard
/// error sqrt((B-1)/B sum_b (f(all but b) - mean)^2). The O(1/n) bias of a smooth nonlinear
/// function of a mean cancels to leading order.
#include <vector>

namespace darkcharge {

struct Estimate {
  double value = 0;
  double error = 0;
};

/// `full` = f on all trajectories, `leave_one_out[b]` = f without block b.
Estimate jackknife(double full, const std::vector<double>& leave_one_out);

/// {full, jackknife standard error} without the bias correction: for statistics whose bias
/// is not O(1/n) (argmax-type features, estimates already corrected otherwise).
Estimate jackknife_spread(double full, const std::vector<double>& leave_one_out);

}  // namespace darkcharge
