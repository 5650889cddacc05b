#include "ensemble/local_noise_columns.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <tuple>
#include <utility>

#include <fmt/format.h>

#include "darkcharge/core/errors.hpp"
#include "darkcharge/estimate/bounded_estimate.hpp"
#include "darkcharge/estimate/jackknife.hpp"
#include "darkcharge/estimate/rare_event_floor.hpp"
#include "darkcharge/physics/initial_state.hpp"

namespace darkcharge::local_noise {
namespace {

/// The root-n correction's order for W_B, W_B_sym (nonsmooth_estimate.hpp). First order ran
/// low on a thermal battery (N_B = 3, N_C = 6, 100 seeds x 500 trajectories: mean z -0.31,
/// -0.19 on other seeds): it over-corrects partly resolved crossings. Second order: -0.09,
/// every small panel case within +-0.13, pooled 0.96-1.00, at bars 0-25% wider (reported
/// error / seed-to-seed scatter 1.02-1.31 where it was 1.02-1.22; docs/local-noise.md).
constexpr int kErgotropyRootNOrder = 2;

/// Width of the interval a trajectory's count of collective emissions can take: at nbar = 0
/// without single-spin pumping nothing raises M, which starts at j_C - j_B (battery in its
/// ground level) and ends >= -(N_C + N_B)/2, and every emission lowers it by 1: at most N_C.
/// Otherwise unbounded. Absorptions: none at nbar = 0.
/// Through a protocol: bounded when every segment's is (the battery starts at the first
/// segment's nbar, and M's range is the same in every segment).
double local_emitted_range(const std::vector<const Model*>& models) {
  double range = 0;
  for (const Model* model : models) {
    const bool pumped = model->local.charger.pumping > 0 || model->local.battery.pumping > 0;
    range = std::max(range, model->nbar == 0.0 && !pumped ? double(model->n_charger)
                                                          : std::numeric_limits<double>::infinity());
  }
  return range;
}

/// Whether the battery starts outside j_B = N_B/2 (a thermal battery).
bool battery_starts_outside_symmetric(const Model& model) {
  for (const WeightedInitialState& s : initial_mixture(model))
    if (s.probability > 0 && s.state.j_battery != model.j_battery()) return true;
  return false;
}

/// W_B and W_B_sym from the blocks' level sums (`levels[b * points + g]`).
std::pair<Column, Column> ergotropy_columns(const Model& model, const TimeGrid& grid,
                                            const std::vector<LevelSums>& levels,
                                            const std::vector<long>& sizes,
                                            const PhaseBounds& bounds,
                                            const std::vector<bool>& battery_noise_before) {
  const int points = grid.points, blocks = static_cast<int>(sizes.size());
  Column w{"W_B", std::vector<double>(points), std::vector<double>(points), "jackknife", ""};
  Column w_sym{"W_B_sym", w.value, w.error, "jackknife", ""};
  // W_B_sym is undefined where the battery can be outside j_B = N_B/2, as in the exact
  // solver: from the start (a thermal battery), or once single-spin noise on the battery
  // can have moved it there (t > 0), whether or not a sampled trajectory went.
  const bool outside_from_start = battery_starts_outside_symmetric(model);
  const long done = for_each_time(points, bounds, "estimate W_B", [&](int g) {
    std::vector<const LevelSums*> per_block;
    for (int b = 0; b < blocks; ++b) per_block.push_back(&levels[std::size_t(b) * points + g]);
    const auto [a, s] = battery_ergotropies(per_block, sizes, model.n_battery, kErgotropyRootNOrder);
    w.value[g] = a.value, w.error[g] = a.error;
    w_sym.value[g] = s.value, w_sym.error[g] = s.error;
    if (outside_from_start || battery_noise_before[g])
      w_sym.value[g] = w_sym.error[g] = std::nan("");
  }, [&](int g) { w.value[g] = w.error[g] = w_sym.value[g] = w_sym.error[g] = std::nan(""); });
  note_time_limit(w, done, points);
  note_time_limit(w_sym, done, points);
  const bool undefined = std::any_of(w_sym.value.begin(), w_sym.value.end(), [](double v) { return std::isnan(v); });
  if (undefined)
    w_sym.note = "NaN where the battery can have left j_B = N_B/2 (single-spin noise on the "
                 "battery has acted -- at t > 0, or through a protocol after a segment with it "
                 "began -- or a thermal battery; W_B_sym is defined on the symmetric subspace only).";
  // Rare-event floor (rare_event_floor.hpp). Ergotropy is convex and its estimate is biased
  // upward where a population that decides the passive order is carried by a few
  // trajectories or by none: at N_B = 2, N_C = 3, t = 0.2 the singlet (p ~ 0.002) is missed
  // by most runs of 100 trajectories, which then report W_B = 0.0035 +- 0.0003 against the
  // exact 0.0018 (|z| <= 2 in 31 of 100 seeds). Adding a class of probability p to the state
  // moves W_B per spin by at most 2p (p for <J_B^z> / N_B, p for the passive energy, each
  // within a range of 1 per spin), and classes missed by all n trajectories have p < 3/n
  // (95%): the error is at least 1.5 x 2 / n wherever the sample can have missed something
  // (t > 0, or a mixed initial battery).
  const bool mixed_start = initial_mixture(model).size() > 1;
  const double floor = rare_event_floor(2.0, subset_trajectories(sizes, std::vector<bool>(blocks, true)));
  for (Column* c : {&w, &w_sym}) {
    int raised = 0;
    for (int g = 0; g < points; ++g)
      if ((grid.time(g) > 0 || mixed_start) && c->error[g] < floor) {  // false for NaN
        c->error[g] = floor;
        ++raised;
      }
    if (raised > 0)
      c->note += fmt::format(
          "{}At {} time(s) the error is the rare-event floor {:.3g} = 3/n, larger than the "
          "jackknife error: classes of trajectories with probability < 3/n may be missing from "
          "the sample (95%) and would move the ergotropy by up to twice their probability; "
          "where the floor dominates, the estimate can be biased upward by that much.",
          c->note.empty() ? "" : " ", raised, floor);
  }
  enforce_lower_bound(w);
  enforce_lower_bound(w_sym);
  return {std::move(w), std::move(w_sym)};
}

}  // namespace

std::string sector_name(double jb) { return fmt::format("jB={}", jb); }

bool wanted(const std::vector<std::string>& observables, const char* name) {
  return observables.empty() || std::find(observables.begin(), observables.end(), name) != observables.end();
}

std::vector<Column> estimate(const Model& model, const TimeGrid& grid, const BlockTotals& totals,
                             const EnsembleOptions& options, bool targets_only,
                             const PhaseBounds& bounds, const Protocol* protocol) {
  const int blocks = static_cast<int>(totals.count.size()), points = grid.points;
  const int sectors = model.n_battery / 2 + 1, slots = kSectors + sectors;
  // The model at each grid time (a protocol's segment there), and whether single-spin noise
  // on the battery has acted before it (some segment with it began earlier).
  std::vector<const Model*> at(points, &model), models{&model};
  std::vector<bool> battery_noise_before(points);
  for (int g = 0; g < points; ++g) battery_noise_before[g] = model.local.battery.any() && grid.time(g) > 0;
  if (protocol) {
    models.clear();
    for (const ProtocolSegment& s : protocol->segments) models.push_back(&s.model);
    const std::vector<int> segment = segment_at_points(*protocol, grid);
    for (int g = 0; g < points; ++g) {
      at[g] = &protocol->segments[segment[g]].model;
      battery_noise_before[g] = false;
      for (const ProtocolSegment& s : protocol->segments)
        if (s.start < grid.time(g) && s.model.local.battery.any()) battery_noise_before[g] = true;
    }
  }
  auto per_time = [&](auto f) {
    std::vector<double> v(points);
    for (int g = 0; g < points; ++g) v[g] = f(*at[g]);
    return v;
  };
  const long n = totals.trajectories();
  auto include = [&](const std::string& name) {
    if (targets_only)
      return std::any_of(options.target_errors.begin(), options.target_errors.end(),
                         [&](const auto& target) { return target.first == name; });
    return wanted(options.observables, name.c_str());
  };
  auto sum = [&](int b, int g, int slot) { return totals.sums[(std::size_t(b) * points + g) * slots + slot]; };
  // mean over all trajectories, and the standard error from the spread of block means
  // (blocks of unequal size weighted by their counts).
  auto linear = [&](int slot, const std::vector<double>& scale, const std::vector<double>& offset,
                    const std::string& name) {
    Column column{name, std::vector<double>(points), std::vector<double>(points), "standard-error", ""};
    for (int g = 0; g < points; ++g) {
      double mean = 0;
      for (int b = 0; b < blocks; ++b) mean += sum(b, g, slot);
      mean /= n;
      double var = 0;
      for (int b = 0; b < blocks; ++b) {
        const double count = totals.count[b], d = sum(b, g, slot) / count - mean;
        var += count * count * d * d;
      }
      var *= double(blocks) / (blocks - 1) / (double(n) * n);
      column.value[g] = scale[g] * mean + offset[g];
      column.error[g] = std::fabs(scale[g]) * std::sqrt(var);
    }
    return column;
  };
  const double nb = model.n_battery, nc = model.n_charger;
  const std::vector<double> one(points, 1.0), zero(points, 0.0);
  auto constant = [&](double x) { return std::vector<double>(points, x); };
  std::vector<Column> all;
  auto add_linear = [&](int slot, const std::vector<double>& scale, const std::vector<double>& offset,
                        const std::string& name) {
    if (include(name)) all.push_back(linear(slot, scale, offset, name));
  };
  add_linear(kJzB, constant(1 / nb), constant(0.5), "E_B");
  add_linear(kJzC, constant(1 / nc), constant(0.5), "E_C");
  add_linear(kPower, constant(1 / nb), zero, "P_B");
  add_linear(kJzB, constant(1 / nb), per_time([](const Model& m) { return 0.5 - m.thermal_up_probability(); }),
             "W_open");
  add_linear(kDark, one, zero, "dark");
  if (!totals.levels.empty() && (include("W_B") || include("W_B_sym"))) {
    auto [w, w_sym] = ergotropy_columns(model, grid, totals.levels, totals.count, bounds,
                                        battery_noise_before);
    if (include("W_B")) all.push_back(std::move(w));
    if (include("W_B_sym")) all.push_back(std::move(w_sym));
  }
  if (totals.states.wanted() && (include("S_B") || include("dS_B_dt"))) {
    auto [s_b, rate] = totals.states.columns(grid, totals.count, bounds);
    if (include("S_B")) all.push_back(std::move(s_b));
    if (include("dS_B_dt")) all.push_back(std::move(rate));
  }
  if (include("sigma_B")) {
    // sigma_B = sqrt(<(J_B^z)^2> - <J_B^z>^2) / N_B: delete-one-block jackknife.
    Column column{"sigma_B", std::vector<double>(points), std::vector<double>(points), "jackknife", ""};
    auto sigma = [&](double m1, double m2) { return std::sqrt(std::max(0.0, m2 - m1 * m1)) / nb; };
    std::vector<double> leave(blocks);
    for (int g = 0; g < points; ++g) {
      double s1 = 0, s2 = 0;
      for (int b = 0; b < blocks; ++b) {
        s1 += sum(b, g, kJzB);
        s2 += sum(b, g, kJzB2);
      }
      for (int b = 0; b < blocks; ++b) {
        const double count = totals.count[b];
        leave[b] = sigma((s1 - sum(b, g, kJzB)) / (n - count), (s2 - sum(b, g, kJzB2)) / (n - count));
      }
      const Estimate e = jackknife(sigma(s1 / n, s2 / n), leave);
      column.value[g] = e.value;
      column.error[g] = e.error;
    }
    all.push_back(std::move(column));
  }
  // <K^+K^-> was observed with each time's model: the rate of that time's segment.
  add_linear(kEmission, per_time([](const Model& m) { return m.emission_rate(); }), zero, "I_em");
  add_linear(kAbsorption, per_time([](const Model& m) { return m.absorption_rate(); }), zero, "I_abs");
  // The reservoir's record: collective jumps only (a single-spin jump exchanges its quantum
  // with the spin's own bath). Errors as on the collective path (emitted_quanta.cpp,
  // absorbed_quanta.cpp, emission_fano_factor.cpp): standard errors with the rare-event
  // floor where the count is bounded; F_em a delete-one-block jackknife, clamped at 0, with
  // the variance floor.
  const double emitted_range = local_emitted_range(models);
  const bool warm = std::any_of(models.begin(), models.end(), [](const Model* m) { return m->nbar != 0.0; });
  const double absorbed_range = warm ? std::numeric_limits<double>::infinity() : 0.0;
  for (const auto& [slot, name, range] : {std::tuple{kEmitted, "N_em", emitted_range},
                                          std::tuple{kAbsorbed, "N_abs", absorbed_range}})
    if (include(name)) {
      Column column = linear(slot, one, zero, name);
      if (std::isfinite(range)) apply_rare_event_floor(column, range, n);
      all.push_back(std::move(column));
    }
  if (include("F_em")) {
    Column column{"F_em", std::vector<double>(points), std::vector<double>(points), "jackknife", ""};
    auto fano = [](double m1, double m2) { return m1 > 0 ? (m2 - m1 * m1) / m1 : std::nan(""); };
    std::vector<double> leave(blocks), floor(points);
    for (int g = 0; g < points; ++g) {
      double s1 = 0, s2 = 0;
      for (int b = 0; b < blocks; ++b) {
        s1 += sum(b, g, kEmitted);
        s2 += sum(b, g, kEmitted2);
      }
      for (int b = 0; b < blocks; ++b) {
        const double count = totals.count[b];
        leave[b] = fano((s1 - sum(b, g, kEmitted)) / (n - count), (s2 - sum(b, g, kEmitted2)) / (n - count));
      }
      const Estimate e = jackknife(fano(s1 / n, s2 / n), leave);
      column.value[g] = e.value;
      column.error[g] = e.error;
      const double m = s1 / n;
      if (std::isfinite(emitted_range))
        floor[g] = fano_factor_floor(m, std::max(0.0, s2 / n - m * m), emitted_range, n);
    }
    enforce_lower_bound(column);
    if (std::isfinite(emitted_range))
      apply_floor(column, floor);
    else
      column.note = "No rare-event floor: the count is unbounded (nbar > 0 or single-spin pumping).";
    all.push_back(std::move(column));
  }
  // Single-spin currents: g_down <N_X/2 + J_z^X>, g_up <N_X/2 - J_z^X>.
  add_linear(kJzC, per_time([](const Model& m) { return m.local.charger.decay; }),
             per_time([&](const Model& m) { return m.local.charger.decay * nc / 2; }), "I_loc_em_C");
  add_linear(kJzC, per_time([](const Model& m) { return -m.local.charger.pumping; }),
             per_time([&](const Model& m) { return m.local.charger.pumping * nc / 2; }), "I_loc_abs_C");
  add_linear(kJzB, per_time([](const Model& m) { return m.local.battery.decay; }),
             per_time([&](const Model& m) { return m.local.battery.decay * nb / 2; }), "I_loc_em_B");
  add_linear(kJzB, per_time([](const Model& m) { return -m.local.battery.pumping; }),
             per_time([&](const Model& m) { return m.local.battery.pumping * nb / 2; }), "I_loc_abs_B");
  for (int i = 0; i < sectors; ++i) add_linear(kSectors + i, one, zero, sector_name(model.j_battery() - i));
  // Populations (dark, jB=*) lie in [0, 1]: where a sector is reached by too few trajectories
  // (N_B = 10, N_C = 40: j_B <= 3 before t = 0.5, p ~ 1e-4) a sample that met none reports
  // 0 +- 0; the rare-event floor 1.5 / n keeps the 2-error interval honest (95%) there, as
  // on the collective path.
  // Applied where the sample can have missed something: t > 0, or a mixed initial state.
  const bool mixed_start = initial_mixture(model).size() > 1;
  const double floor = rare_event_floor(1.0, n);
  for (Column& c : all) {
    if (c.name != "dark" && c.name.rfind("jB=", 0) != 0) continue;
    int raised = 0;
    for (int g = 0; g < points; ++g)
      if ((grid.time(g) > 0 || mixed_start) && c.error[g] < floor) {
        c.error[g] = floor;
        ++raised;
      }
    if (raised > 0)
      c.note += fmt::format("{}At {} time(s) the error is the rare-event floor {:.3g} = 1.5 / n, "
                            "larger than the standard error: states of probability < 3/n may be "
                            "missing from the sample (95%).",
                            c.note.empty() ? "" : " ", raised, floor);
  }
  return all;
}

}  // namespace darkcharge::local_noise
