#include "darkcharge/physics/process.hpp"

#include <algorithm>
#include <cmath>

#include "darkcharge/physics/angular_momentum.hpp"

namespace darkcharge {
namespace {

const LocalRates& rates_of(const Model& model, Ensemble on) {
  return on == Ensemble::battery ? model.local.battery : model.local.charger;
}

int spins_of(const Model& model, Ensemble on) {
  return on == Ensemble::battery ? model.n_battery : model.n_charger;
}

BlockTridiagonal zero_block(double jc, double jb, double M) {
  const int n = std::max(0, block_size(jc, jb, M));
  return {std::vector<double>(n, 0.0), std::vector<double>(n, 0.0)};
}

bool acts_on_charger(const Process& p) { return p.on != Ensemble::battery; }
bool acts_on_battery(const Process& p) { return p.on != Ensemble::charger; }

/// The diagonal of (rate / 2) K^dag K of a collective process: the ladder's square on each
/// ensemble (the exchange part J_B^+ J_C^- + h.c. is added by no_jump_generator).
void add_collective_no_jump(const Process& p, double jc, double jb, double M, BlockTridiagonal& g) {
  const double half_rate = p.rate / 2, first = first_battery_level(jc, jb, M);
  const bool charger = acts_on_charger(p), battery = acts_on_battery(p);
  for (size_t i = 0; i < g.diagonal.size(); ++i) {
    const double mb = first + i, mc = M - mb;
    g.diagonal[i] += half_rate * ((charger ? ladder_squared(p, jc, mc) : 0.0) +
                                  (battery ? ladder_squared(p, jb, mb) : 0.0));
  }
}

/// (p_s g / 2) sum_i s_i^dag s_i of a local process on ensemble X at level m_X: diagonal,
/// N/2 + m, N/2 - m or N (local_completeness_target).
double local_no_jump(const Process& p, const Model& model, double m) {
  const LocalChannel channel = p.local_channel();
  return 0.5 * channel_prefactor(channel) * p.rate *
         local_completeness_target(channel, spins_of(model, p.on), m);
}

/// Collective L^dag(J_B^z): for K = sqrt(r) J^-, r (J^+ J_B^z J^- - {J^+J^-, J_B^z}/2)
/// = -(r/2)(J^+ J_B^- + h.c.); for K = sqrt(r) J^+, +(r/2)(J^- J_B^+ + h.c.). The battery's
/// own ladder gives the diagonal, the charger-battery exchange the link. With the reservoir
/// on J_B alone only the diagonal remains (-r J_B^+J_B^-, +r J_B^-J_B^+); on J_C alone
/// the channel commutes with J_B^z.
void add_collective_power(const Process& p, double jc, double jb, double M, BlockTridiagonal& out) {
  if (!acts_on_battery(p)) return;
  const double sign = p.m_step() < 0 ? -1.0 : 1.0, first = first_battery_level(jc, jb, M);
  const int n = static_cast<int>(out.diagonal.size());
  for (int i = 0; i < n; ++i) {
    const double mb = first + i, mc = M - mb;
    out.diagonal[i] += sign * p.rate * ladder_squared(p, jb, mb);
    if (i + 1 < n && p.on == Ensemble::both)
      out.link[i] += sign * 0.5 * p.rate * std::sqrt(lowering_squared(jc, mc) * raising_squared(jb, mb));
  }
}

/// Local L^dag(J_B^z) on the battery: decay -g (N_B/2 + J_B^z), pumping +g (N_B/2 - J_B^z),
/// dephasing 0 (it commutes with J_B^z); local processes on the charger commute with J_B^z.
double local_power(const Process& p, const Model& model, double mb) {
  if (p.on != Ensemble::battery) return 0;
  const double half = 0.5 * model.n_battery;
  switch (p.kind) {
    case ProcessKind::decay: return -p.rate * (half + mb);
    case ProcessKind::pumping: return p.rate * (half - mb);
    default: return 0;
  }
}

}  // namespace

int block_size(double jc, double jb, double M) {
  if (std::fabs(M) > jc + jb + 0.25) return 0;
  return count(std::min(jb, M + jc) - first_battery_level(jc, jb, M)) + 1;
}

LocalChannel Process::local_channel() const {
  switch (kind) {
    case ProcessKind::pumping: return LocalChannel::pumping;
    case ProcessKind::dephasing: return LocalChannel::dephasing;
    default: return LocalChannel::decay;
  }
}

int Process::m_step() const {
  switch (kind) {
    case ProcessKind::emission:
    case ProcessKind::decay: return -1;
    case ProcessKind::absorption:
    case ProcessKind::pumping: return +1;
    default: return 0;
  }
}

std::string Process::name() const {
  const std::string who = on == Ensemble::battery ? "battery " : on == Ensemble::charger ? "charger " : "";
  if (kind == ProcessKind::emission) return who + "collective emission";
  if (kind == ProcessKind::absorption) return who + "collective absorption";
  if (kind == ProcessKind::decay) return who + "decay";
  if (kind == ProcessKind::pumping) return who + "pumping";
  return who + "dephasing";
}

Ensemble collective_ensemble(ReservoirCoupling coupling) {
  switch (coupling) {
    case ReservoirCoupling::battery: return Ensemble::battery;
    case ReservoirCoupling::charger: return Ensemble::charger;
    default: return Ensemble::both;
  }
}

std::vector<Process> processes(const Model& model) {
  std::vector<Process> out;
  if (model.reservoir != ReservoirCoupling::none) {
    const Ensemble on = collective_ensemble(model.reservoir);
    if (model.emission_rate() > 0) out.push_back({ProcessKind::emission, on, model.emission_rate()});
    if (model.absorption_rate() > 0) out.push_back({ProcessKind::absorption, on, model.absorption_rate()});
  }
  for (Ensemble on : {Ensemble::charger, Ensemble::battery}) {
    const LocalRates& rates = rates_of(model, on);
    const std::pair<ProcessKind, double> local[] = {{ProcessKind::decay, rates.decay},
                                                    {ProcessKind::pumping, rates.pumping},
                                                    {ProcessKind::dephasing, rates.dephasing}};
    for (const auto& [kind, rate] : local)
      if (rate > 0) out.push_back({kind, on, rate});
  }
  return out;
}

double ladder_squared(const Process& collective, double j, double m) {
  return collective.m_step() < 0 ? lowering_squared(j, m) : raising_squared(j, m);
}

double largest_rate(const Process& process, const Model& model) {
  if (process.collective()) {
    const double j_max_plus_1 = (acts_on_charger(process) ? model.j_charger() : 0.0) +
                                (acts_on_battery(process) ? model.j_battery() : 0.0) + 1.0;
    return process.rate * j_max_plus_1 * j_max_plus_1;
  }
  return channel_prefactor(process.local_channel()) * process.rate * spins_of(model, process.on);
}

BlockTridiagonal no_jump_generator(const Model& model, double jc, double jb, double M) {
  BlockTridiagonal g = zero_block(jc, jb, M);
  const std::vector<Process> all = processes(model);
  // The exchange term J_B^+ J_C^- + h.c. (|m_C, m_B> <-> |m_C - 1, m_B + 1>) is the same in
  // J^+J^- and J^-J^+: its coefficient is the sum of the collective half-rates.
  double exchange = 0;
  for (const Process& p : all)
    if (p.collective()) {
      add_collective_no_jump(p, jc, jb, M, g);
      if (p.on == Ensemble::both) exchange += p.rate / 2;  // J_B^-+ or J_C^-+ alone: no exchange
    }
  const double first = first_battery_level(jc, jb, M);
  for (size_t i = 0; i + 1 < g.link.size(); ++i) {
    const double mb = first + i, mc = M - mb;
    g.link[i] = exchange * std::sqrt(lowering_squared(jc, mc) * raising_squared(jb, mb));
  }
  // The local terms of each ensemble are summed first, then added: one fixed order of
  // rounding for every engine that builds G here.
  for (Ensemble on : {Ensemble::charger, Ensemble::battery})
    for (size_t i = 0; i < g.diagonal.size(); ++i) {
      const double mb = first + i, m = on == Ensemble::battery ? mb : M - mb;
      double local = 0;
      for (const Process& p : all)
        if (!p.collective() && p.on == on) local += local_no_jump(p, model, m);
      g.diagonal[i] += local;
    }
  return g;
}

BlockTridiagonal battery_power_operator(const Model& model, double jc, double jb, double M) {
  BlockTridiagonal out = zero_block(jc, jb, M);
  const double first = first_battery_level(jc, jb, M);
  for (const Process& p : processes(model)) {
    if (p.collective()) {
      add_collective_power(p, jc, jb, M, out);
    } else {
      for (size_t i = 0; i < out.diagonal.size(); ++i) out.diagonal[i] += local_power(p, model, first + i);
    }
  }
  return out;
}

double expectation(const BlockTridiagonal& op, const std::vector<double>& amplitudes) {
  const size_t n = amplitudes.size();
  double sum = 0;
  for (size_t i = 0; i < n; ++i) {
    sum += op.diagonal[i] * amplitudes[i] * amplitudes[i];
    if (i + 1 < n) sum += 2 * op.link[i] * amplitudes[i] * amplitudes[i + 1];
  }
  return sum;
}

}  // namespace darkcharge
