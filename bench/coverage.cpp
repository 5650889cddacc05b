// Coverage of darkcharge's error bars on the coverage panel: for every case and column, the
// fraction of (seed, time) pairs whose 2-error interval contains the exact value, pooled over
// times, and the worst single output time. Nominal: 0.95 for Gaussian errors (0.94 for the
// 32-block jackknife, Student t with 31 degrees of freedom).
//
//   darkcharge_coverage [--seeds 100] [--scale 1.0] [--case substring|name$] [--threads 2]
//
// --scale multiplies each case's trajectories per seed. Output: a markdown table.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <fmt/format.h>

#include "coverage_panel.hpp"

using namespace darkcharge;

namespace {

struct Args {
  int seeds = 100;
  double scale = 1.0;
  std::string only;
  int threads = 2;
};

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string key = argv[i], value = argv[i + 1];
    if (key == "--seeds") a.seeds = std::atoi(value.c_str());
    else if (key == "--scale") a.scale = std::atof(value.c_str());
    else if (key == "--case") a.only = value;
    else if (key == "--threads") a.threads = std::atoi(value.c_str());
    else {
      std::fprintf(stderr, "unknown option %s\n", key.c_str());
      std::exit(2);
    }
  }
  return a;
}

void print_case(const coverage::PanelCase& c, long trajectories, int seeds,
                const coverage::CaseTally& tally) {
  fmt::print("\n### {} ({} trajectories x {} seeds, {} times to t = {})\n\n", c.name,
             trajectories, seeds, c.grid.points, c.grid.t_max);
  fmt::print("| column | pooled |z|<=2 | worst time | at t | flagged (NaN) | mean z (clipped at 10) | error/scatter |\n");
  fmt::print("| --- | --- | --- | --- | --- | --- | --- |\n");
  for (const auto& [name, by_time] : tally) {
    coverage::Tally pooled;
    double worst = 2;
    double worst_t = NAN;
    double errors = 0, variances = 0;  // error/scatter: root-mean-square over times of each
    for (std::size_t g = 0; g < by_time.size(); ++g) {
      const coverage::Tally& t = by_time[g];
      pooled.covered += t.covered;
      pooled.checked += t.checked;
      pooled.flagged += t.flagged;
      pooled.sum_z += t.sum_z;
      pooled.z_count += t.z_count;
      if (t.checked >= 2) {
        const double mean = t.sum_value / t.checked, error = t.sum_error / t.checked;
        errors += error * error;
        variances += std::max(0.0, (t.sum_value2 - t.checked * mean * mean) / (t.checked - 1));
      }
      if (t.checked > 0 && t.coverage() < worst) {
        worst = t.coverage();
        worst_t = by_time.size() > 1 ? c.grid.time(static_cast<int>(g)) : NAN;
      }
    }
    if (pooled.checked + pooled.flagged == 0) continue;  // exact value undefined throughout
    const double flagged = double(pooled.flagged) / (pooled.checked + pooled.flagged);
    const std::string mark = pooled.coverage() < 0.92 || worst < 0.8 ? " **" : "";
    fmt::print("| {}{} | {:.3f} | {} | {} | {:.3f} | {:+.2f} | {} |\n", name, mark, pooled.coverage(),
               worst <= 1 ? fmt::format("{:.2f}", worst) : "-",
               std::isnan(worst_t) ? "-" : fmt::format("{:g}", worst_t), flagged,
               pooled.z_count ? pooled.sum_z / pooled.z_count : 0.0,
               variances > 0 ? fmt::format("{:.3f}", std::sqrt(errors / variances)) : "-");
  }
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  const Args args = parse(argc, argv);
  for (const coverage::PanelCase& c : coverage::panel()) {
    // --case: a substring of the case name, or the whole name followed by '$'.
    if (!args.only.empty() && args.only.back() == '$' ? c.name + "$" != args.only
                                                      : c.name.find(args.only) == std::string::npos)
      continue;
    const coverage::Reference exact = coverage::reference(c);
    coverage::CaseTally tally;
    EnsembleOptions options = coverage::run_options(c, std::lround(c.trajectories * args.scale));
    options.threads = args.threads;
    for (int seed = 1; seed <= args.seeds; ++seed) {
      options.seed = 1000003ull * seed;  // far from the seeds the tests use
      coverage::score(run_ensemble(c.model, c.grid, options), exact, c.reference_accuracy, tally);
    }
    print_case(c, options.trajectories, args.seeds, tally);
  }
  return 0;
}
