#include "darkcharge/coupled_state.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "darkcharge/angular_momentum.hpp"
#include "darkcharge/errors.hpp"

namespace darkcharge {
namespace {

// A component this small (in probability) that also decays at least as fast as the
// dominant one can never matter again: it is dropped ("numerically zero").
constexpr double kNegligibleWeight = 1e-40;

double sum_of_squares(const std::vector<double>& c, int first) {
  double s = 0;
  for (std::size_t k = first; k < c.size(); ++k) s += c[k] * c[k];
  return s;
}

}  // namespace

double TridiagonalForm::evaluate(const double* c, int first, int size) const {
  double value = 0;
  for (int k = first; k < size; ++k) value += diagonal[k] * c[k] * c[k];
  for (int k = first; k + 1 < size; ++k) value += off_diagonal[k] * c[k] * c[k + 1];
  return value;
}

void CoupledState::reset(const Model& model, const InitialState& init) {
  emission_ = model.emission_rate();
  absorption_ = model.absorption_rate();
  j_charger_ = model.j_charger();
  j_battery_ = init.j_battery;
  j_min_ = std::fabs(j_charger_ - j_battery_);
  j_max_ = j_charger_ + j_battery_;
  symmetric_battery_ = (init.j_battery == model.j_battery());
  size_ = static_cast<int>(std::lround(j_max_ - j_min_)) + 1;
  for (auto* v : {&amplitude_, &jump_rate_, &relative_decay_, &lowering_, &raising_,
                  &jz_form_.diagonal, &jz_form_.off_diagonal, &power_form_.diagonal,
                  &power_form_.off_diagonal})
    v->assign(size_, 0.0);
  for (int k = 0; k < size_; ++k)
    amplitude_[k] = clebsch_gordan_charger_up(j_charger_, j_battery_, init.m_battery, j_of(k));
  set_m(j_charger_ + init.m_battery);
  const double norm2 = sum_of_squares(amplitude_, first_);
  for (double& c : amplitude_) c /= std::sqrt(norm2);
}

void CoupledState::set_m(double m) {
  m_ = m;
  first_ = std::max(0, static_cast<int>(std::lround(std::fabs(m) - j_min_)));
  rebuild_tables();
}

void CoupledState::rebuild_tables() {
  const double j1 = j_charger_, j2 = j_battery_, M = m_;
  for (int k = first_; k < size_; ++k) {
    const double J = j_of(k);
    const double a2 = lowering_squared(J, M), b2 = raising_squared(J, M);
    lowering_[k] = std::sqrt(a2);
    raising_[k] = std::sqrt(b2);
    jump_rate_[k] = emission_ * a2 + absorption_ * b2;
    // Power operator P = L^dag(J_B^z) = -g(n+1) A + g n B, with g(n+1) = emission/2 and
    //   A = {J^+J^-, J_B^z} - 2 J^+ J_B^z J^-,   B = 2 J^- J_B^z J^+ - {J^-J^+, J_B^z},
    // from J_B^- = [J^-, J_B^z] and J_B^+ = [J_B^z, J^+]. J^+J^- and J^-J^+ are diagonal here.
    const double z = battery_jz_diagonal(j1, j2, J, M);
    jz_form_.diagonal[k] = z;
    power_form_.diagonal[k] =
        -emission_ * a2 * (z - battery_jz_diagonal(j1, j2, J, M - 1)) +
        absorption_ * b2 * (battery_jz_diagonal(j1, j2, J, M + 1) - z);
  }
  for (int k = first_; k + 1 < size_; ++k) {
    const double J = j_of(k + 1);  // element between J_k and J_{k+1} = J_k + 1
    const double z = battery_jz_offdiagonal(j1, j2, J, M);
    const double z_below = battery_jz_offdiagonal(j1, j2, J, M - 1);
    const double z_above = battery_jz_offdiagonal(j1, j2, J, M + 1);
    const double a2_sum = lowering_[k] * lowering_[k] + lowering_[k + 1] * lowering_[k + 1];
    const double b2_sum = raising_[k] * raising_[k] + raising_[k + 1] * raising_[k + 1];
    jz_form_.off_diagonal[k] = 2 * z;
    power_form_.off_diagonal[k] =
        -emission_ * (a2_sum * z - 2 * lowering_[k] * lowering_[k + 1] * z_below) +
        absorption_ * (2 * raising_[k] * raising_[k + 1] * z_above - b2_sum * z);
  }
  // |J, M = -J> is annihilated by J^-: dark, unless it is the all-down collective ground.
  dark_index_ = -1;
  if (M <= 0 && -M >= j_min_ && -M <= j_max_ && !(symmetric_battery_ && -M == j_max_))
    dark_index_ = static_cast<int>(std::lround(-M - j_min_));
  prune();
}

void CoupledState::prune() {
  int dominant = first_;
  for (int k = first_; k < size_; ++k)
    if (std::fabs(amplitude_[k]) > std::fabs(amplitude_[dominant])) dominant = k;
  const double gamma_dominant = jump_rate_[dominant];
  double gamma_ref = std::numeric_limits<double>::infinity();
  for (int k = first_; k < size_; ++k) {
    if (amplitude_[k] * amplitude_[k] < kNegligibleWeight && jump_rate_[k] >= gamma_dominant)
      amplitude_[k] = 0.0;
    if (amplitude_[k] != 0.0) gamma_ref = std::min(gamma_ref, jump_rate_[k]);
  }
  stationary_ = true;
  for (int k = first_; k < size_; ++k) {
    relative_decay_[k] = 0.5 * (jump_rate_[k] - gamma_ref);
    if (amplitude_[k] != 0.0 && relative_decay_[k] > 0) stationary_ = false;
  }
}

int CoupledState::pick_component(double u) const {
  double cumulative = 0;
  int last_nonzero = first_;
  for (int k = first_; k < size_; ++k) {
    if (amplitude_[k] == 0.0) continue;
    cumulative += amplitude_[k] * amplitude_[k];
    last_nonzero = k;
    if (u < cumulative) return k;
  }
  return last_nonzero;  // u within rounding of 1
}

void CoupledState::decay(double dt) {
  for (int k = first_; k < size_; ++k) amplitude_[k] *= std::exp(-relative_decay_[k] * dt);
  const double norm2 = sum_of_squares(amplitude_, first_);
  if (!(norm2 > 0) || !std::isfinite(norm2))
    throw NumericalError(fmt::format("trajectory norm became {} during no-jump evolution", norm2));
  for (int k = first_; k < size_; ++k) amplitude_[k] /= std::sqrt(norm2);
}

void CoupledState::jump(double u) {
  double down = 0, up = 0;
  for (int k = first_; k < size_; ++k) {
    const double p = amplitude_[k] * amplitude_[k];
    down += emission_ * p * lowering_[k] * lowering_[k];
    up += absorption_ * p * raising_[k] * raising_[k];
  }
  if (!(down + up > 0))
    throw NumericalError(fmt::format("no jump channel open at M = {}", m_));
  const bool emit = u * (down + up) < down;
  const std::vector<double>& factor = emit ? lowering_ : raising_;
  for (int k = first_; k < size_; ++k) amplitude_[k] *= factor[k];
  const double norm2 = emit ? down / emission_ : up / absorption_;
  for (int k = first_; k < size_; ++k) amplitude_[k] /= std::sqrt(norm2);
  set_m(emit ? m_ - 1 : m_ + 1);
}

double CoupledState::battery_jz(const double* c, double norm2) const {
  return jz_form_.evaluate(c, first_, size_) / norm2;
}

double CoupledState::power(const double* c, double norm2) const {
  return power_form_.evaluate(c, first_, size_) / norm2;
}

double CoupledState::dark_population(const double* c, double norm2) const {
  return dark_index_ < 0 ? 0.0 : c[dark_index_] * c[dark_index_] / norm2;
}

}  // namespace darkcharge
