#include "cli_options.hpp"

#include <cmath>

#include <fmt/format.h>

#include "darkcharge/observable_registry.hpp"
#include "mpi_run.hpp"

namespace darkcharge::cli {
namespace {

// Validators return an error text (CLI11 prefixes the option name) or "" when fine.
const CLI::Validator kFiniteNonNegative(
    [](std::string& s) -> std::string {
      double x = 0;
      if (!CLI::detail::lexical_cast(s, x) || !std::isfinite(x) || x < 0)
        return "must be a finite number >= 0, got '" + s + "'";
      return "";
    },
    "FINITE>=0");

const CLI::Validator kFinitePositive(
    [](std::string& s) -> std::string {
      double x = 0;
      if (!CLI::detail::lexical_cast(s, x) || !std::isfinite(x) || x <= 0)
        return "must be a finite number > 0, got '" + s + "'";
      return "";
    },
    "FINITE>0");

CLI::Validator integer_at_least(long long minimum) {
  return CLI::Validator(
      [minimum](std::string& s) -> std::string {
        long long x = 0;
        if (!CLI::detail::lexical_cast(s, x) || x < minimum)
          return "must be an integer >= " + std::to_string(minimum) + ", got '" + s + "'";
        return "";
      },
      "INT>=" + std::to_string(minimum));
}

void add_physics_options(CLI::App& app, Options& o, bool single_temperature) {
  app.add_option("--nb", o.model.n_battery, "Battery spins N_B")
      ->check(integer_at_least(1))->capture_default_str();
  app.add_option("--nc", o.model.n_charger, "Charger spins N_C (R = N_C / N_B)")
      ->check(integer_at_least(1))->capture_default_str();
  if (single_temperature) {
    auto* nbar = app.add_option("--nbar", o.model.nbar,
                                "Reservoir occupation nbar at omega (0 = zero temperature)")
                     ->check(kFiniteNonNegative)->capture_default_str();
    auto* temperature = app.add_option(
        "--temperature", o.temperature,
        "Reservoir temperature T in units of hbar*omega/k_B; sets nbar = 1/(exp(omega/T)-1)")
        ->check(kFiniteNonNegative);
    nbar->excludes(temperature);
  } else {
    auto* t = app.add_option("--temperatures", o.temperatures,
                             "Comma-separated temperatures T (units hbar*omega/k_B), one row each")
                  ->delimiter(',')->check(kFiniteNonNegative);
    auto* n = app.add_option("--nbar-values", o.nbar_values,
                             "Comma-separated reservoir occupations nbar, one row each")
                  ->delimiter(',')->check(kFiniteNonNegative);
    t->excludes(n);
  }
  app.add_option("--battery-init", o.battery_init,
                 "Battery start: 'ground' (all spins down, the paper's appendix) or "
                 "'thermal' (each spin in equilibrium with the reservoir, all j_B sectors)")
      ->check(CLI::IsMember({"ground", "thermal"}))->capture_default_str();
  app.add_option("--gamma", o.model.gamma, "Reservoir coupling gamma (a rate, in 1/(the time unit of t))")
      ->check(kFinitePositive)->capture_default_str();
  app.add_option("--omega", o.model.omega, "Spin splitting omega (energy unit)")
      ->check(kFinitePositive)->capture_default_str();
}

void add_model_options(CLI::App& app, Options& o) {
  add_physics_options(app, o, true);
  app.add_option("--t-max", o.grid.t_max, "Last output time (absolute: --gamma 2 at t equals --gamma 1 at 2t)")
      ->check(kFinitePositive)->capture_default_str();
  app.add_option("--points", o.grid.points, "Number of equally spaced output times in [0, t-max]")
      ->check(integer_at_least(2))->capture_default_str();
  app.add_option("--output,-o", o.output, "CSV file to write (default: standard output)");
  app.add_option("--summary", o.summary, "JSON summary file (parameters, timing, final values)");
  const bool exact = app.get_name() == "exact";
  app.add_option("--observables", o.observables,
                 "Comma-separated subset of columns (default: all). W_B, W_B_sym, S_B and "
                 "dS_B_dt need the averaged density matrix; leaving them out is faster")
      ->delimiter(',')->check(CLI::IsMember(observable_names(exact)));
  app.add_flag("--quiet,-q", o.quiet, "No progress indicator on standard error");
}

void add_simulate_outputs(CLI::App& app, Options& o) {
  app.add_option("--state-times", o.state_times,
                 "Times at which to write the trajectory-averaged state (nearest grid time)")
      ->delimiter(',')->check(kFiniteNonNegative);
  app.add_option("--state-output", o.state_output,
                 "CSV of the battery's reduced state at --state-times: t,j_B,m_B,population "
                 "(rho_B is diagonal in m_B; populations summed over each sector's copies)");
  app.add_option("--joint-state-output", o.joint_state_output,
                 "CSV of the joint charger-battery state at --state-times (small systems): "
                 "t,j_B,M,m_B,m_B_prime,value = <M-m_B, m_B|rho|M-m_B', m_B'>");
  app.add_option("--sectors-output", o.sectors_output,
                 "CSV of the population of each total-J sector over time (conserved)");
  app.add_option("--counts-output", o.counts_output,
                 "CSV of P(n, t), the distribution of the number n of emitted quanta, at "
                 "--state-times: t,n,P,P_err");
  app.add_option("--jumps-output", o.jumps_output,
                 "CSV of the jump records of the first --record-trajectories trajectories: "
                 "trajectory,t,channel,M (channel em = J^-, abs = J^+; M after the jump)");
  app.add_option("--record-trajectories", o.ensemble.record_trajectories,
                 "How many trajectories' jumps --jumps-output records")
      ->check(integer_at_least(1));
}

void add_run_control(CLI::App& app, Options& o) {
  app.add_option("--checkpoint", o.checkpoint,
                 "Save finished work units to FILE (atomically, every --checkpoint-every seconds "
                 "and when interrupted or out of time); continue with 'darkcharge resume FILE'. "
                 "Removed when the run completes");
  app.add_option("--checkpoint-every", o.checkpoint_every,
                 "Seconds between checkpoint writes (0: after every work unit)")
      ->check(kFiniteNonNegative)->capture_default_str();
  app.add_option("--target-error", o.target_error,
                 "COLUMN=X[,COLUMN=X...]: stop once every named column's largest error over the "
                 "grid is <= X (--trajectories is then the upper bound); decided after each "
                 "round of 32 work units, so the stopping point does not depend on threads")
      ->delimiter(',');
  app.add_option("--time-limit", o.time_limit,
                 "Start no work unit after this many seconds; write what was done (with "
                 "--checkpoint, the rest can be resumed)")
      ->check(kFinitePositive);
}

}  // namespace

const std::vector<std::string>& all_observables() {
  static const std::vector<std::string> names = observable_names();
  return names;
}

/// The column list of --help, from the registry.
std::string columns_help() {
  std::string out = "Columns (each followed by <name>_err):\n";
  for (const auto& info : observable_registry())
    out += fmt::format("  {:<8} {} [{}{}{}]\n", info.name, info.help, info.error_method,
                       info.exact ? "" : "; simulate only",
                       info.in_default ? "" : "; only with --observables");
  return out;
}

std::unique_ptr<CLI::App> make_app(Options& o) {
  auto app = std::make_unique<CLI::App>(
      "darkcharge: quantum-jump Monte Carlo for the dark-state quantum battery of\n"
      "Quach & Munro, Phys. Rev. Applied 14, 024092 (2020). A charger of N_C excited spins\n"
      "and a battery of N_B spins share a thermal reservoir; collective J^- and J^+ jumps\n"
      "move energy into the battery and trap it in dark states. Units: hbar = 1; t, 1/gamma\n"
      "and 1/omega share the user's time unit; energies per spin in omega; power P_B in\n"
      "omega per unit time. Output: CSV with columns t, then each observable and its\n"
      "error. Errors: standard errors for linear columns; W_B, W_B_sym, S_B corrected for\n"
      "their n^-1/2 bias (half-sample extrapolation), other nonlinear columns jackknife\n"
      "bias-corrected, all with delete-one-block jackknife errors; quantities >= 0 clamped\n"
      "at 0. Errors of linear columns (and of S_B at nbar = 0) are at least a bound for\n"
      "events too rare to be sampled. Caveats per column in the CSV header.\n\n" +
      columns_help() + "\n"
      "Examples:\n"
      "  darkcharge simulate                                  # Fig. 2a case, N_B=2, N_C=10\n"
      "  darkcharge simulate --nb 10 --nc 50 --trajectories 20000 -o run.csv --summary run.json\n"
      "  darkcharge exact --nb 1 --nc 5 --t-max 2 --points 201\n",
      "darkcharge");
  app->set_version_flag("--version", std::string("darkcharge ") + DARKCHARGE_VERSION + " (" +
                                         mpi_description() + ")");
  app->require_subcommand(1);
  app->fallthrough(false);

  auto* simulate = app->add_subcommand(
      "simulate", "Quantum-jump trajectories (any size), averaged with standard errors");
  add_model_options(*simulate, o);
  simulate->add_option("--trajectories,-n", o.ensemble.trajectories, "Number of trajectories")
      ->check(integer_at_least(1))->capture_default_str();
  simulate->add_option("--seed", o.ensemble.seed,
                       "Master seed; trajectory k draws from (seed, k) only")
      ->capture_default_str();
  simulate->add_option("--threads", o.ensemble.threads,
                       "OpenMP threads (default: all cores); results do not depend on it")
      ->check(integer_at_least(1));
  add_simulate_outputs(*simulate, o);
  add_run_control(*simulate, o);
  simulate->callback([&o] { o.command = "simulate"; });

  auto* resume = app->add_subcommand(
      "resume",
      "Continue a `simulate --checkpoint FILE` run that was stopped (signal, kill, time limit):\n"
      "runs only the work units the checkpoint lacks; the data rows equal an uninterrupted\n"
      "run's for any thread counts before and after");
  resume->add_option("checkpoint", o.resume_file, "Checkpoint file written by --checkpoint")
      ->required();
  resume->add_option("--output,-o", o.output, "CSV file to write (default: the original run's)");
  resume->add_option("--summary", o.summary, "JSON summary file (default: the original run's)");
  resume->add_option("--threads", o.ensemble.threads, "OpenMP threads (any; same results)")
      ->check(integer_at_least(1));
  resume->add_option("--time-limit", o.resume_time_limit,
                     "Replace the run's --time-limit (0: none)")
      ->check(kFiniteNonNegative);
  resume->add_flag("--quiet,-q", o.quiet, "No progress indicator on standard error");
  resume->callback([&o] { o.command = "resume"; });

  auto* exact = app->add_subcommand(
      "exact", "Exact density-matrix evolution (small systems), same columns, errors 0");
  add_model_options(*exact, o);
  exact->add_option("--max-dimension", o.max_dimension,
                    "Refuse product-basis dimensions (N_C+1)(N_B+1) above this (memory ~ 16 d^2 "
                    "bytes per stored matrix, time ~ d^3)")
      ->check(integer_at_least(1))->capture_default_str();
  exact->callback([&o] { o.command = "exact"; });

  auto* steady = app->add_subcommand(
      "steady",
      "Exact steady state in closed form (any size): one row per temperature, with\n"
      "E_B, E_C, W_open, dark, W_B, W_B_sym, S_B and dE_B/dT (paper Sec. VI, Fig. 6)");
  add_physics_options(*steady, o, false);
  steady->add_option("--output,-o", o.output, "CSV file to write (default: standard output)");
  steady->add_option("--observables", o.observables,
                     "Comma-separated subset; without W_B, W_B_sym or S_B only the energies, "
                     "dark and dE_B_dT are computed (cheap at any size; the others are nan)")
      ->delimiter(',')->check(CLI::IsMember(observable_names(true)));
  steady->callback([&o] { o.command = "steady"; });
  return app;
}

void finalize(Options& o) {
  if (o.temperature) o.model.nbar = nbar_from_temperature(*o.temperature, o.model.omega);
  o.model.battery_init = parse_battery_init(o.battery_init);
}

}  // namespace darkcharge::cli
