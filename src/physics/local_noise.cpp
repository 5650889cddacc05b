#include "darkcharge/physics/local_noise.hpp"

#include <cmath>

#include <fmt/format.h>

#include "darkcharge/core/errors.hpp"

namespace darkcharge {
namespace {

void check_rate(const char* ensemble, const char* channel, double value) {
  if (!(std::isfinite(value) && value >= 0))
    throw InvalidArgument(fmt::format(
        "local noise: {} {} rate must be finite and >= 0, got {}", ensemble, channel, value));
}

void check_rates(const char* ensemble, const LocalRates& rates) {
  check_rate(ensemble, "decay", rates.decay);
  check_rate(ensemble, "pumping", rates.pumping);
  check_rate(ensemble, "dephasing", rates.dephasing);
}

/// sqrt of a product of quantum-number factors that is >= 0 wherever the states exist.
double root(double x) { return x > 0 ? std::sqrt(x) : 0.0; }

}  // namespace

void validate(const LocalNoise& noise) {
  check_rates("charger", noise.charger);
  check_rates("battery", noise.battery);
}

LocalNoise resolve_local_noise(const LocalRatesRequest& shared, const LocalRatesRequest& charger,
                               const LocalRatesRequest& battery) {
  const auto rates = [&shared](const LocalRatesRequest& own) {
    return LocalRates{own.decay ? *own.decay : shared.decay.value_or(0.0),
                      own.pumping ? *own.pumping : shared.pumping.value_or(0.0),
                      own.dephasing ? *own.dephasing : shared.dephasing.value_or(0.0)};
  };
  return LocalNoise{rates(charger), rates(battery)};
}

double channel_rate(const LocalRates& rates, LocalChannel channel) {
  switch (channel) {
    case LocalChannel::decay: return rates.decay;
    case LocalChannel::pumping: return rates.pumping;
    case LocalChannel::dephasing: return rates.dephasing;
  }
  return 0;
}

double channel_prefactor(LocalChannel channel) {
  // (g_phi / 4) L[s^z] = (g_phi / 2) (s^z rho s^z - ...): collapse operator sqrt(g_phi / 2) s^z.
  return channel == LocalChannel::dephasing ? 0.5 : 1.0;
}

int channel_m_step(LocalChannel channel) {
  switch (channel) {
    case LocalChannel::decay: return -1;
    case LocalChannel::pumping: return +1;
    case LocalChannel::dephasing: return 0;
  }
  return 0;
}

double local_weight(int n_spins, double j, int shift) {
  const double half = 0.5 * n_spins;
  switch (shift) {
    case 0: return j > 0 ? (half + 1) / (2 * j * (j + 1)) : 0.0;
    case -1: return j >= 1 ? (half + j + 1) / (2 * j * (2 * j + 1)) : 0.0;
    case +1: return j + 1 <= half ? (half - j) / (2 * (j + 1) * (2 * j + 1)) : 0.0;
  }
  return 0.0;
}

double local_amplitude(LocalChannel channel, int shift, double j, double m) {
  const double jt = j + shift, mt = m + channel_m_step(channel);
  if (std::fabs(m) > j || jt < 0 || std::fabs(mt) > jt) return 0.0;
  switch (channel) {
    case LocalChannel::decay:
      if (shift == 0) return root((j + m) * (j - m + 1));
      return shift < 0 ? root((j + m) * (j + m - 1)) : root((j - m + 1) * (j - m + 2));
    case LocalChannel::pumping:
      if (shift == 0) return root((j - m) * (j + m + 1));
      return shift < 0 ? root((j - m) * (j - m - 1)) : root((j + m + 1) * (j + m + 2));
    case LocalChannel::dephasing:
      if (shift == 0) return 2 * m;
      return shift < 0 ? 2 * root(j * j - m * m) : 2 * root((j + 1) * (j + 1) - m * m);
  }
  return 0.0;
}

double local_completeness_sum(LocalChannel channel, int n_spins, double j, double m) {
  double sum = 0;
  for (int shift = -1; shift <= 1; ++shift) {
    const double b = local_amplitude(channel, shift, j, m);
    sum += local_weight(n_spins, j, shift) * b * b;
  }
  return sum;
}

double local_completeness_target(LocalChannel channel, int n_spins, double m) {
  switch (channel) {
    case LocalChannel::decay: return 0.5 * n_spins + m;
    case LocalChannel::pumping: return 0.5 * n_spins - m;
    case LocalChannel::dephasing: return n_spins;
  }
  return 0.0;
}

}  // namespace darkcharge
