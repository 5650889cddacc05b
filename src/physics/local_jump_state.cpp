#include "darkcharge/physics/local_jump_state.hpp"

#include <cmath>

#include "darkcharge/physics/angular_momentum.hpp"
#include "darkcharge/physics/clebsch_gordan_recursion.hpp"

namespace darkcharge {
namespace {

void resize_block(LocalJumpState& out, double jc, double jb, double M) {
  out.jc = jc;
  out.jb = jb;
  out.M = M;
  out.amp.assign(std::max(0, block_size(jc, jb, M)), 0.0);
}

}  // namespace

double LocalJumpState::first_mb() const { return first_battery_level(jc, jb, M); }

std::vector<JumpChannel> jump_channels(const Model& model) {
  std::vector<JumpChannel> out;
  for (const Process& p : processes(model)) {
    if (p.collective()) {
      out.push_back({p, 0});
    } else {
      for (int shift = -1; shift <= 1; ++shift) out.push_back({p, shift});
    }
  }
  return out;
}

namespace {

/// sqrt(r) J_X^-+ psi on the ensembles the process acts on (p.on): through the shared
/// reservoir J^-+ = J_C^-+ + J_B^-+, each product state feeds two states of block M -+ 1;
/// with the reservoir on one ensemble, one.
void apply_collective(const Process& p, const LocalJumpState& psi, LocalJumpState& out) {
  const double first = psi.first_mb(), scale = std::sqrt(p.rate);
  const int step = p.m_step();
  resize_block(out, psi.jc, psi.jb, psi.M + step);
  const double out_first = out.first_mb();
  for (int i = 0; i < psi.size(); ++i) {
    if (psi.amp[i] == 0) continue;
    const double mb = first + i, mc = psi.M - mb;
    const double charger = p.on != Ensemble::battery ? ladder_squared(p, psi.jc, mc) : 0.0;
    const double battery = p.on != Ensemble::charger ? ladder_squared(p, psi.jb, mb) : 0.0;
    if (charger > 0) out.amp[count(mb - out_first)] += scale * std::sqrt(charger) * psi.amp[i];
    if (battery > 0) out.amp[count(mb + step - out_first)] += scale * std::sqrt(battery) * psi.amp[i];
  }
}

/// sqrt(p_s g w_D(N_X, j_X)) B_D psi on ensemble X, into block (j_X + D, M + delta).
void apply_local(const Model& model, const JumpChannel& channel, const LocalJumpState& psi,
                 LocalJumpState& out) {
  const Process& p = channel.process;
  const bool battery = p.on == Ensemble::battery;
  const LocalChannel kind = p.local_channel();
  const int n_spins = battery ? model.n_battery : model.n_charger;
  const double weight = channel_prefactor(kind) * p.rate *
                        local_weight(n_spins, battery ? psi.jb : psi.jc, channel.shift);
  const int delta = p.m_step();
  const double jc = psi.jc + (battery ? 0 : channel.shift);
  const double jb = psi.jb + (battery ? channel.shift : 0);
  if (weight <= 0 || jc < 0 || jb < 0) {
    resize_block(out, psi.jc, psi.jb, psi.M);
    out.amp.assign(out.amp.size(), 0.0);
    return;
  }
  resize_block(out, jc, jb, psi.M + delta);
  const double scale = std::sqrt(weight), first = psi.first_mb(), out_first = out.first_mb();
  for (int i = 0; i < psi.size(); ++i) {
    if (psi.amp[i] == 0) continue;
    const double mb = first + i, mc = psi.M - mb;
    const double amp = battery ? local_amplitude(kind, channel.shift, psi.jb, mb)
                               : local_amplitude(kind, channel.shift, psi.jc, mc);
    if (amp == 0) continue;
    const int r = count((battery ? mb + delta : mb) - out_first);
    if (r >= 0 && r < out.size()) out.amp[r] += scale * amp * psi.amp[i];
  }
}

}  // namespace

double apply_jump(const Model& model, const JumpChannel& channel, const LocalJumpState& psi,
                  LocalJumpState& out) {
  if (channel.local())
    apply_local(model, channel, psi, out);
  else
    apply_collective(channel.process, psi, out);
  double norm = 0;
  for (double a : out.amp) norm += a * a;
  return norm;
}

LocalSnapshot observe(const Model& model, const LocalJumpState& psi) {
  LocalSnapshot s;
  const double first = psi.first_mb(), jc = psi.jc, jb = psi.jb, M = psi.M;
  const int n = psi.size();
  // <K^+K^-> and <K^-K^+> of the reservoir's collective operator K^- = J^-, J_B^- or J_C^-
  // (model.reservoir); J_X^-J_X^+ = J_X^+J_X^- - 2 J_X^z.
  const ReservoirCoupling reservoir = model.reservoir;
  const bool charger = reservoir == ReservoirCoupling::both || reservoir == ReservoirCoupling::charger;
  const bool battery = reservoir == ReservoirCoupling::both || reservoir == ReservoirCoupling::battery;
  for (int i = 0; i < n; ++i) {
    const double mb = first + i, mc = M - mb, a = psi.amp[i], p = a * a;
    s.jz_battery += mb * p;
    s.jz_battery_squared += mb * mb * p;
    s.emission += ((charger ? lowering_squared(jc, mc) : 0.0) + (battery ? lowering_squared(jb, mb) : 0.0)) * p;
    if (i + 1 < n && reservoir == ReservoirCoupling::both) {
      const double link = std::sqrt(lowering_squared(jc, mc) * raising_squared(jb, mb)) * a * psi.amp[i + 1];
      s.emission += 2 * link;
    }
  }
  double norm = 0;
  for (double a : psi.amp) norm += a * a;
  s.jz_charger = M * norm - s.jz_battery;
  const double jz = reservoir == ReservoirCoupling::both ? M * norm
                   : (charger ? s.jz_charger : 0.0) + (battery ? s.jz_battery : 0.0);
  s.absorption = s.emission - 2 * jz;
  s.power = expectation(battery_power_operator(model, jc, jb, M), psi.amp);
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
