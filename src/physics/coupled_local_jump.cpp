#include "darkcharge/physics/coupled_local_jump.hpp"

#include <cmath>

#include "darkcharge/physics/angular_momentum.hpp"
#include "darkcharge/physics/local_noise.hpp"

namespace darkcharge {
namespace {

bool triad(double a, double b, double c) {
  return c >= std::fabs(a - b) - 0.25 && c <= a + b + 0.25 && a >= 0 && b >= 0 && c >= 0;
}

double sign(double integer) { return count(integer) % 2 == 0 ? 1.0 : -1.0; }

}  // namespace

double spin_one_clebsch_gordan(double j, double m, int q, double jp) {
  const double M = m + q;
  if (jp < 0 || std::fabs(m) > j + 0.25 || std::fabs(M) > jp + 0.25 || (jp == 0 && j == 0))
    return 0.0;
  const int d = count(jp - j);
  if (d == 1) {
    if (q == 1) return std::sqrt((j + M) * (j + M + 1) / ((2 * j + 1) * (2 * j + 2)));
    if (q == 0) return std::sqrt((j - M + 1) * (j + M + 1) / ((2 * j + 1) * (j + 1)));
    return std::sqrt((j - M) * (j - M + 1) / ((2 * j + 1) * (2 * j + 2)));
  }
  if (d == 0) {
    if (q == 1) return -std::sqrt((j + M) * (j - M + 1) / (2 * j * (j + 1)));
    if (q == 0) return M / std::sqrt(j * (j + 1));
    return std::sqrt((j - M) * (j + M + 1) / (2 * j * (j + 1)));
  }
  if (d == -1) {
    if (q == 1) return std::sqrt((j - M) * (j - M + 1) / (2 * j * (2 * j + 1)));
    if (q == 0) return -std::sqrt((j - M) * (j + M) / (j * (2 * j + 1)));
    return std::sqrt((j + M + 1) * (j + M) / (2 * j * (2 * j + 1)));
  }
  return 0.0;
}

double six_j_with_one(double a, double b, double c, int x, int y) {
  const double e = c + x, f = b + y;  // {a b c; 1 e f}
  if (!triad(a, b, c) || !triad(a, e, f) || !triad(1, b, f) || !triad(1, e, c)) return 0.0;
  const double s = a + b + c;
  if (x == -1) {  // Edmonds, Table 5: the three cases with e = c - 1
    double v;
    if (y == -1)
      v = s * (s + 1) * (s - 2 * a - 1) * (s - 2 * a) /
          ((2 * b - 1) * 2 * b * (2 * b + 1) * (2 * c - 1) * 2 * c * (2 * c + 1));
    else if (y == 0)
      v = 2 * (s + 1) * (s - 2 * a) * (s - 2 * b) * (s - 2 * c + 1) /
          (2 * b * (2 * b + 1) * (2 * b + 2) * (2 * c - 1) * 2 * c * (2 * c + 1));
    else
      v = (s - 2 * b - 1) * (s - 2 * b) * (s - 2 * c + 1) * (s - 2 * c + 2) /
          ((2 * b + 1) * (2 * b + 2) * (2 * b + 3) * (2 * c - 1) * 2 * c * (2 * c + 1));
    return sign(s) * std::sqrt(std::max(0.0, v));
  }
  if (x == 0 && y == 0)
    return -sign(s) * 2 * (b * (b + 1) + c * (c + 1) - a * (a + 1)) /
           std::sqrt(2 * b * (2 * b + 1) * (2 * b + 2) * 2 * c * (2 * c + 1) * (2 * c + 2));
  // The symmetries of the 6j symbol bring the other cases to those: swapping columns 2 and 3,
  // {a b c; 1 e f} = {a c b; 1 f e}, and exchanging their upper and lower entries,
  // {a b c; 1 e f} = {a e f; 1 b c}.
  if (y == -1) return six_j_with_one(a, c, b, y, x);
  return six_j_with_one(a, e, f, -y, -x);
}

double unit_tensor_factor(LocalChannel channel, int shift, double j) {
  // The table's amplitudes (physics.md) divided by <j m; 1 q|j + D, m + q>, the same for every m.
  switch (shift) {
    case 0:
      if (channel == LocalChannel::dephasing) return 2 * std::sqrt(j * (j + 1));
      return (channel == LocalChannel::pumping ? -1 : 1) * std::sqrt(2 * j * (j + 1));
    case -1:
      if (channel == LocalChannel::dephasing) return -2 * std::sqrt(j * (2 * j + 1));
      return std::sqrt(2 * j * (2 * j + 1));
    default:
      if (channel == LocalChannel::dephasing) return 2 * std::sqrt((2 * j + 1) * (j + 1));
      return std::sqrt((2 * j + 1) * (2 * j + 2));
  }
}

double apply_coupled_local_jump(const Model& model, const JumpChannel& channel,
                                const CoupledJumpState& psi, CoupledJumpState& out) {
  const Process& p = channel.process;
  const bool battery = p.on == Ensemble::battery;
  const LocalChannel kind = p.local_channel();
  const int q = p.m_step(), D = channel.shift;
  const double j = battery ? psi.jb : psi.jc;
  const double weight =
      channel_prefactor(kind) * p.rate * local_weight(battery ? model.n_battery : model.n_charger, j, D);
  out.jc = psi.jc + (battery ? 0 : D);
  out.jb = psi.jb + (battery ? D : 0);
  out.M = psi.M + q;
  const int n_out = out.jc < 0 || out.jb < 0 ? 0 : std::max(0, block_size(out.jc, out.jb, out.M));
  out.c.assign(n_out, 0.0);
  if (weight <= 0 || n_out == 0 || (D == 0 && j == 0)) return 0.0;
  const double scale = std::sqrt(weight) * unit_tensor_factor(kind, D, j);
  const double first = first_total_j(psi.jc, psi.jb, psi.M);
  const double out_first = first_total_j(out.jc, out.jb, out.M);
  // The recoupling factor of the ensemble that jumps; the other ensemble is a spectator.
  const double spectator = battery ? psi.jc : psi.jb, moved = battery ? out.jb : out.jc;
  const int y = count(j - moved), base = count(first - out_first);  // row of J' = first + k - x
  // The phase (-1)^(j_C + j_B + J' + 1) (battery) or (-1)^(j_C' + j_B + J + 1) (charger)
  // flips with k: its value at k = 0, x = 0.
  const double phase0 = battery ? sign(psi.jc + psi.jb + first + 1) : sign(out.jc + psi.jb + first + 1);
  for (int k = 0; k < psi.size(); ++k) {
    if (psi.c[k] == 0) continue;
    const double J = first + k;
    const double phase_k = (k % 2 == 0) ? phase0 : -phase0;
    for (int x = -1; x <= 1; ++x) {  // J' = J - x
      const int r = k - x + base;
      if (r < 0 || r >= n_out) continue;
      const double Jp = J - x;
      const double phase = battery && x != 0 ? -phase_k : phase_k;
      const double recoupling = phase * std::sqrt((2 * J + 1) * (2 * moved + 1)) *
                                six_j_with_one(spectator, moved, Jp, x, y);
      if (recoupling == 0) continue;
      out.c[r] += scale * spin_one_clebsch_gordan(J, psi.M, q, Jp) * recoupling * psi.c[k];
    }
  }
  double norm = 0;
  for (double a : out.c) norm += a * a;
  return norm;
}

}  // namespace darkcharge
