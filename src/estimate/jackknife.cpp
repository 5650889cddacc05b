#include "darkcharge/estimate/jackknife.hpp"

#include <cmath>

namespace darkcharge {

Estimate jackknife(double full, const std::vector<double>& leave_one_out) {
  const double b = static_cast<double>(leave_one_out.size());
  if (b < 2) return {full, 0.0};
  double mean = 0;
  for (double x : leave_one_out) mean += x;
  mean /= b;
  double spread = 0;
  for (double x : leave_one_out) spread += (x - mean) * (x - mean);
  return {b * full - (b - 1) * mean, std::sqrt((b - 1) / b * spread)};
}

Estimate jackknife_spread(double full, const std::vector<double>& leave_one_out) {
  return {full, jackknife(full, leave_one_out).error};
}

}  // namespace darkcharge
