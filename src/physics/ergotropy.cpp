#include "darkcharge/physics/ergotropy.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "darkcharge/physics/angular_momentum.hpp"

namespace darkcharge {
namespace {

/// `count` degenerate eigenvalues `value` of rho_B.
struct EigenRun {
  long double value;
  long double count;
};

/// min_U Tr[U rho U^dag J_B^z]: largest eigenvalues onto the lowest levels. `level_count(i)`
/// is the multiplicity of level m = -N_B/2 + i.
template <class LevelCount>
long double passive_energy(std::vector<EigenRun> runs, int n_battery, LevelCount level_count) {
  std::sort(runs.begin(), runs.end(),
            [](const EigenRun& a, const EigenRun& b) { return a.value > b.value; });
  long double energy = 0;
  int level = 0;
  long double room = level_count(0);
  for (EigenRun run : runs) {
    while (run.count > 0 && run.value > 0) {
      if (level > n_battery) return energy;  // all states filled (rounding)
      const long double taken = std::min(run.count, room);
      energy += taken * run.value * (level - 0.5L * n_battery);
      run.count -= taken;
      room -= taken;
      if (room <= 0 && ++level <= n_battery) room = level_count(level);
    }
  }
  return energy;
}

}  // namespace

double ergotropy(const std::vector<SectorEigenvalue>& spectrum, double battery_jz, int n_battery) {
  std::vector<EigenRun> runs;
  runs.reserve(spectrum.size());
  for (const auto& e : spectrum) {
    if (!(e.weight > 0)) continue;  // tiny negative rounding of a zero eigenvalue
    const long double d = std::exp((long double)log_dicke_multiplicity(n_battery, e.j_battery));
    runs.push_back({e.weight / d, d});
  }
  const long double passive = passive_energy(runs, n_battery, [n_battery](int i) {
    return std::exp((long double)log_binomial(n_battery, i));
  });
  return double((battery_jz - passive) / n_battery);
}

double ergotropy_symmetric(const std::vector<SectorEigenvalue>& spectrum, double battery_jz,
                           int n_battery) {
  std::vector<EigenRun> runs;
  for (const auto& e : spectrum) {
    if (e.j_battery != 0.5 * n_battery && std::fabs(e.weight) > 1e-12)
      return std::numeric_limits<double>::quiet_NaN();
    if (e.weight > 0) runs.push_back({e.weight, 1});
  }
  const long double passive = passive_energy(runs, n_battery, [](int) { return 1.0L; });
  return double((battery_jz - passive) / n_battery);
}

}  // namespace darkcharge
