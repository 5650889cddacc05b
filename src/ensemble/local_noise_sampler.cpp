#include "ensemble/local_noise_sampler.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <limits>
#include <memory>
#include <optional>
#include <tuple>
#include <utility>

#include <fmt/format.h>
#include <omp.h>

#include "darkcharge/core/errors.hpp"
#include "darkcharge/estimate/bounded_estimate.hpp"
#include "darkcharge/estimate/jackknife.hpp"
#include "darkcharge/estimate/rare_event_floor.hpp"
#include "darkcharge/physics/initial_state.hpp"
#include "darkcharge/run/local_trajectory.hpp"
#include "observables/battery_ergotropy.hpp"

namespace darkcharge {
namespace {

/// What one trajectory adds at each grid time, in this order, then one battery-sector
/// indicator per j_B = N_B/2 - i. kEmitted, kEmitted2, kAbsorbed: the counts n_em, n_em^2,
/// n_abs of collective jumps J^-, J^+ before that time (the reservoir's record).
enum Slot { kJzB, kJzC, kPower, kDark, kJzB2, kEmission, kAbsorption, kEmitted, kEmitted2, kAbsorbed, kSectors };

/// Width of the interval a trajectory's count of collective emissions can take: at nbar = 0
/// without single-spin pumping nothing raises M, which starts at j_C - j_B (battery in its
/// ground level) and ends >= -(N_C + N_B)/2, and every emission lowers it by 1: at most N_C.
/// Otherwise unbounded. Absorptions: none at nbar = 0.
double local_emitted_range(const Model& model) {
  const bool pumped = model.local.charger.pumping > 0 || model.local.battery.pumping > 0;
  return model.nbar == 0.0 && !pumped ? double(model.n_charger) : std::numeric_limits<double>::infinity();
}

std::string sector_name(double jb) { return fmt::format("jB={}", jb); }

bool wanted(const std::vector<std::string>& observables, const char* name) {
  return observables.empty() || std::find(observables.begin(), observables.end(), name) != observables.end();
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
                                            const std::vector<long>& sizes) {
  const int points = grid.points, blocks = static_cast<int>(sizes.size());
  Column w{"W_B", std::vector<double>(points), std::vector<double>(points), "jackknife", ""};
  Column w_sym{"W_B_sym", w.value, w.error, "jackknife", ""};
  // W_B_sym is undefined where the battery can be outside j_B = N_B/2, as in the exact
  // solver: from the start (a thermal battery), or once single-spin noise on the battery
  // can have moved it there (t > 0), whether or not a sampled trajectory went.
  const bool outside_from_start = battery_starts_outside_symmetric(model);
#pragma omp parallel for schedule(dynamic, 1)
  for (int g = 0; g < points; ++g) {  // each time on its own: the same for any thread count
    std::vector<const LevelSums*> per_block;
    for (int b = 0; b < blocks; ++b) per_block.push_back(&levels[std::size_t(b) * points + g]);
    const auto [a, s] = battery_ergotropies(per_block, sizes, model.n_battery);
    w.value[g] = a.value, w.error[g] = a.error;
    w_sym.value[g] = s.value, w_sym.error[g] = s.error;
    if (outside_from_start || (model.local.battery.any() && grid.time(g) > 0))
      w_sym.value[g] = w_sym.error[g] = std::nan("");
  }
  const bool undefined = std::any_of(w_sym.value.begin(), w_sym.value.end(), [](double v) { return std::isnan(v); });
  if (undefined)
    w_sym.note = "NaN where the battery can have left j_B = N_B/2 (single-spin noise on the "
                 "battery at t > 0, or a thermal battery; W_B_sym is defined on the symmetric "
                 "subspace only).";
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

std::vector<std::string> LocalNoiseSampler::columns(const Model& model) {
  std::vector<std::string> names = {"E_B", "E_C", "P_B", "W_open", "dark", "W_B", "W_B_sym", "sigma_B", "I_em",
                                    "I_abs", "N_em", "N_abs", "F_em", "I_loc_em_C", "I_loc_abs_C", "I_loc_em_B", "I_loc_abs_B"};
  for (int i = 0; i <= model.n_battery / 2; ++i) names.push_back(sector_name(model.j_battery() - i));
  return names;
}

void LocalNoiseSampler::check_columns(const Model& model, const std::vector<std::string>& names) {
  const std::vector<std::string> known = columns(model);
  for (const std::string& name : names)
    if (std::find(known.begin(), known.end(), name) == known.end())
      throw InvalidArgument(fmt::format(
          "observables: column '{}' is not computed by the local-noise trajectories (they give "
          "E_B, E_C, P_B, W_open, dark, W_B, W_B_sym, sigma_B, I_em, I_abs, N_em, N_abs, F_em, "
          "I_loc_*, jB=*); for "
          "S_B, dS_B_dt use the exact solver (darkcharge exact)", name));
}

namespace {

/// What the trajectories of each block add up to.
struct BlockTotals {
  BlockTotals(int blocks, int points, int slots, bool levels)
      : sums(std::size_t(blocks) * points * slots, 0.0),
        levels(levels ? std::size_t(blocks) * points : 0),
        count(blocks, 0), jumps(blocks, 0), local_jumps(blocks, 0) {}
  /// sums[(b * points + g) * slots + slot]: each block owned by one thread at a time.
  std::vector<double> sums;
  /// levels[b * points + g]: the battery's level populations per sector j_B (for W_B,
  /// W_B_sym); a sector's vector is allocated when a trajectory of the block first reaches it.
  std::vector<LevelSums> levels;
  std::vector<long> count, jumps, local_jumps;

  long trajectories() const {
    long n = 0;
    for (long c : count) n += c;
    return n;
  }
};

/// The columns from the blocks' totals: every column the options ask for, or with
/// `targets_only` those the target errors name (the check after a round).
std::vector<Column> estimate(const Model& model, const TimeGrid& grid, const BlockTotals& totals,
                             const EnsembleOptions& options, bool targets_only) {
  const int blocks = static_cast<int>(totals.count.size()), points = grid.points;
  const int sectors = model.n_battery / 2 + 1, slots = kSectors + sectors;
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
  auto linear = [&](int slot, double scale, double offset, const std::string& name) {
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
      column.value[g] = scale * mean + offset;
      column.error[g] = std::fabs(scale) * std::sqrt(var);
    }
    return column;
  };
  const double nb = model.n_battery, nc = model.n_charger;
  const LocalRates& lc = model.local.charger;
  const LocalRates& lb = model.local.battery;
  std::vector<Column> all;
  auto add_linear = [&](int slot, double scale, double offset, const std::string& name) {
    if (include(name)) all.push_back(linear(slot, scale, offset, name));
  };
  add_linear(kJzB, 1 / nb, 0.5, "E_B");
  add_linear(kJzC, 1 / nc, 0.5, "E_C");
  add_linear(kPower, 1 / nb, 0.0, "P_B");
  add_linear(kJzB, 1 / nb, 0.5 - model.thermal_up_probability(), "W_open");
  add_linear(kDark, 1, 0, "dark");
  if (!totals.levels.empty() && (include("W_B") || include("W_B_sym"))) {
    auto [w, w_sym] = ergotropy_columns(model, grid, totals.levels, totals.count);
    if (include("W_B")) all.push_back(std::move(w));
    if (include("W_B_sym")) all.push_back(std::move(w_sym));
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
  add_linear(kEmission, model.emission_rate(), 0, "I_em");
  add_linear(kAbsorption, model.absorption_rate(), 0, "I_abs");
  // The reservoir's record: collective jumps only (a single-spin jump exchanges its quantum
  // with the spin's own bath). Errors as on the collective path (emitted_quanta.cpp,
  // absorbed_quanta.cpp, emission_fano_factor.cpp): standard errors with the rare-event
  // floor where the count is bounded; F_em a delete-one-block jackknife, clamped at 0, with
  // the variance floor.
  const double emitted_range = local_emitted_range(model);
  const double absorbed_range = model.nbar == 0.0 ? 0.0 : std::numeric_limits<double>::infinity();
  for (const auto& [slot, name, range] : {std::tuple{kEmitted, "N_em", emitted_range},
                                          std::tuple{kAbsorbed, "N_abs", absorbed_range}})
    if (include(name)) {
      Column column = linear(slot, 1, 0, name);
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
  add_linear(kJzC, lc.decay, lc.decay * nc / 2, "I_loc_em_C");
  add_linear(kJzC, -lc.pumping, lc.pumping * nc / 2, "I_loc_abs_C");
  add_linear(kJzB, lb.decay, lb.decay * nb / 2, "I_loc_em_B");
  add_linear(kJzB, -lb.pumping, lb.pumping * nb / 2, "I_loc_abs_B");
  for (int i = 0; i < sectors; ++i) add_linear(kSectors + i, 1, 0, sector_name(model.j_battery() - i));
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

/// Ends of the rounds of trajectory indices: one round [0, n) without stopping rules; with
/// them, a first round of max(256, blocks) trajectories, then rounds adding 25% (at least
/// `blocks`), as the collective runner's automatic units, so a target error ends the run
/// within 1.25x of the first count at which it holds, and a time limit drops at most the
/// last ~20% of the work.
std::vector<long> round_ends(long n, int blocks, bool staged) {
  if (!staged) return {n};
  std::vector<long> ends;
  long end = std::min<long>(n, std::max<long>(256, blocks));
  ends.push_back(end);
  while (end < n) {
    end = std::min<long>(n, std::max<long>(end + blocks, end + end / 4));
    ends.push_back(end);
  }
  return ends;
}

}  // namespace

EnsembleResult LocalNoiseSampler::run(const EnsemblePlan& plan, const ProgressCallback& progress) const {
  const Model& model = plan.model;
  const TimeGrid& grid = plan.grid;
  const EnsembleOptions& options = plan.options;
  check_columns(model, options.observables);
  refuse_side_outputs(options, "local-noise trajectories");
  const long n = options.trajectories;
  const int blocks = static_cast<int>(std::min<long>(std::max(options.blocks, 2), n));
  if (n < 2)
    throw InvalidArgument(fmt::format("trajectories: local-noise sampling needs >= 2, got {}", n));
  const std::vector<std::string> known = columns(model);
  for (const auto& [name, bound] : options.target_errors) {
    if (std::find(known.begin(), known.end(), name) == known.end() ||
        !(options.observables.empty() || wanted(options.observables, name.c_str())))
      throw InvalidArgument(fmt::format(
          "target_errors: column '{}' is not computed by this local-noise run", name));
    if (!(bound > 0))
      throw InvalidArgument(fmt::format("target_errors: {} = {} must be > 0", name, bound));
  }
  const int sectors = model.n_battery / 2 + 1, slots = kSectors + sectors, points = grid.points;
  const bool ergotropy = options.observables.empty()
                             ? options.ergotropy
                             : wanted(options.observables, "W_B") || wanted(options.observables, "W_B_sym");
  BlockTotals totals(blocks, points, slots, ergotropy);
  // Block b holds the trajectories k = b mod B, summed in index order. They run in rounds of
  // indices; the stopping rules are decided after whole rounds, from rounds 0..r alone, and a
  // round cut by the time limit is dropped (the totals saved before it are restored). So a
  // run that stops after k trajectories returns the numbers of a run of k trajectories
  // without stopping rules, for any thread count.
  const bool staged = !options.target_errors.empty() || options.time_limit > 0;
  const std::vector<long> ends = round_ends(n, blocks, staged);
  std::vector<std::unique_ptr<NoJumpCache>> caches(std::max(1, omp_get_max_threads()));
  const auto start = std::chrono::steady_clock::now();
  auto out_of_time = [&] {
    return options.time_limit > 0 &&
           std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() > options.time_limit;
  };
  std::atomic<long> done{0};
  std::atomic<bool> failed{false}, timed_out{false};
  std::string failure, stop_reason = "completed";
  long round_first = 0;
  for (const long round_last : ends) {
    std::optional<BlockTotals> saved;
    if (options.time_limit > 0) saved = totals;  // restored if the time limit cuts the round
#pragma omp parallel
    {
      auto& cache_slot = caches[std::min<std::size_t>(omp_get_thread_num(), caches.size() - 1)];
      if (!cache_slot) cache_slot = std::make_unique<NoJumpCache>(model);
      NoJumpCache& cache = *cache_slot;
#pragma omp for schedule(dynamic, 1)
      for (int b = 0; b < blocks; ++b) {
        const long first = round_first + ((b - round_first % blocks) % blocks + blocks) % blocks;
        double* block = totals.sums.data() + std::size_t(b) * points * slots;
        for (long k = first; k < round_last && !failed.load() && !timed_out.load(); k += blocks) {
          if (options.stop && options.stop->load()) break;
          if (out_of_time()) {  // start no trajectory after the time limit
            timed_out = true;
            break;
          }
          try {
            Rng rng = trajectory_rng(options.seed, static_cast<std::uint64_t>(k));
            const LocalTrajectoryStats stats = run_local_trajectory(
                model, grid, rng, cache, [&](int point, const LocalJumpState& psi, const LocalTrajectoryStats& so_far) {
                  const LocalSnapshot s = observe(model, psi);
                  double* row = block + std::size_t(point) * slots;
                  row[kJzB] += s.jz_battery;
                  row[kJzC] += s.jz_charger;
                  row[kPower] += s.power;
                  row[kDark] += s.dark;
                  row[kJzB2] += s.jz_battery_squared;
                  row[kEmission] += s.emission;
                  row[kAbsorption] += s.absorption;
                  row[kEmitted] += double(so_far.emissions);
                  row[kEmitted2] += double(so_far.emissions) * double(so_far.emissions);
                  row[kAbsorbed] += double(so_far.absorptions);
                  row[kSectors + std::lround(model.j_battery() - psi.jb)] += 1.0;
                  if (ergotropy) {
                    Eigen::VectorXd& v = totals.levels[std::size_t(b) * points + point][psi.jb];
                    if (v.size() == 0) v = Eigen::VectorXd::Zero(std::lround(2 * psi.jb) + 1);
                    const long level = std::lround(psi.first_mb() + psi.jb);
                    for (int i = 0; i < psi.size(); ++i) v[level + i] += psi.amp[i] * psi.amp[i];
                  }
                },
                options.stop);
            totals.jumps[b] += stats.jumps;
            totals.local_jumps[b] += stats.local_jumps;
            ++totals.count[b];
          } catch (const Interrupted&) {
            break;  // the stop flag is set: reported below, after the parallel region
          } catch (const std::exception& e) {
#pragma omp critical(local_noise_failure)
            if (!failed.exchange(true)) failure = e.what();
          }
          const long now = ++done;
          if (progress && omp_get_thread_num() == 0) progress(round_first + now, n);
        }
      }
    }
    if (failed) throw NumericalError(failure);
    if (options.stop && options.stop->load()) throw Interrupted("local-noise trajectories stopped");
    if (totals.trajectories() < round_last) {  // the time limit cut this round
      totals = std::move(*saved);
      stop_reason = "time-limit";
      break;
    }
    done = 0;
    round_first = round_last;
    if (round_last < n && !options.target_errors.empty()) {
      const std::vector<Column> partial = estimate(model, grid, totals, options, true);
      bool met = true;
      for (const auto& [name, bound] : options.target_errors) {
        double largest = -1;
        for (const Column& c : partial)
          if (c.name == name)
            for (double e : c.error)
              if (!std::isnan(e)) largest = std::max(largest, e);
        met = met && largest >= 0 && largest <= bound;
      }
      if (met) {
        stop_reason = "target-error";
        break;
      }
    }
    if (round_last < n && out_of_time()) {
      stop_reason = "time-limit";
      break;
    }
  }
  const long run = totals.trajectories();
  if (run == 0)
    throw InvalidArgument(fmt::format(
        "time_limit: {} s ended the run before its first round of {} trajectories finished",
        options.time_limit, ends.front()));
  if (progress) progress(run, n);

  long total_jumps = 0, total_local = 0;
  for (int b = 0; b < blocks; ++b) {
    total_jumps += totals.jumps[b];
    total_local += totals.local_jumps[b];
  }
  EnsembleResult result;
  result.trajectories_run = run;
  result.stop_reason = stop_reason;
  result.sampling = Sampling::trajectories;
  if (!plan.sampling.reason.empty()) result.notes.push_back(plan.sampling.reason);
  result.notes.push_back(fmt::format(
      "local-noise trajectories: {} trajectories in {} blocks, {:.4g} jumps per trajectory "
      "({:.4g} local); S_B, dS_B_dt are not computed",
      run, blocks, double(total_jumps) / run, double(total_local) / run));
  if (stop_reason != "completed")
    result.notes.push_back(fmt::format("local-noise trajectories stopped by {} after {} of {} trajectories",
                                       stop_reason == "time-limit" ? "the time limit" : "the target errors",
                                       run, n));
  TimeSeries& out = result.series;
  for (int g = 0; g < points; ++g) out.time.push_back(grid.time(g));
  out.columns = estimate(model, grid, totals, options, false);
  leave_out_peaks(result);
  return result;
}

void LocalNoiseSampler::refuse_side_outputs(const EnsembleOptions& options, const char* engine) {
  const std::pair<const char*, bool> unsupported[] = {
      {"count_times", !options.count_times.empty()},
      {"record_trajectories", options.record_trajectories > 0},
      {"completed_units", !options.completed_units.empty()},
      {"sector_populations", options.sector_populations},
  };
  for (const auto& [option, given] : unsupported)
    if (given)
      throw InvalidArgument(
          fmt::format("{}: not available with local (single-spin) noise ({})", option, engine));
}

void LocalNoiseSampler::leave_out_peaks(EnsembleResult& result) {
  const double nan = std::nan("");
  result.peaks.power_max = result.peaks.power_max_time = {nan, nan};
  result.peaks.entanglement_rate_max = result.peaks.entanglement_rate_max_time = {nan, nan};
  result.peaks.lag = {nan, nan};
  result.peaks.power_note = result.peaks.entanglement_note = "not computed with local noise";
}

}  // namespace darkcharge
