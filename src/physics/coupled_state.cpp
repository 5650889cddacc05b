#include "darkcharge/physics/coupled_state.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "darkcharge/physics/angular_momentum.hpp"
#include "darkcharge/core/errors.hpp"

namespace darkcharge {
namespace {

// A weight this small (relative to 1) that also decays at least as fast as the dominant
// component can never matter again: it is dropped ("numerically zero").
constexpr double kNegligibleWeight = 1e-40;

}  // namespace

void CoupledState::reset(const Model& model, const InitialState& init) {
  emission_ = model.emission_rate();
  absorption_ = model.absorption_rate();
  j_charger_ = model.j_charger();
  j_battery_ = init.j_battery;
  j_min_ = std::fabs(j_charger_ - j_battery_);
  j_max_ = j_charger_ + j_battery_;
  symmetric_battery_ = (init.j_battery == model.j_battery());
  size_ = static_cast<int>(std::lround(j_max_ - j_min_)) + 1;
  for (auto* v : {&weight_, &jump_rate_, &lowering2_, &raising2_}) v->assign(size_, 0.0);
  if (emission_ != cache_emission_ || absorption_ != cache_absorption_ ||
      j_charger_ != cache_j_charger_ || model.j_battery() != cache_j_battery_max_) {
    form_cache_.clear();  // another model: cached forms do not apply
    cached_doubles_ = 0;
    cache_emission_ = emission_;
    cache_absorption_ = absorption_;
    cache_j_charger_ = j_charger_;
    cache_j_battery_max_ = model.j_battery();
  }
  double total = 0;
  for (int k = 0; k < size_; ++k) {
    const double c = clebsch_gordan_charger_up(j_charger_, j_battery_, init.m_battery, j_of(k));
    total += (weight_[k] = c * c);
  }
  for (double& w : weight_) w /= total;
  begin_ = 0;
  end_ = size_;
  set_m(j_charger_ + init.m_battery);
}

std::vector<double> CoupledState::amplitudes() const {
  std::vector<double> c(size_);
  for (int k = 0; k < size_; ++k) c[k] = std::sqrt(weight_[k]);
  return c;
}

void CoupledState::set_m(double m) {
  m_ = m;
  first_ = static_cast<int>(std::lround(first_total_j(j_charger_, j_battery_, m) - j_min_));
  begin_ = std::max(begin_, first_);
  forms_valid_ = false;
  wide_valid_ = false;
  update_rates();
  prune();
}

void CoupledState::update_rates() {
  for (int k = begin_; k < end_; ++k) {
    const double J = j_of(k);
    lowering2_[k] = lowering_squared(J, m_);
    raising2_[k] = raising_squared(J, m_);
    jump_rate_[k] = emission_ * lowering2_[k] + absorption_ * raising2_[k];
  }
}

void CoupledState::prune() {
  int dominant = begin_;
  for (int k = begin_; k < end_; ++k)
    if (weight_[k] > weight_[dominant]) dominant = k;
  // Higher J decays faster at every M (the J-dependence of the rate is (r_- + r_+) J(J+1)),
  // so tiny components above the dominant one only shrink further.
  for (int k = dominant + 1; k < end_; ++k)
    if (weight_[k] < kNegligibleWeight) weight_[k] = 0.0;
  while (begin_ < end_ && weight_[begin_] == 0.0) ++begin_;
  while (end_ > begin_ && weight_[end_ - 1] == 0.0) --end_;
  if (begin_ == end_) throw NumericalError(fmt::format("trajectory state vanished at M = {}", m_));
}

double CoupledState::relative_decay(int k) const {
  const double j = j_of(k), j_lo = j_of(begin_);
  return 0.5 * (emission_ + absorption_) * (j * (j + 1) - j_lo * (j_lo + 1));
}

int CoupledState::pick_component(double u) const {
  double cumulative = 0;
  int last_nonzero = begin_;
  for (int k = begin_; k < end_; ++k) {
    if (weight_[k] == 0.0) continue;
    cumulative += weight_[k];
    last_nonzero = k;
    if (u < cumulative) return k;
  }
  return last_nonzero;  // u within rounding of 1
}

void CoupledState::decay(double dt) {
  // Weight factor exp(-s [J(J+1) - J_lo(J_lo+1)]) = exp(-s i (2 J_lo + 1 + i)) for
  // J = J_lo + i, s = (r_- + r_+) dt: built by a multiplicative recurrence, two exp in all.
  const double s = (emission_ + absorption_) * dt, j_lo = j_of(begin_);
  const double ratio = std::exp(-2 * s);
  double factor = 1.0, step = std::exp(-s * (2 * j_lo + 2)), total = 0;
  for (int k = begin_; k < end_; ++k) {
    weight_[k] *= factor;
    total += weight_[k];
    factor *= step;
    step *= ratio;
  }
  if (!(total > 0) || !std::isfinite(total))
    throw NumericalError(fmt::format("trajectory norm became {} during no-jump evolution", total));
  for (int k = begin_; k < end_; ++k) weight_[k] /= total;
}

void CoupledState::jump(double u) {
  double down = 0, up = 0;
  for (int k = begin_; k < end_; ++k) {
    down += weight_[k] * lowering2_[k];
    up += weight_[k] * raising2_[k];
  }
  down *= emission_;
  up *= absorption_;
  if (!(down + up > 0)) throw NumericalError(fmt::format("no jump channel open at M = {}", m_));
  const bool emit = u * (down + up) < down;
  const std::vector<double>& factor = emit ? lowering2_ : raising2_;
  const double norm = emit ? down / emission_ : up / absorption_;
  for (int k = begin_; k < end_; ++k) weight_[k] *= factor[k] / norm;
  set_m(emit ? m_ - 1 : m_ + 1);
}

void CoupledState::compute_forms(Forms& f) const {
  const double j1 = j_charger_, j2 = j_battery_, M = m_;
  for (auto* v : {&f.jz.diagonal, &f.jz.off_diagonal, &f.power.diagonal, &f.power.off_diagonal})
    v->assign(size_, 0.0);
  for (int k = first_; k < size_; ++k) {
    const double J = j_of(k), a2 = lowering_squared(J, M), b2 = raising_squared(J, M);
    // Power operator P = L^dag(J_B^z) = -g(n+1) A + g n B, with g(n+1) = emission/2 and
    //   A = {J^+J^-, J_B^z} - 2 J^+ J_B^z J^-,   B = 2 J^- J_B^z J^+ - {J^-J^+, J_B^z},
    // from J_B^- = [J^-, J_B^z] and J_B^+ = [J_B^z, J^+]. J^+J^- and J^-J^+ are diagonal here.
    const double z = battery_jz_diagonal(j1, j2, J, M);
    f.jz.diagonal[k] = z;
    f.power.diagonal[k] = -emission_ * a2 * (z - battery_jz_diagonal(j1, j2, J, M - 1)) +
                          absorption_ * b2 * (battery_jz_diagonal(j1, j2, J, M + 1) - z);
  }
  for (int k = first_; k + 1 < size_; ++k) {
    const double J = j_of(k + 1);  // element between J_k and J_{k+1} = J_k + 1
    const double a2 = lowering_squared(j_of(k), M), a2_next = lowering_squared(J, M);
    const double b2 = raising_squared(j_of(k), M), b2_next = raising_squared(J, M);
    const double z = battery_jz_offdiagonal(j1, j2, J, M);
    const double z_below = battery_jz_offdiagonal(j1, j2, J, M - 1);
    const double z_above = battery_jz_offdiagonal(j1, j2, J, M + 1);
    const double a_product = std::sqrt(a2 * a2_next);
    const double b_product = std::sqrt(b2 * b2_next);
    f.jz.off_diagonal[k] = 2 * z;
    f.power.off_diagonal[k] = -emission_ * ((a2 + a2_next) * z - 2 * a_product * z_below) +
                              absorption_ * (2 * b_product * z_above - (b2 + b2_next) * z);
  }
  // |J, M = -J> is annihilated by J^-: dark, unless it is the all-down collective ground.
  f.dark_k = -1;
  if (M <= 0 && -M >= j_min_ && -M <= j_max_ && !(symmetric_battery_ && -M == j_max_))
    f.dark_k = static_cast<int>(std::lround(-M - j_min_));
}

void CoupledState::build_forms() const {
  const std::pair<double, double> key{j_battery_, m_};
  auto it = form_cache_.find(key);
  if (it != form_cache_.end()) {
    forms_ = &it->second;
  } else {
    compute_forms(scratch_forms_);
    forms_ = &scratch_forms_;
    if (cached_doubles_ + 4 * std::size_t(size_) <= kMaxCachedDoubles) {
      cached_doubles_ += 4 * std::size_t(size_);
      forms_ = &form_cache_.emplace(key, scratch_forms_).first->second;
    }
  }
  const int k = forms_->dark_k;
  dark_index_ = (k >= begin_ && k < end_) ? k : -1;
  forms_valid_ = true;
}

CoupledState::LinearValues CoupledState::linear_values(const double* c, double norm2) const {
  if (!forms_valid_) build_forms();
  const double* zd = forms_->jz.diagonal.data();
  const double* zo = forms_->jz.off_diagonal.data();
  const double* pd = forms_->power.diagonal.data();
  const double* po = forms_->power.off_diagonal.data();
  double jz = 0, power = 0;
  for (int k = begin_; k < end_; ++k) {
    const double c2 = c[k] * c[k];
    jz += zd[k] * c2;
    power += pd[k] * c2;
  }
  for (int k = begin_; k + 1 < end_; ++k) {
    const double cc = c[k] * c[k + 1];
    jz += zo[k] * cc;
    power += po[k] * cc;
  }
  const double dark = dark_index_ < 0 ? 0.0 : c[dark_index_] * c[dark_index_];
  const double inverse = 1.0 / norm2;
  return {jz * inverse, power * inverse, dark * inverse};
}

double CoupledState::battery_jz_squared(const double* c, double norm2) const {
  if (!wide_valid_) {
    wide_begin_ = std::max(first_, begin_ - 1);
    wide_end_ = std::min(size_, end_ + 1);
    jz_wide_diagonal_.assign(size_, 0.0);
    jz_wide_upper_.assign(size_, 0.0);  // [k] = <J_k M| J_B^z |J_{k+1} M>
    for (int k = wide_begin_; k < wide_end_; ++k) {
      jz_wide_diagonal_[k] = battery_jz_diagonal(j_charger_, j_battery_, j_of(k), m_);
      if (k + 1 < wide_end_)
        jz_wide_upper_[k] = battery_jz_offdiagonal(j_charger_, j_battery_, j_of(k + 1), m_);
    }
    wide_valid_ = true;
  }
  // c is zero outside [begin_, end_); (J_B^z c)_k for k in the widened window.
  double sum = 0;
  for (int k = wide_begin_; k < wide_end_; ++k) {
    const double here = (k >= begin_ && k < end_) ? c[k] : 0.0;
    const double below = (k - 1 >= begin_ && k - 1 < end_) ? c[k - 1] : 0.0;
    const double above = (k + 1 >= begin_ && k + 1 < end_) ? c[k + 1] : 0.0;
    double v = jz_wide_diagonal_[k] * here;
    if (k > wide_begin_) v += jz_wide_upper_[k - 1] * below;
    if (k + 1 < wide_end_) v += jz_wide_upper_[k] * above;
    sum += v * v;
  }
  return sum / norm2;
}

}  // namespace darkcharge
