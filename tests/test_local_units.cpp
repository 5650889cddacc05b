// The local-noise trajectories in work units (ensemble/local_noise_units.hpp): a run resumed
// from some of its units, and a run whose units were spread over run_work_units() calls
// (what MPI does) and reduced, equal the uninterrupted run byte for byte; damaged or foreign
// units are refused by name. Every check here is exact (fixed seeds, bitwise comparisons).
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <boost/crc.hpp>
#include <gtest/gtest.h>

#include "darkcharge/darkcharge.hpp"

namespace darkcharge {
namespace {

Model noisy_model() {
  Model m;
  m.n_battery = 3;
  m.n_charger = 5;
  m.nbar = 0.2;
  m.battery_init = BatteryInit::thermal;
  m.local.charger = {0.1, 0.05, 0.2};
  m.local.battery = {0.3, 0.0, 0.4};
  return m;
}

EnsembleOptions small_run() {
  EnsembleOptions options;
  options.sampling = Sampling::trajectories;  // auto would take the exact solver
  options.trajectories = 300;
  options.blocks = 6;
  options.unit_trajectories = 20;  // 15 units, 3 rounds of 6 (the last one short)
  options.seed = 11;
  options.threads = 2;
  return options;
}

const TimeGrid kGrid{2.0, 7};

void expect_same_bytes(const EnsembleResult& a, const EnsembleResult& b) {
  EXPECT_EQ(a.trajectories_run, b.trajectories_run);
  ASSERT_EQ(a.series.columns.size(), b.series.columns.size());
  for (std::size_t c = 0; c < a.series.columns.size(); ++c) {
    const Column& x = a.series.columns[c];
    const Column& y = b.series.columns[c];
    ASSERT_EQ(x.name, y.name);
    ASSERT_EQ(x.value.size(), y.value.size());
    EXPECT_EQ(0, std::memcmp(x.value.data(), y.value.data(), x.value.size() * sizeof(double))) << x.name;
    EXPECT_EQ(0, std::memcmp(x.error.data(), y.error.data(), x.error.size() * sizeof(double))) << x.name;
  }
}

std::map<long, std::string> units_where(const EnsembleOptions& options, bool (*pick)(long)) {
  return run_work_units(noisy_model(), kGrid, options, [pick](long u) { return pick(u); });
}

TEST(LocalNoiseUnits, ResumedAndSpreadRunsEqualTheUninterruptedRun) {
  EnsembleOptions options = small_run();
  std::map<long, std::string> saved;
  options.on_unit_done = [&](long u, const std::string& bytes) { saved[u] = bytes; };
  const EnsembleResult whole = run_ensemble(noisy_model(), kGrid, options);
  ASSERT_EQ(whole.stop_reason, "completed");
  ASSERT_TRUE(whole.series.has("S_B"));  // the default columns: units carry the summed states too
  ASSERT_EQ(whole.trajectories_run, 300);
  EXPECT_EQ(saved.size(), 15u);  // every unit handed to the checkpoint
  options.on_unit_done = nullptr;

  // Interrupted after some units (a checkpoint holding units 0-4 and 9), resumed with 1 thread.
  EnsembleOptions resumed = options;
  resumed.threads = 1;
  for (long u : {0L, 1L, 2L, 3L, 4L, 9L}) resumed.completed_units[u] = saved.at(u);
  expect_same_bytes(whole, run_ensemble(noisy_model(), kGrid, resumed));

  // With sampling auto, where the exact solver is cheap, given units are resumed, not
  // replaced by the solver.
  EnsembleOptions automatic = resumed;
  automatic.sampling = Sampling::automatic;
  EXPECT_EQ(choose_sampling(noisy_model(), kGrid, automatic).sampling, Sampling::trajectories);
  EXPECT_EQ(choose_sampling(noisy_model(), kGrid, options).sampling, Sampling::trajectories);
  options.sampling = Sampling::automatic;
  EXPECT_EQ(choose_sampling(noisy_model(), kGrid, options).sampling, Sampling::exact);
  options.sampling = Sampling::trajectories;
  expect_same_bytes(whole, run_ensemble(noisy_model(), kGrid, automatic));

  // Spread over two "ranks" (even and odd units, run_work_units), reduced in one process.
  std::map<long, std::string> all = units_where(options, [](long u) { return u % 2 == 0; });
  const std::map<long, std::string> odd = units_where(options, [](long u) { return u % 2 == 1; });
  all.insert(odd.begin(), odd.end());
  ASSERT_EQ(all.size(), 15u);
  EXPECT_EQ(all, saved);  // a unit's bytes do not depend on who ran it
  EnsembleOptions reduce = options;
  reduce.completed_units = all;
  reduce.run_unit = [](long) { return false; };
  const EnsembleResult reduced = run_ensemble(noisy_model(), kGrid, reduce);
  EXPECT_EQ(reduced.stop_reason, "completed");
  expect_same_bytes(whole, reduced);

  // A unit missing from the reduction: "incomplete", the units there are.
  reduce.completed_units.erase(14);
  const EnsembleResult partial = run_ensemble(noisy_model(), kGrid, reduce);
  EXPECT_EQ(partial.stop_reason, "incomplete");
  EXPECT_EQ(partial.trajectories_run, 280);
}

// The W_B estimate after the trajectories (here: from given units, nothing to run) reports
// its progress in output times and stops on options.stop (Ctrl-C).
TEST(LocalNoiseUnits, ErgotropyEstimateReportsProgressAndStops) {
  EnsembleOptions options = small_run();
  options.threads = 1;  // the calling thread reports progress; with one, every time
  options.observables = {"E_B", "W_B"};  // W_B's progress last (S_B's would follow it)
  options.completed_units = units_where(options, [](long) { return true; });
  options.run_unit = [](long) { return false; };
  std::vector<std::pair<long, long>> calls;
  const EnsembleResult r =
      run_ensemble(noisy_model(), kGrid, options, [&](long done, long total) { calls.emplace_back(done, total); });
  ASSERT_EQ(r.stop_reason, "completed");
  const std::vector<std::pair<long, long>> tail(calls.end() - kGrid.points - 1, calls.end());
  EXPECT_EQ(tail.front(), std::make_pair(300L, 300L));  // the trajectories, all given
  for (int g = 1; g <= kGrid.points; ++g) EXPECT_EQ(tail[g], std::make_pair(long(g), long(kGrid.points)));
  std::atomic<bool> stop{true};
  options.stop = &stop;
  EXPECT_THROW(run_ensemble(noisy_model(), kGrid, options), Interrupted);
  // Units with W_B's level populations do not fit a run without W_B (the run key differs).
  options.stop = nullptr;
  options.observables = {"E_B"};
  EXPECT_THROW(run_ensemble(noisy_model(), kGrid, options), InvalidArgument);
}

// S_B's estimate after the trajectories: progress (times done, points) after W_B's, and the
// stop flag honoured there too.
TEST(LocalNoiseUnits, EntanglementEstimateReportsProgressAndStops) {
  EnsembleOptions options = small_run();
  options.threads = 1;
  options.observables = {"E_B", "S_B"};
  options.completed_units = {};
  std::vector<std::pair<long, long>> calls;
  const EnsembleResult r =
      run_ensemble(noisy_model(), kGrid, options, [&](long done, long total) { calls.emplace_back(done, total); });
  ASSERT_EQ(r.stop_reason, "completed");
  ASSERT_GE(calls.size(), std::size_t(kGrid.points));
  // The last calls: S_B's times 1 .. points (one thread reports every time).
  const std::vector<std::pair<long, long>> tail(calls.end() - kGrid.points, calls.end());
  for (int g = 1; g <= kGrid.points; ++g) EXPECT_EQ(tail[g - 1], std::make_pair(long(g), long(kGrid.points)));
  // Stopped while estimating: the flag set by the progress callback once S_B reports.
  std::atomic<bool> stop{false};
  options.stop = &stop;
  bool trajectories_done = false;
  EXPECT_THROW(run_ensemble(noisy_model(), kGrid, options,
                            [&](long done, long total) {
                              if (total == 300 && done == 300) trajectories_done = true;
                              if (trajectories_done && total == kGrid.points) stop = true;
                            }),
               Interrupted);
  EXPECT_TRUE(trajectories_done);
}

// The time limit bounds the estimate after the trajectories too: every unit given (no
// trajectory to run), a limit of 1 ns ends W_B's and S_B's estimate before its first time:
// NaN with the note, stop reason "time-limit", the linear columns those of the run without a
// limit.
TEST(LocalNoiseUnits, TimeLimitEndsTheEstimateToo) {
  EnsembleOptions options = small_run();
  options.observables = {"E_B", "W_B", "S_B"};
  const EnsembleResult whole = run_ensemble(noisy_model(), kGrid, options);
  options.completed_units = units_where(options, [](long) { return true; });
  options.run_unit = [](long) { return false; };
  options.time_limit = 1e-9;
  const EnsembleResult cut = run_ensemble(noisy_model(), kGrid, options);
  EXPECT_EQ(cut.stop_reason, "time-limit");
  EXPECT_EQ(cut.trajectories_run, whole.trajectories_run);
  EXPECT_EQ(cut.series.column("E_B").value, whole.series.column("E_B").value);
  for (const char* name : {"W_B", "S_B"}) {
    const Column& c = cut.series.column(name);
    for (int g = 0; g < kGrid.points; ++g) EXPECT_TRUE(std::isnan(c.value[g])) << name << " " << g;
    EXPECT_NE(c.note.find("The time limit ended this estimate"), std::string::npos) << c.note;
    for (double v : whole.series.column(name).value) EXPECT_FALSE(std::isnan(v)) << name;
  }
}

// The time limit covers the whole run (counted from its start, as on the collective path): a
// limit the trajectories use up (10^6 of them, far more than 0.2 s of work: the 300 of
// small_run take ~5 ms) leaves no time for the estimate after them: W_B and S_B NaN at every
// time with the note, stop reason "time-limit", E_B that of the units done.
TEST(LocalNoiseUnits, ATimeLimitUsedUpByTheTrajectoriesLeavesTheEstimateNaN) {
  EnsembleOptions options = small_run();
  options.observables = {"E_B", "W_B", "S_B"};
  options.trajectories = 1000000;
  options.time_limit = 0.2;
  const EnsembleResult cut = run_ensemble(noisy_model(), kGrid, options);
  EXPECT_EQ(cut.stop_reason, "time-limit");
  EXPECT_GT(cut.trajectories_run, 0);
  EXPECT_LT(cut.trajectories_run, options.trajectories);
  for (double v : cut.series.column("E_B").value) EXPECT_FALSE(std::isnan(v));
  for (const char* name : {"W_B", "S_B"}) {
    const Column& c = cut.series.column(name);
    for (int g = 0; g < kGrid.points; ++g) EXPECT_TRUE(std::isnan(c.value[g])) << name << " " << g;
    EXPECT_NE(c.note.find("The time limit ended this estimate: NaN at the 7 of 7 times"), std::string::npos)
        << c.note;
  }
}

TEST(LocalNoiseUnits, TargetErrorsStopAtTheSameRoundWhenResumed) {
  EnsembleOptions options = small_run();
  options.unit_trajectories = 0;  // growing units
  options.trajectories = 100000;
  options.observables = {"E_B", "W_B"};
  options.target_errors = {{"E_B", 0.01}};  // ~10^4 trajectories: several rounds
  std::map<long, std::string> saved;
  options.on_unit_done = [&](long u, const std::string& bytes) { saved[u] = bytes; };
  const EnsembleResult whole = run_ensemble(noisy_model(), kGrid, options);
  ASSERT_EQ(whole.stop_reason, "target-error");
  EXPECT_GT(whole.trajectories_run, 2 * 258);  // past the second round (6 units of 43 each first)
  options.on_unit_done = nullptr;
  // Resumed from the first round only, with another thread count.
  EnsembleOptions resumed = options;
  resumed.threads = 1;
  for (long u = 0; u < 6; ++u) resumed.completed_units[u] = saved.at(u);
  const EnsembleResult again = run_ensemble(noisy_model(), kGrid, resumed);
  EXPECT_EQ(again.stop_reason, "target-error");
  expect_same_bytes(whole, again);
}

void expect_refused_on(EnsembleOptions options, const Model& model, const TimeGrid& grid,
                       const std::string& words) {
  try {
    run_ensemble(model, grid, options);
    ADD_FAILURE() << "expected InvalidArgument containing '" << words << "'";
  } catch (const InvalidArgument& e) {
    const std::string what = e.what();
    EXPECT_EQ(what.rfind("completed_units:", 0), 0u) << what;
    EXPECT_NE(what.find(words), std::string::npos) << what;
  }
}

void expect_refused(EnsembleOptions options, const Model& model, const std::string& words) {
  expect_refused_on(std::move(options), model, kGrid, words);
}

TEST(LocalNoiseUnits, DamagedAndForeignUnitsAreRefused) {
  EnsembleOptions options = small_run();
  const std::map<long, std::string> units = units_where(options, [](long u) { return u == 3; });
  const std::string good = units.at(3);
  EnsembleOptions resumed = options;
  // Every single damaged byte (one bit flipped) is caught.
  for (std::size_t i = 0; i < good.size(); ++i) {
    std::string bad = good;
    bad[i] = static_cast<char>(bad[i] ^ 0x10);
    resumed.completed_units = {{3, bad}};
    expect_refused(resumed, noisy_model(), "unit 3");
  }
  // Truncated, extended, empty, under another index.
  for (const std::string& bad : {good.substr(0, good.size() - 9), good + "x", std::string()}) {
    resumed.completed_units = {{3, bad}};
    expect_refused(resumed, noisy_model(), "unit 3");
  }
  // Crafted with a valid CRC: a battery-sector count no 20 trajectories can give. The sums
  // start after the tag (8 + 29 bytes), the count and 18 named values (8 + 144), the seed,
  // the protocol (8, empty), key, index and three counts (8 each) and their length (8);
  // slot kSectors = 10 of time 0 is 80 bytes further.
  {
    std::string crafted = good.substr(0, good.size() - 4);
    const std::size_t at = 8 + 29 + 8 + 144 + 8 + 8 + 8 + 8 + 24 + 8 + 80;
    double count;
    std::memcpy(&count, &crafted[at], sizeof count);
    EXPECT_GE(count, 0.0);
    EXPECT_LE(count, 20.0);
    count += 1;
    std::memcpy(&crafted[at], &count, sizeof count);
    boost::crc_32_type crc;
    crc.process_bytes(crafted.data(), crafted.size());
    const std::uint32_t sum = crc.checksum();
    crafted.append(reinterpret_cast<const char*>(&sum), sizeof sum);
    resumed.completed_units = {{3, crafted}};
    expect_refused(resumed, noisy_model(), "battery-sector counts at time index 0 add up to 21, not 20");
  }
  resumed.completed_units = {{4, good}};
  expect_refused(resumed, noisy_model(), "holds the data of unit 3");
  resumed.completed_units = {{99, good}};
  expect_refused(resumed, noisy_model(), "outside 0..14");
  // Another battery decay rate: refused naming the rate.
  resumed.completed_units = {{3, good}};
  Model other = noisy_model();
  other.local.battery.decay = 0.25;
  expect_refused(resumed, other, "battery decay rate 0.3, this run has 0.25");
  // Another seed, nbar or unit size: refused naming it.
  EnsembleOptions reseeded = resumed;
  reseeded.seed = 12;
  expect_refused(reseeded, noisy_model(), "it was run with seed 11, this run has 12");
  Model warmer = noisy_model();
  warmer.nbar = 0.3;
  expect_refused(resumed, warmer, "it was run with nbar 0.2, this run has 0.3");
  EnsembleOptions regrouped = resumed;
  regrouped.unit_trajectories = 25;
  expect_refused(regrouped, noisy_model(), "it was run with unit size 20, this run has 25");
  // Other output times (same count and t_max): only the run key tells.
  expect_refused_on(resumed, noisy_model(), TimeGrid::at_times({0, 0.1, 0.2, 0.5, 1.0, 1.5, 2.0}), "another run");
  // A collective run's unit is not a local-noise unit, and the reverse.
  Model collective = noisy_model();
  collective.local = {};
  EnsembleOptions plain = options;
  plain.observables = {"E_B"};
  const std::string foreign = run_work_units(collective, kGrid, plain, [](long u) { return u == 3; }).at(3);
  resumed.completed_units = {{3, foreign}};
  expect_refused(resumed, noisy_model(), "unit 3");
  plain.completed_units = {{3, good}};
  expect_refused(plain, collective, "unit 3");
}

}  // namespace
}  // namespace darkcharge
