// Work units: results are the same bits whatever subset of units was run before
// (checkpoint), by how many threads, and whether the run was interrupted; stopping at a
// target error happens at the same point for any thread count.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "darkcharge/ensemble/ensemble.hpp"
#include "darkcharge/core/errors.hpp"
#include "test_models.hpp"

namespace darkcharge {
namespace {

bool same_bits(const std::vector<double>& a, const std::vector<double>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0;
}

void expect_same(const EnsembleResult& a, const EnsembleResult& b) {
  ASSERT_EQ(a.series.columns.size(), b.series.columns.size());
  for (std::size_t c = 0; c < a.series.columns.size(); ++c) {
    EXPECT_TRUE(same_bits(a.series.columns[c].value, b.series.columns[c].value))
        << a.series.columns[c].name;
    EXPECT_TRUE(same_bits(a.series.columns[c].error, b.series.columns[c].error))
        << a.series.columns[c].name;
  }
  // Peak estimates bit for bit (memcmp: NaN == NaN), their notes by value.
  const Estimate* ea[] = {&a.peaks.power_max, &a.peaks.power_max_time, &a.peaks.entanglement_rate_max,
                          &a.peaks.entanglement_rate_max_time, &a.peaks.lag};
  const Estimate* eb[] = {&b.peaks.power_max, &b.peaks.power_max_time, &b.peaks.entanglement_rate_max,
                          &b.peaks.entanglement_rate_max_time, &b.peaks.lag};
  for (int i = 0; i < 5; ++i) EXPECT_EQ(std::memcmp(ea[i], eb[i], sizeof(Estimate)), 0) << i;
  EXPECT_EQ(a.peaks.power_note, b.peaks.power_note);
  EXPECT_EQ(a.peaks.entanglement_note, b.peaks.entanglement_note);
  for (std::size_t c = 0; c < a.series.columns.size(); ++c)
    EXPECT_EQ(a.series.columns[c].note, b.series.columns[c].note) << a.series.columns[c].name;
  EXPECT_EQ(a.trajectories_run, b.trajectories_run);
  EXPECT_EQ(a.stop_reason, b.stop_reason);
}

struct Case {
  Model model = testing::make_model(2, 5, 0.4, BatteryInit::thermal);
  TimeGrid grid{1.0, 11};
  EnsembleOptions options;
  Case() {
    options.sampling = Sampling::trajectories;  // the engine under test
    options.trajectories = 1000;  // 32 blocks of 31-32: 33 units of 31 (unit 32 has 8)
    options.seed = 11;
    options.observables = {"E_B", "P_B", "W_B", "S_B", "sigma_B", "F_em"};
    options.sector_populations = true;
    options.count_times = {0.5};
    options.record_trajectories = 3;
  }
};

TEST(WorkUnits, LayoutCoversEveryTrajectoryOnce) {
  EnsembleOptions options;
  options.sampling = Sampling::trajectories;  // the engine under test
  for (long n : {1L, 5L, 31L, 32L, 33L, 1000L, 10000L, 200001L}) {
    options.trajectories = n;
    const WorkLayout layout = work_layout(options);
    long covered = 0;
    for (long u = 0; u < layout.units(); ++u) {
      EXPECT_EQ(layout.first(u), covered);
      covered = layout.end(u);
    }
    EXPECT_EQ(covered, n);
    EXPECT_EQ(layout.blocks, std::min<long>(32, n));
    EXPECT_GE(layout.units(), layout.blocks) << n;  // every block gets a unit
  }
}

TEST(WorkUnits, ResumingFromAnySubsetOfUnitsGivesTheSameBits) {
  Case c;
  std::map<long, std::string> units;
  c.options.threads = 2;
  c.options.on_unit_done = [&](long u, const std::string& bytes) { units[u] = bytes; };
  const EnsembleResult full = run_ensemble(c.model, c.grid, c.options);
  ASSERT_EQ(static_cast<long>(units.size()), work_layout(c.options).units());
  EXPECT_EQ(full.stop_reason, "completed");
  EXPECT_EQ(full.trajectories_run, 1000);
  c.options.on_unit_done = nullptr;
  c.options.threads = 1;
  for (long stride : {2L, 3L}) {
    c.options.completed_units.clear();
    for (const auto& [u, bytes] : units)
      if (u % stride == 1) c.options.completed_units[u] = bytes;
    const EnsembleResult resumed = run_ensemble(c.model, c.grid, c.options);
    expect_same(full, resumed);
    ASSERT_EQ(full.jumps.size(), resumed.jumps.size());
    ASSERT_EQ(full.emission_counts.size(), resumed.emission_counts.size());
    for (std::size_t i = 0; i < full.emission_counts.size(); ++i)
      EXPECT_EQ(full.emission_counts[i].probability.value,
                resumed.emission_counts[i].probability.value);
  }
}

TEST(WorkUnits, InterruptedRunKeepsItsFinishedUnits) {
  Case c;
  std::map<long, std::string> units;
  std::atomic<bool> stop{false};
  c.options.threads = 2;
  c.options.stop = &stop;
  c.options.on_unit_done = [&](long u, const std::string& bytes) {
    units[u] = bytes;
    if (units.size() == 5) stop = true;  // as a signal handler would
  };
  EXPECT_THROW(run_ensemble(c.model, c.grid, c.options), Interrupted);
  ASSERT_GE(units.size(), 5u);
  ASSERT_LT(static_cast<long>(units.size()), work_layout(c.options).units());
  c.options.stop = nullptr;
  c.options.on_unit_done = nullptr;
  const EnsembleResult uninterrupted = run_ensemble(c.model, c.grid, c.options);
  c.options.completed_units = units;
  c.options.threads = 1;
  expect_same(uninterrupted, run_ensemble(c.model, c.grid, c.options));
}

TEST(WorkUnits, TargetErrorStopsAtTheSamePointForAnyThreadCount) {
  const Model model = testing::make_model(2, 5, 0.4, BatteryInit::thermal);
  const TimeGrid grid{1.0, 11};
  EnsembleOptions options;
  options.sampling = Sampling::trajectories;  // the engine under test
  options.trajectories = 100000;
  options.observables = {"E_B", "P_B", "sigma_B"};
  options.target_errors = {{"E_B", 0.01}, {"sigma_B", 0.02}};
  options.threads = 1;
  const EnsembleResult one = run_ensemble(model, grid, options);
  options.threads = 2;
  const EnsembleResult two = run_ensemble(model, grid, options);
  expect_same(one, two);
  EXPECT_EQ(one.stop_reason, "target-error");
  EXPECT_LT(one.trajectories_run, options.trajectories);
  for (const char* name : {"E_B", "sigma_B"})
    for (double e : one.series.column(name).error) EXPECT_LE(e, name[0] == 'E' ? 0.01 : 0.02);
  // Decisions fall on round boundaries: a whole number of rounds of B (growing) units.
  const WorkLayout layout = work_layout(options);
  EXPECT_NE(std::find(layout.round_start.begin(), layout.round_start.end(), one.trajectories_run),
            layout.round_start.end());
}

TEST(WorkUnits, BadInputsAreRefused) {
  Case c;
  c.options.completed_units[0] = "not a unit";
  EXPECT_THROW(run_ensemble(c.model, c.grid, c.options), InvalidArgument);
  c.options.completed_units.clear();
  c.options.completed_units[99999] = "";
  EXPECT_THROW(run_ensemble(c.model, c.grid, c.options), InvalidArgument);
  c.options.completed_units.clear();
  c.options.target_errors = {{"I_abs", 0.1}};  // not computed in this case
  EXPECT_THROW(run_ensemble(c.model, c.grid, c.options), InvalidArgument);
  c.options.target_errors = {{"E_B", -1.0}};
  EXPECT_THROW(run_ensemble(c.model, c.grid, c.options), InvalidArgument);
}

}  // namespace
}  // namespace darkcharge

namespace darkcharge {
namespace {

// The estimate after the trajectories is a phase of its own: the phase callback names each
// costly estimate, the progress counts its times (1 .. points, one thread), and the stop
// flag set while it runs ends it with Interrupted.
TEST(WorkUnits, EstimateIsAPhaseThatReportsProgressAndStops) {
  Case c;
  c.options.threads = 1;
  c.options.observables = {"E_B", "W_B", "S_B"};
  std::vector<std::string> phases;
  c.options.on_phase = [&](const std::string& phase) { phases.push_back(phase); };
  std::vector<std::pair<long, long>> calls;
  const EnsembleResult r =
      run_ensemble(c.model, c.grid, c.options, [&](long done, long total) { calls.emplace_back(done, total); });
  ASSERT_EQ(r.stop_reason, "completed");
  std::sort(phases.begin(), phases.end());
  EXPECT_EQ(phases, (std::vector<std::string>{"estimate S_B", "estimate W_B"}));
  const int points = c.grid.points;
  ASSERT_GE(calls.size(), std::size_t(points));
  const std::vector<std::pair<long, long>> tail(calls.end() - points, calls.end());
  for (int g = 1; g <= points; ++g) EXPECT_EQ(tail[g - 1], std::make_pair(long(g), long(points)));
  std::atomic<bool> stop{false};
  c.options.stop = &stop;
  bool trajectories_done = false;
  EXPECT_THROW(run_ensemble(c.model, c.grid, c.options,
                            [&](long done, long total) {
                              if (total == 1000 && done == 1000) trajectories_done = true;
                              if (trajectories_done && total == points) stop = true;
                            }),
               Interrupted);
  EXPECT_TRUE(trajectories_done);
}

// The time limit covers the estimate too: every unit given and a 1 ns limit leave W_B,
// W_B_sym, S_B and dS_B_dt NaN at every time with the note, stop reason "time-limit", the
// linear columns those of the unlimited run; a limit not reached changes no bit.
TEST(WorkUnits, TimeLimitEndsTheEstimateAndChangesNothingWhenNotReached) {
  Case c;
  c.options.observables = {"E_B", "P_B", "W_B", "W_B_sym", "S_B", "dS_B_dt"};
  std::map<long, std::string> units;
  c.options.on_unit_done = [&](long u, const std::string& bytes) { units[u] = bytes; };
  const EnsembleResult whole = run_ensemble(c.model, c.grid, c.options);
  c.options.on_unit_done = nullptr;
  c.options.time_limit = 1e6;
  expect_same(whole, run_ensemble(c.model, c.grid, c.options));
  c.options.completed_units = units;
  c.options.run_unit = [](long) { return false; };
  c.options.time_limit = 1e-9;
  const EnsembleResult cut = run_ensemble(c.model, c.grid, c.options);
  EXPECT_EQ(cut.stop_reason, "time-limit");
  EXPECT_EQ(cut.trajectories_run, whole.trajectories_run);
  EXPECT_EQ(cut.series.column("E_B").value, whole.series.column("E_B").value);
  EXPECT_EQ(cut.series.column("P_B").error, whole.series.column("P_B").error);
  for (const char* name : {"W_B", "W_B_sym", "S_B", "dS_B_dt"}) {
    const Column& column = cut.series.column(name);
    for (int g = 0; g < c.grid.points; ++g) EXPECT_TRUE(std::isnan(column.value[g])) << name << " " << g;
    EXPECT_NE(column.note.find("The time limit ended this estimate: NaN at the 11 of 11 times"),
              std::string::npos) << column.note;
  }
  for (double v : whole.series.column("S_B").value) EXPECT_FALSE(std::isnan(v));
  EXPECT_EQ(cut.peaks.entanglement_note, "the time limit ended the S_B estimate");
  EXPECT_EQ(cut.peaks.power_max.value, whole.peaks.power_max.value);
}

}  // namespace
}  // namespace darkcharge
