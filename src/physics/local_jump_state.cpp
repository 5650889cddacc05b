#include "darkcharge/physics/local_jump_state.hpp"

#include <cmath>

#include "darkcharge/physics/angular_momentum.hpp"
#include "darkcharge/physics/clebsch_gordan_recursion.hpp"

namespace darkcharge {
namespace {

/// Nearest integer of a quantum-number difference.
int count(double x) { return static_cast<int>(x >= 0 ? x + 0.5 : x - 0.5); }

/// sum_s (p_s g_s / 2) <sum_i s_i^dag s_i> at level m of one ensemble (the local part of G).
double local_anticommutator(const LocalRates& rates, int n, double m) {
  double g = 0;
  for (LocalChannel channel : kLocalChannels)
    g += 0.5 * channel_prefactor(channel) * channel_rate(rates, channel) *
         local_completeness_target(channel, n, m);
  return g;
}

void resize_block(LocalJumpState& out, double jc, double jb, double M) {
  out.jc = jc;
  out.jb = jb;
  out.M = M;
  out.amp.assign(std::max(0, block_size(jc, jb, M)), 0.0);
}

}  // namespace

double LocalJumpState::first_mb() const { return first_battery_level(jc, jb, M); }

int block_size(double jc, double jb, double M) {
  if (std::fabs(M) > jc + jb + 0.25) return 0;
  return count(std::min(jb, M + jc) - first_battery_level(jc, jb, M)) + 1;
}

std::vector<JumpChannel> jump_channels(const Model& model) {
  std::vector<JumpChannel> out;
  if (model.emission_rate() > 0) out.push_back({JumpChannel::Kind::emission});
  if (model.absorption_rate() > 0) out.push_back({JumpChannel::Kind::absorption});
  for (bool battery : {false, true}) {
    const LocalRates& rates = battery ? model.local.battery : model.local.charger;
    for (LocalChannel channel : kLocalChannels)
      if (channel_rate(rates, channel) > 0)
        for (int shift = -1; shift <= 1; ++shift)
          out.push_back({JumpChannel::Kind::local, battery, channel, shift});
  }
  return out;
}

void no_jump_generator(const Model& model, double jc, double jb, double M,
                       std::vector<double>& diagonal, std::vector<double>& link) {
  const int n = block_size(jc, jb, M);
  const double first = first_battery_level(jc, jb, M);
  const double down = model.emission_rate() / 2, up = model.absorption_rate() / 2;
  diagonal.assign(n, 0.0);
  link.assign(n, 0.0);
  for (int i = 0; i < n; ++i) {
    const double mb = first + i, mc = M - mb;
    // J^+J^- on its diagonal, and J^-J^+ = J^+J^- - 2 J^z.
    const double lowered = lowering_squared(jc, mc) + lowering_squared(jb, mb);
    diagonal[i] = down * lowered + up * (lowered - 2 * M) +
                  local_anticommutator(model.local.charger, model.n_charger, mc) +
                  local_anticommutator(model.local.battery, model.n_battery, mb);
    // J_B^+ J_C^- (in both J^+J^- and J^-J^+) links |m_C, m_B> to |m_C - 1, m_B + 1>.
    if (i + 1 < n) link[i] = (down + up) * std::sqrt(lowering_squared(jc, mc) * raising_squared(jb, mb));
  }
}

double apply_jump(const Model& model, const JumpChannel& channel, const LocalJumpState& psi,
                  LocalJumpState& out) {
  const double first = psi.first_mb();
  const int n = psi.size();
  if (channel.kind != JumpChannel::Kind::local) {
    // J^-+ = J_C^-+ + J_B^-+: each product state feeds two states of block M -+ 1.
    const bool lower = channel.kind == JumpChannel::Kind::emission;
    const int step = lower ? -1 : +1;
    const double scale = std::sqrt(lower ? model.emission_rate() : model.absorption_rate());
    resize_block(out, psi.jc, psi.jb, psi.M + step);
    const double out_first = out.first_mb();
    for (int i = 0; i < n; ++i) {
      if (psi.amp[i] == 0) continue;
      const double mb = first + i, mc = psi.M - mb;
      const double charger = lower ? lowering_squared(psi.jc, mc) : raising_squared(psi.jc, mc);
      const double battery = lower ? lowering_squared(psi.jb, mb) : raising_squared(psi.jb, mb);
      if (charger > 0) out.amp[count(mb - out_first)] += scale * std::sqrt(charger) * psi.amp[i];
      if (battery > 0) out.amp[count(mb + step - out_first)] += scale * std::sqrt(battery) * psi.amp[i];
    }
  } else {
    const LocalRates& rates = channel.battery ? model.local.battery : model.local.charger;
    const int n_spins = channel.battery ? model.n_battery : model.n_charger;
    const double j = channel.battery ? psi.jb : psi.jc;
    const double weight = channel_prefactor(channel.channel) * channel_rate(rates, channel.channel) *
                          local_weight(n_spins, j, channel.shift);
    const int delta = channel_m_step(channel.channel);
    const double jc = psi.jc + (channel.battery ? 0 : channel.shift);
    const double jb = psi.jb + (channel.battery ? channel.shift : 0);
    if (weight <= 0 || jc < 0 || jb < 0) {
      resize_block(out, psi.jc, psi.jb, psi.M);
      out.amp.assign(out.amp.size(), 0.0);
      return 0.0;
    }
    resize_block(out, jc, jb, psi.M + delta);
    const double scale = std::sqrt(weight), out_first = out.first_mb();
    for (int i = 0; i < n; ++i) {
      if (psi.amp[i] == 0) continue;
      const double mb = first + i, mc = psi.M - mb;
      const double amp = channel.battery ? local_amplitude(channel.channel, channel.shift, psi.jb, mb)
                                         : local_amplitude(channel.channel, channel.shift, psi.jc, mc);
      if (amp == 0) continue;
      const double mb_out = channel.battery ? mb + delta : mb;
      const int r = count(mb_out - out_first);
      if (r >= 0 && r < out.size()) out.amp[r] += scale * amp * psi.amp[i];
    }
  }
  double norm = 0;
  for (double a : out.amp) norm += a * a;
  return norm;
}

LocalSnapshot observe(const Model& model, const LocalJumpState& psi) {
  LocalSnapshot s;
  const double first = psi.first_mb(), jc = psi.jc, jb = psi.jb, M = psi.M;
  const int n = psi.size();
  // c_b = <J_C^- psi, J_B^- psi>, c_r = <J_C^+ psi, J_B^+ psi> (cross terms of the power).
  double lowered_b = 0, raised_b = 0, cross_lower = 0, cross_raise = 0;
  for (int i = 0; i < n; ++i) {
    const double mb = first + i, mc = M - mb, a = psi.amp[i], p = a * a;
    s.jz_battery += mb * p;
    s.jz_battery_squared += mb * mb * p;
    s.emission += (lowering_squared(jc, mc) + lowering_squared(jb, mb)) * p;
    lowered_b += lowering_squared(jb, mb) * p;
    raised_b += raising_squared(jb, mb) * p;
    if (i + 1 < n) {
      const double link = std::sqrt(lowering_squared(jc, mc) * raising_squared(jb, mb)) * a * psi.amp[i + 1];
      s.emission += 2 * link;
      // J_C^- on row i and J_B^- on row i + 1 land on the same state; likewise J^+ reversed.
      cross_lower += std::sqrt(lowering_squared(jc, mc) * lowering_squared(jb, mb + 1)) * a * psi.amp[i + 1];
      cross_raise += std::sqrt(raising_squared(jc, mc - 1) * raising_squared(jb, mb)) * psi.amp[i + 1] * a;
    }
  }
  double norm = 0;
  for (double a : psi.amp) norm += a * a;
  s.jz_charger = M * norm - s.jz_battery;
  s.absorption = s.emission - 2 * M * norm;
  // L^dag(J_B^z): collective -gamma(nbar+1) (J^+J_B^- + h.c.) + gamma nbar (J^-J_B^+ + h.c.),
  // i.e. -2 gamma(nbar+1) <J^- psi, J_B^- psi> + 2 gamma nbar <J^+ psi, J_B^+ psi>; local
  // decay -g_down (N_B/2 + J_B^z), pumping +g_up (N_B/2 - J_B^z), dephasing 0.
  const double half = 0.5 * model.n_battery;
  s.power = -model.emission_rate() * (lowered_b + cross_lower) +
            model.absorption_rate() * (raised_b + cross_raise) -
            model.local.battery.decay * (half * norm + s.jz_battery) +
            model.local.battery.pumping * (half * norm - s.jz_battery);
  // The kernel of J^- at this M is |J = -M, M> (when that J exists); the all-down state of
  // the fully symmetric sector is not dark.
  const double J = -M;
  const bool all_down = jc == model.j_charger() && jb == model.j_battery() && J == jc + jb;
  if (J >= std::fabs(jc - jb) - 0.25 && !all_down && n > 0) {
    std::vector<double> c(n), work(n);
    clebsch_gordan_column(jc, jb, J, M, c.data(), work.data());
    double overlap = 0;
    for (int i = 0; i < n; ++i) overlap += c[i] * psi.amp[i];
    s.dark = overlap * overlap;
  }
  return s;
}

}  // namespace darkcharge
