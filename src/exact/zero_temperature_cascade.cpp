#include "darkcharge/exact/zero_temperature_cascade.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

#include <Eigen/Dense>
#include <fmt/format.h>

#include "darkcharge/physics/angular_momentum.hpp"
#include "darkcharge/core/errors.hpp"

namespace darkcharge {
namespace {

constexpr double kMinusInfinity = -std::numeric_limits<double>::infinity();
/// Populations below this are set to zero and leave the active window of levels: the mass
/// so dropped (< levels x 1e-30 per step) is far below every tolerance, and the window
/// then covers only the travelling bulk of the cascade.
constexpr double kNegligible = 1e-30;
/// Terms of the emission-rate sums below exp(-46) ~ 1e-20 relative to the largest are
/// skipped (no exp): at most 2 (j_C + j_B) + 1 of them, so a relative change < 1e-16.
constexpr double kSkipExponent = -46;
/// Amplitudes below exp(-41) ~ 2e-18 of the largest are set to zero (their products with
/// the others are below every tolerance).
constexpr double kSkipAmplitude = -41;

/// Radau IIA, three stages, order 5 (Hairer & Wanner, Solving ODEs II, Table IV.5.6).
struct RadauTableau {
  std::array<double, 3> c;
  Eigen::Matrix3d a;
  RadauTableau() {
    const double s6 = std::sqrt(6.0);
    c = {(4 - s6) / 10, (4 + s6) / 10, 1.0};
    a << (88 - 7 * s6) / 360, (296 - 169 * s6) / 1800, (-2 + 3 * s6) / 225,
        (296 + 169 * s6) / 1800, (88 + 7 * s6) / 360, (-2 - 3 * s6) / 225,
        (16 - s6) / 36, (16 + s6) / 36, 1.0 / 9;
  }
};

/// One Radau step of dP_k/dt = -lambda_k P_k + lambda_{k-1} P_{k-1} over levels
/// [begin, end) (P_{begin-1} = 0), with rate[l][k - begin] = lambda_k(t + c_l h).
/// Stage values at level k depend only on level k - 1: a downward sweep of 3 x 3 solves.
void radau_step(const RadauTableau& rk, double h, const std::array<const double*, 3>& rate,
                int begin, int end, const std::vector<double>& y, std::vector<double>& out) {
  Eigen::Vector3d above = Eigen::Vector3d::Zero();  // stage values at level k - 1
  std::array<double, 3> rate_above = {0, 0, 0};
  for (int k = begin; k < end; ++k) {
    const int w = k - begin;
    Eigen::Matrix3d m;
    Eigen::Vector3d rhs;
    for (int s = 0; s < 3; ++s) {
      rhs(s) = y[k];
      for (int l = 0; l < 3; ++l) {
        m(s, l) = (s == l ? 1.0 : 0.0) + h * rk.a(s, l) * rate[l][w];
        rhs(s) += h * rk.a(s, l) * rate_above[l] * above(l);
      }
    }
    above = m.inverse() * rhs;
    for (int l = 0; l < 3; ++l) rate_above[l] = rate[l][w];
    out[k] = above(2);  // stiffly accurate: the last stage is the step's result
  }
}

}  // namespace

ZeroTemperatureCascade::ZeroTemperatureCascade(const Model& model, double j_battery,
                                               double m_battery)
    : j1_(model.j_charger()), j2_(j_battery), m0_(model.j_charger() + m_battery),
      gamma_(model.gamma) {
  validate(model);
  if (model.nbar != 0.0)
    throw InvalidArgument(fmt::format(
        "ZeroTemperatureCascade: nbar must be 0 (the state is rank one per M only then), got {}",
        model.nbar));
  if (j_battery < 0 || j_battery > model.j_battery() || std::fabs(m_battery) > j_battery)
    throw InvalidArgument(fmt::format("ZeroTemperatureCascade: no battery level j_B = {}, m_B = {}",
                                      j_battery, m_battery));
  j_low_ = first_total_j(j1_, j2_, m0_);
  const double j_high = j1_ + j2_;
  n_j_ = static_cast<int>(std::lround(j_high - j_low_)) + 1;
  levels_ = static_cast<int>(std::lround(m0_ + j_high)) + 1;
  log_weight_.assign(std::size_t(levels_) * n_j_, kMinusInfinity);
  for (int i = 0; i < n_j_; ++i) {
    const double c = clebsch_gordan_charger_up(j1_, j2_, m_battery, j_low_ + i);
    if (c > 0) log_weight_[i] = 2 * std::log(c);
  }
  for (int k = 1; k < levels_; ++k) {
    const double m_from = m0_ - k + 1;  // the jump M' = M + 1 -> M
    for (int i = 0; i < n_j_; ++i) {
      const double a = lowering_squared(j_low_ + i, m_from);
      const double previous = log_weight_[std::size_t(k - 1) * n_j_ + i];
      log_weight_[std::size_t(k) * n_j_ + i] = a > 0 ? previous + std::log(a) : kMinusInfinity;
    }
  }
  decay_rate_.resize(n_j_);
  for (int i = 0; i < n_j_; ++i) decay_rate_[i] = 2 * gamma_ * (j_low_ + i) * (j_low_ + i + 1);
  n_blocks_ = (n_j_ + kBlock - 1) / kBlock;
  block_max_.assign(std::size_t(levels_) * n_blocks_, kMinusInfinity);
  for (int k = 0; k < levels_; ++k)
    for (int i = 0; i < n_j_; ++i) {
      double& m = block_max_[std::size_t(k) * n_blocks_ + i / kBlock];
      m = std::max(m, log_weight(k, i));
    }
}

double ZeroTemperatureCascade::first_j(int k) const {
  return std::max(j_low_, std::fabs(m0_ - k));
}

const std::vector<std::pair<int, double>>& ZeroTemperatureCascade::significant_weights(
    int k, double t, double skip) const {
  // x_J = log_weight - 2 gamma J(J+1) t. Each block of J has the upper bound
  // block_max - 2 gamma J_b(J_b+1) t (J_b its smallest J); a block whose bound lies `skip`
  // below an attained x cannot hold a significant J.
  thread_local std::vector<std::pair<int, double>> out;
  thread_local std::vector<double> bounds;
  out.clear();
  const int first = static_cast<int>(std::lround(first_j(k) - j_low_));
  const double* block_max = &block_max_[std::size_t(k) * n_blocks_];
  const int first_block = first / kBlock;
  bounds.resize(n_blocks_);
  int best = first_block;
  for (int b = first_block; b < n_blocks_; ++b) {
    bounds[b] = block_max[b] - decay_rate_[std::max(b * kBlock, first)] * t;
    if (bounds[b] > bounds[best]) best = b;
  }
  if (bounds[best] == kMinusInfinity) return out;  // unreachable level
  auto x = [&](int i) { return log_weight(k, i) - decay_rate_[i] * t; };
  auto block_largest = [&](int b) {
    double m = kMinusInfinity;
    for (int i = std::max(b * kBlock, first); i < std::min(n_j_, (b + 1) * kBlock); ++i)
      m = std::max(m, x(i));
    return m;
  };
  double largest = block_largest(best);  // attained, so a valid threshold from the start
  for (int b = first_block; b < n_blocks_; ++b)
    if (b != best && bounds[b] >= largest + skip) largest = std::max(largest, block_largest(b));
  for (int b = first_block; b < n_blocks_; ++b) {
    if (bounds[b] < largest + skip) continue;
    for (int i = std::max(b * kBlock, first); i < std::min(n_j_, (b + 1) * kBlock); ++i) {
      const double relative = x(i) - largest;
      if (relative >= skip) out.emplace_back(i, relative);
    }
  }
  return out;
}

void ZeroTemperatureCascade::amplitudes(int k, double t, std::vector<double>& psi) const {
  const int first = static_cast<int>(std::lround(first_j(k) - j_low_));
  psi.assign(n_j_ - first, 0.0);
  double norm2 = 0;
  for (const auto& [i, x] : significant_weights(k, t, 2 * kSkipAmplitude))
    norm2 += (psi[i - first] = std::exp(x));
  if (norm2 == 0) return;  // unreachable level: no amplitude at all
  const double inv = 1.0 / std::sqrt(norm2);
  for (double& a : psi) a = std::sqrt(a) * inv;
}

double ZeroTemperatureCascade::emission_rate(int k, double t) const {
  const double M = m0_ - k;
  double weight = 0, lowering = 0;
  for (const auto& [i, x] : significant_weights(k, t, kSkipExponent)) {
    const double e = std::exp(x);
    weight += e;
    lowering += e * lowering_squared(j_low_ + i, M);
  }
  return weight > 0 ? 2 * gamma_ * lowering / weight : 0.0;
}

std::vector<std::vector<double>> ZeroTemperatureCascade::populations(
    const TimeGrid& grid, double tolerance, const ProgressCallback& progress) const {
  validate(grid);
  if (!(tolerance > 0))
    throw InvalidArgument(fmt::format("ZeroTemperatureCascade: tolerance must be > 0, got {}",
                                      tolerance));
  const RadauTableau rk;
  std::vector<std::vector<double>> out(grid.points, std::vector<double>(levels_, 0.0));
  std::vector<double> y(levels_, 0.0), full(levels_, 0.0), half(levels_, 0.0),
      twice(levels_, 0.0);
  y[0] = 1.0;
  out[0] = y;
  int begin = 0, last = 0, margin = 8;  // populated levels: [begin, last]
  const double first_rate = emission_rate(0, 0.0);
  const double first_gap = grid.time(1) - grid.time(0);  // the step of an equally spaced grid
  double t = 0, h = first_rate > 0 ? std::min(first_gap, 0.01 / first_rate) : first_gap;
  // Rates at the eight distinct stage times of one full step and two half steps.
  std::array<std::vector<double>, 8> rate;
  for (int g = 1; g < grid.points; ++g) {
    const double target = grid.time(g);
    while (t < target) {
      const bool lands = t + h >= target * (1 - 1e-14);
      const double step = lands ? target - t : h;
      const int end = std::min(levels_, last + 1 + margin);
      const int width = end - begin;
      const std::array<double, 8> times = {
          t + rk.c[0] * step,       t + rk.c[1] * step,       t + step,
          t + rk.c[0] * step / 2,   t + rk.c[1] * step / 2,   t + step / 2,
          t + (1 + rk.c[0]) * step / 2, t + (1 + rk.c[1]) * step / 2};
      for (auto& r : rate) r.resize(width);
      // 8 rates per level, each a sum over up to n_j significant J: worth threads from a
      // few thousand terms (the early burst has few levels, but it is most of the steps).
#pragma omp parallel for schedule(static) if (double(width) * n_j_ > 2e3)
      for (int w = 0; w < width; ++w)
        for (int s = 0; s < 8; ++s) rate[s][w] = emission_rate(begin + w, times[s]);
      radau_step(rk, step, {rate[0].data(), rate[1].data(), rate[2].data()}, begin, end, y, full);
      radau_step(rk, step / 2, {rate[3].data(), rate[4].data(), rate[5].data()}, begin, end, y,
                 half);
      radau_step(rk, step / 2, {rate[6].data(), rate[7].data(), rate[2].data()}, begin, end,
                 half, twice);
      if (end < levels_ && std::fabs(twice[end - 1]) > kNegligible) {
        margin *= 2;  // the cascade outran the window: widen it and redo the step
        continue;
      }
      double error = 0;
      for (int k = begin; k < end; ++k) error = std::max(error, std::fabs(twice[k] - full[k]));
      const double factor = error > 0 ? 0.9 * std::pow(tolerance / error, 1.0 / 6) : 5.0;
      if (error > tolerance) {
        h = step * std::max(0.2, factor);
        if (!(h > 1e-15 * std::max(1.0, t)))
          throw NumericalError(fmt::format(
              "zero-temperature cascade: step size underflow at t = {} (error {})", t, error));
        continue;
      }
      t = lands ? target : t + step;
      for (int k = begin; k < end; ++k) y[k] = twice[k] > kNegligible ? twice[k] : 0.0;
      while (begin < end - 1 && y[begin] == 0.0) ++begin;
      last = begin;
      for (int k = begin; k < end; ++k)
        if (y[k] > 0) last = k;
      if (!lands || step >= h) h = step * std::min(5.0, factor);
    }
    out[g] = y;
    if (progress) progress(g, grid.points - 1);
  }
  return out;
}

double zero_temperature_cascade_doubles(const Model& model, double j_battery, double m_battery) {
  const double j1 = model.j_charger(), m0 = j1 + m_battery;
  const double n_j = j1 + j_battery - first_total_j(j1, j_battery, m0) + 1;
  return n_j * (m0 + j1 + j_battery + 1);
}

}  // namespace darkcharge
