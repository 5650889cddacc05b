#include "cli_options.hpp"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <regex>
#include <sstream>

#include <fmt/format.h>

#include "darkcharge/ensemble/column_selection.hpp"
#include "darkcharge/exact/reduced_dicke_solver.hpp"
#include "darkcharge/observables/registry.hpp"
#include "darkcharge/physics/time_scale.hpp"
#include "local_noise_request.hpp"
#include "mpi_run.hpp"

namespace darkcharge::cli {
namespace {

// Validators return an error text (CLI11 prefixes the option name) or "" when fine.
//
// Numbers are read strictly in decimal: CLI11's own conversion uses strtoll(..., 0), which
// reads "010" as octal 8 and "0x10" as hex, and strtoull, which turns "-1" into 2^64 - 1.
// Here an integer is an optional sign and decimal digits only; leading zeros are decimal
// ("010" is 10); overflow is refused. The validator then rewrites the text to canonical
// decimal, so CLI11's conversion that follows sees plain digits.

/// Parses [+-]digits; false if malformed. `overflow` is set when |value| > 2^64 - 1.
bool parse_decimal(const std::string& s, bool& negative, unsigned long long& magnitude,
                   bool& overflow) {
  std::size_t i = 0;
  negative = false;
  overflow = false;
  magnitude = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) negative = s[i++] == '-';
  if (i == s.size()) return false;
  for (; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    const unsigned digit = static_cast<unsigned>(s[i] - '0');
    if (magnitude > (std::numeric_limits<unsigned long long>::max() - digit) / 10) overflow = true;
    else magnitude = magnitude * 10 + digit;
  }
  return true;
}

/// Integers in [minimum, maximum]; `why_maximum` says where the upper bound comes from.
CLI::Validator decimal_integer(unsigned long long minimum, unsigned long long maximum,
                               const std::string& why_maximum = "") {
  const std::string range = fmt::format("an integer in [{}, {}]", minimum, maximum);
  const std::string suffix = why_maximum.empty() ? "" : " (" + why_maximum + ")";
  return CLI::Validator(
      [=](std::string& s) -> std::string {
        bool negative = false, overflow = false;
        unsigned long long magnitude = 0;
        if (!parse_decimal(s, negative, magnitude, overflow))
          return fmt::format("must be {} written in decimal digits, got '{}'", range, s);
        if ((negative && magnitude > 0) || (!overflow && magnitude < minimum))
          return fmt::format("must be {}, got '{}'", range, s);
        if (overflow || magnitude > maximum)
          return fmt::format("must be {}, got '{}'{}", range, s, suffix);
        s = std::to_string(magnitude);
        return "";
      },
      fmt::format("INT in [{}, {}]", minimum, maximum));
}

/// A decimal floating-point number: [+-]digits[.digits][e[+-]digits]; no hex floats, no
/// inf/nan, nothing that overflows to infinity.
bool parse_decimal_double(const std::string& s, double& x) {
  static const std::regex pattern(R"([+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?)");
  if (!std::regex_match(s, pattern)) return false;
  errno = 0;
  x = std::strtod(s.c_str(), nullptr);
  return std::isfinite(x);  // underflow to 0 or a subnormal is accepted
}

CLI::Validator finite_number(bool positive) {
  const char* bound = positive ? "> 0" : ">= 0";
  return CLI::Validator(
      [=](std::string& s) -> std::string {
        double x = 0;
        if (!parse_decimal_double(s, x) || (positive ? !(x > 0) : !(x >= 0)))
          return fmt::format("must be a finite decimal number {}, got '{}'", bound, s);
        return "";
      },
      positive ? "FINITE>0" : "FINITE>=0");
}

const CLI::Validator kFiniteNonNegative = finite_number(false);
const CLI::Validator kFinitePositive = finite_number(true);

const CLI::Validator kFileName(
    [](std::string& s) -> std::string { return s.empty() ? "file name must not be empty" : ""; },
    "FILE");

const std::string kSpinsBound =
    fmt::format("at most {}: larger sizes overflow index arithmetic and no run is feasible",
                kMaxSpins);

/// Single-spin noise (physics.md, "Local (single-spin) noise"): rates per unit time of
/// sum_i (g_down/2) L[s_i^-] + (g_up/2) L[s_i^+] + (g_phi/4) L[s_i^z] on each ensemble.
void add_local_noise_options(CLI::App& app, Options& o) {
  const char* group = "Local (single-spin) noise";
  app.add_option("--local-decay", o.local_decay,
                 "Single-spin decay rate g_down (T1 = 1/g_down) on every spin of both ensembles")
      ->check(kFiniteNonNegative)->group(group);
  app.add_option("--local-pumping", o.local_pumping,
                 "Single-spin incoherent pumping rate g_up on every spin of both ensembles")
      ->check(kFiniteNonNegative)->group(group);
  app.add_option("--local-dephasing", o.local_dephasing,
                 "Single-spin dephasing rate g_phi (T2 = 1/g_phi alone) on every spin of both "
                 "ensembles")
      ->check(kFiniteNonNegative)->group(group);
  const struct {
    const char* name;
    const char* help;
    double* rate;
  } per_ensemble[] = {
      {"--charger-decay", "g_down of the charger spins (overrides --local-decay)", &o.model.local.charger.decay},
      {"--charger-pumping", "g_up of the charger spins (overrides --local-pumping)", &o.model.local.charger.pumping},
      {"--charger-dephasing", "g_phi of the charger spins (overrides --local-dephasing)", &o.model.local.charger.dephasing},
      {"--battery-decay", "g_down of the battery spins (overrides --local-decay)", &o.model.local.battery.decay},
      {"--battery-pumping", "g_up of the battery spins (overrides --local-pumping)", &o.model.local.battery.pumping},
      {"--battery-dephasing", "g_phi of the battery spins (overrides --local-dephasing)", &o.model.local.battery.dephasing},
  };
  for (const auto& r : per_ensemble)
    app.add_option(r.name, *r.rate, r.help)->check(kFiniteNonNegative)->group(group);
}

/// The shared --local-* rates fill every per-ensemble rate not given on its own (the
/// library's rule, resolve_local_noise).
void apply_local_noise(const CLI::App& app, Options& o) {
  const auto given = [&app](const char* name, double rate) {
    return app.count(name) > 0 ? std::optional<double>(rate) : std::nullopt;
  };
  const LocalRates& c = o.model.local.charger;
  const LocalRates& b = o.model.local.battery;
  o.model.local = resolve_local_noise(
      {o.local_decay, o.local_pumping, o.local_dephasing},
      {given("--charger-decay", c.decay), given("--charger-pumping", c.pumping),
       given("--charger-dephasing", c.dephasing)},
      {given("--battery-decay", b.decay), given("--battery-pumping", b.pumping),
       given("--battery-dephasing", b.dephasing)});
}

void add_physics_options(CLI::App& app, Options& o, bool single_temperature) {
  app.add_option("--nb", o.model.n_battery, "Battery spins N_B")
      ->transform(decimal_integer(1, kMaxSpins, kSpinsBound))->capture_default_str();
  app.add_option("--nc", o.model.n_charger, "Charger spins N_C (R = N_C / N_B)")
      ->transform(decimal_integer(1, kMaxSpins, kSpinsBound))->capture_default_str();
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
    // One name per quantity in every subcommand; steady takes a list (one row per value).
    // The plural spellings are kept as aliases for scripts written against 0.1.
    auto* t = app.add_option("--temperature,--temperatures", o.temperatures,
                             "Comma-separated reservoir temperatures T (units hbar*omega/k_B), "
                             "one row each")
                  ->delimiter(',')->check(kFiniteNonNegative);
    auto* n = app.add_option("--nbar,--nbar-values", o.nbar_values,
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
  add_local_noise_options(app, o);
}

/// Limits on the estimated cost of a run (resource_estimate.hpp), checked before it starts.
void add_limit_options(CLI::App& app, Options& o) {
  app.add_option("--max-memory", o.max_memory_gib,
                 "Refuse runs whose estimated memory exceeds this many GiB (default: the "
                 "machine's physical memory)")
      ->check(kFinitePositive);
  app.add_option("--max-cpu-hours", o.max_cpu_hours,
                 "Refuse runs whose estimated CPU time (core-hours, summed over threads; a "
                 "rough estimate) exceeds this")
      ->check(kFinitePositive)->capture_default_str();
}

void add_model_options(CLI::App& app, Options& o) {
  add_physics_options(app, o, true);
  CLI::Option* t_max = app.add_option("--t-max", o.t_max,
                 "Last output time (absolute: --gamma 2 at t equals --gamma 1 at 2t). Default: "
                 "10 ln(N) / (gamma (nbar + 1) N), N = N_C + N_B, rounded down to one digit: "
                 "the superradiant burst and the dark plateau (2 for N_B = 2, N_C = 10)")
      ->check(kFinitePositive);
  CLI::Option* points =
      app.add_option("--points", o.grid.points, "Number of equally spaced output times in [0, t-max]")
          ->transform(decimal_integer(2, kMaxPoints, "larger grids exceed int indices"))
          ->capture_default_str();
  app.add_option("--times", o.times,
                 "Explicit output times instead of --t-max/--points: comma-separated, ascending, "
                 "from 0 (e.g. fine in the burst, coarse over a long storage: "
                 "0,0.01,0.02,0.05,0.1,1,10)")
      ->delimiter(',')->check(kFiniteNonNegative)->excludes(t_max)->excludes(points);
  app.add_option("--protocol", o.protocol_file,
                 "JSON file: a list of segments run one after the other, e.g. "
                 "[{\"duration\": 4}, {\"duration\": 0.05, \"battery_dephasing\": 100}, "
                 "{\"duration\": 10, \"reservoir\": \"battery\"}]. Keys: duration (required), "
                 "reservoir (both|battery|charger|none), nbar or temperature, gamma, local_decay, "
                 "local_pumping, local_dephasing, charger_decay, ..., battery_dephasing; a key "
                 "left out takes this command line's value. The total duration is t_max "
                 "(--t-max is refused); the boundaries are added to the output times (--points "
                 "over [0, total] or --times). exact runs it with the reduced Dicke-basis "
                 "solver, simulate with local-noise trajectories (--sampling auto: that solver "
                 "when cheap; see docs/cli.md)")
      ->excludes(t_max);
  app.add_option("--output,-o", o.output,
                 "CSV file to write ('-' or default: standard output; a device or FIFO is "
                 "written to, a regular file replaced atomically)")
      ->check(kFileName);
  app.add_option("--summary", o.summary, "JSON summary file (parameters, timing, final values)")
      ->check(kFileName);
  const bool exact = app.get_name() == "exact";
  app.add_option("--observables", o.observables,
                 "Comma-separated subset of columns (default: all). W_B, W_B_sym, S_B and "
                 "dS_B_dt need the averaged density matrix; leaving them out is faster")
      ->delimiter(',')->check(CLI::IsMember(observable_names(exact)));
  app.add_flag("--quiet,-q", o.quiet,
               "No progress indicator, and no report of the results on standard error");
  add_limit_options(app, o);
}

/// The averaged state at chosen times (simulate: the trajectory average or the cascade's
/// exact state; exact: the solver's density matrix).
void add_state_outputs(CLI::App& app, Options& o) {
  app.add_option("--state-times", o.state_times,
                 app.get_name() == "exact"
                     ? "Times at which to write the exact state (nearest grid time)"
                     : "Times at which to write the trajectory-averaged state (nearest grid time)")
      ->delimiter(',')->check(kFiniteNonNegative);
  app.add_option("--state-output", o.state_output,
                 "CSV of the battery's reduced state at --state-times: t,j_B,m_B,population "
                 "(rho_B is diagonal in m_B; populations summed over each sector's copies)")
      ->check(kFileName);
  app.add_option("--joint-state-output", o.joint_state_output,
                 "CSV of the joint charger-battery state at --state-times (small systems): "
                 "t,j_B,M,m_B,m_B_prime,value = <M-m_B, m_B|rho|M-m_B', m_B'>")
      ->check(kFileName);
}

void add_simulate_outputs(CLI::App& app, Options& o) {
  add_state_outputs(app, o);
  app.add_option("--sectors-output", o.sectors_output,
                 "CSV of the population of each total-J sector over time (conserved)")
      ->check(kFileName);
  app.add_option("--counts-output", o.counts_output,
                 "CSV of P(n, t), the distribution of the number n of emitted quanta, at "
                 "--state-times: t,n,P,P_err")
      ->check(kFileName);
  app.add_option("--jumps-output", o.jumps_output,
                 "CSV of the jump records of the first --record-trajectories trajectories: "
                 "trajectory,t,channel,M (channel em = J^-, abs = J^+; M after the jump)")
      ->check(kFileName);
  app.add_option("--record-trajectories", o.ensemble.record_trajectories,
                 "How many trajectories' jumps --jumps-output records")
      ->transform(decimal_integer(1, kMaxTrajectories));
}

void add_run_control(CLI::App& app, Options& o) {
  app.add_option("--checkpoint", o.checkpoint,
                 "Save finished work units to FILE (atomically, every --checkpoint-every seconds "
                 "and when interrupted or out of time); continue with 'darkcharge resume FILE'. "
                 "Removed when the run completes")
      ->check(kFileName);
  app.add_option("--checkpoint-every", o.checkpoint_every,
                 "Seconds between checkpoint writes (0: after every work unit)")
      ->check(kFiniteNonNegative)->capture_default_str();
  app.add_option("--target-error", o.target_error,
                 "COLUMN=X[,COLUMN=X...]: stop once every named column's largest error over the "
                 "grid is <= X (--trajectories is then the upper bound); decided after each "
                 "round of 32 work units, so the stopping point does not depend on threads")
      ->delimiter(',');
  app.add_option("--time-limit", o.time_limit,
                 "The whole run's limit, counted from its start (collective and local-noise "
                 "trajectories alike): start no work unit after this many seconds, and end the "
                 "estimate after the trajectories then too (times it did not reach: NaN, with a "
                 "note); write what was done (with --checkpoint, the rest can be resumed)")
      ->check(kFinitePositive);
}

}  // namespace

const std::vector<std::string>& all_observables() { return time_series_columns(); }

/// The column list of --help, from the registry.
std::string columns_help() {
  std::string out = "Columns (each followed by <name>_err):\n";
  for (const auto& info : observable_registry())
    out += fmt::format("  {:<8} {} [{}{}{}]\n", info.name, info.help, info.error_method,
                       info.exact_product_only ? "; exact: --method product only"
                       : info.exact             ? ""
                                                : "; simulate only",
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
      "at 0. Errors of linear columns (and of S_B at nbar = 0, sigma_B and F_em) are at least\n"
      "a bound for events too rare to be sampled. Caveats per column in the CSV header. At nbar = 0\n"
      "simulate by default integrates the distribution of emitted quanta exactly instead of\n"
      "sampling it (--sampling): every column exact, errors 0.\n\n" +
      columns_help() + "\n"
      "Examples:\n"
      "  darkcharge simulate                                  # Fig. 2a case, N_B=2, N_C=10\n"
      "  darkcharge simulate --nb 10 --nc 50 --nbar 0.2 --trajectories 20000 -o run.csv --summary run.json\n"
      "  darkcharge simulate --nb 100 --nc 1000 --observables E_B,S_B     # T = 0: exact cascade\n"
      "  darkcharge exact --nb 1 --nc 5 --t-max 2 --points 201\n",
      "darkcharge");
  app->set_version_flag("--version", std::string("darkcharge ") + DARKCHARGE_VERSION + " (" +
                                         mpi_description() + ")");
  app->require_subcommand(1);
  app->fallthrough(false);

  auto* simulate = app->add_subcommand(
      "simulate",
      "Quantum-jump trajectories (any size), averaged with error bars; at nbar = 0 by\n"
      "default the exact cascade instead (no sampling error; --sampling)");
  add_model_options(*simulate, o);
  simulate->add_option("--trajectories,-n", o.ensemble.trajectories, "Number of trajectories")
      ->transform(decimal_integer(1, kMaxTrajectories, "trajectories x blocks must fit in 64 bits"))
      ->capture_default_str();
  simulate->add_option("--seed", o.ensemble.seed,
                       "Master seed (0 to 2^64-1); trajectory k draws from (seed, k) only")
      ->transform(decimal_integer(0, std::numeric_limits<std::uint64_t>::max()))
      ->capture_default_str();
  simulate->add_option("--threads", o.ensemble.threads,
                       "OpenMP threads (default: all cores); results do not depend on it")
      ->transform(decimal_integer(1, kMaxThreads, "OpenMP runtimes fail beyond a few thousand"));
  simulate->add_option("--sampling", o.sampling,
                       "auto: at nbar = 0 (T = 0) the exact cascade when its estimated cost "
                       "is under 120 single-core seconds, else trajectories; with local noise "
                       "likewise the exact reduced Dicke-basis solver (as `darkcharge exact`) "
                       "when the columns asked for are its own and it is estimated under 120 s, "
                       "else local-noise trajectories (a note says which and why). trajectories: "
                       "quantum jumps, averaged with error bars. cascade (nbar = 0 only): every "
                       "trajectory with k emissions holds the same state, so the distribution "
                       "of k is integrated instead of sampled -- every column, N_em, F_em and "
                       "--counts-output included, exact (errors 0); only --jumps-output draws "
                       "trajectories")
      ->check(CLI::IsMember({"auto", "trajectories", "cascade"}))->capture_default_str();
  add_simulate_outputs(*simulate, o);
  add_run_control(*simulate, o);
  simulate->callback([&o, simulate] {
    o.command = "simulate";
    apply_local_noise(*simulate, o);
  });

  auto* resume = app->add_subcommand(
      "resume",
      "Continue a `simulate --checkpoint FILE` run that was stopped (signal, kill, time limit):\n"
      "runs only the work units the checkpoint lacks; the data rows equal an uninterrupted\n"
      "run's for any thread counts before and after");
  resume->add_option("checkpoint", o.resume_file, "Checkpoint file written by --checkpoint")
      ->required();
  resume->add_option("--output,-o", o.output, "CSV file to write (default: the original run's)")
      ->check(kFileName);
  resume->add_option("--summary", o.summary, "JSON summary file (default: the original run's)")
      ->check(kFileName);
  resume->add_option("--threads", o.ensemble.threads, "OpenMP threads (any; same results)")
      ->transform(decimal_integer(1, kMaxThreads, "OpenMP runtimes fail beyond a few thousand"));
  resume->add_option("--time-limit", o.resume_time_limit,
                     "Replace the run's --time-limit (0: none)")
      ->check(kFiniteNonNegative);
  resume->add_flag("--quiet,-q", o.quiet,
                   "No progress indicator, and no report of the results on standard error");
  resume->callback([&o] { o.command = "resume"; });

  auto* exact = app->add_subcommand(
      "exact", "Exact density-matrix evolution, same columns, errors 0 (coupled basis: thousands of\n"
               "spins at nbar = 0, tens at nbar > 0; --method product: tens of spins)");
  add_model_options(*exact, o);
  exact->add_option("--method", o.exact_method,
                    "'coupled': block structure of the coupled basis |J M> (fast, thousands of "
                    "spins at nbar = 0); 'product': dense matrices in the product basis (small "
                    "systems; the independent cross-check)")
      ->check(CLI::IsMember({"coupled", "product"}))->capture_default_str();
  exact->add_option("--max-seconds", o.max_seconds,
                    "--method coupled: refuse runs whose estimated single-core time exceeds "
                    "this many seconds (the estimate is rough: order of magnitude)")
      ->check(kFinitePositive)->capture_default_str();
  exact->add_option("--max-dimension", o.max_dimension,
                    "--method product: refuse product-basis dimensions (N_C+1)(N_B+1) above "
                    "this (memory ~ 16 d^2 bytes per stored matrix, time ~ d^3; N_em, N_abs, "
                    "F_em: 4x the memory, ~5x the time)")
      ->transform(decimal_integer(1, kMaxExactDimension, "memory ~ 16 d^2 bytes per matrix"))
      ->capture_default_str();
  add_state_outputs(*exact, o);
  exact->callback([&o, exact] {
    o.command = "exact";
    apply_local_noise(*exact, o);
  });

  auto* steady = app->add_subcommand(
      "steady",
      "Exact steady state in closed form (any size): one row per temperature, with\n"
      "E_B, E_C, W_open, dark, W_B, W_B_sym, S_B and dE_B/dT (paper Sec. VI, Fig. 6)");
  add_physics_options(*steady, o, false);
  steady->add_option("--output,-o", o.output, "CSV file to write (default: standard output)")
      ->check(kFileName);
  steady->add_option("--summary", o.summary, "JSON summary file (parameters, timing, rows)")
      ->check(kFileName);
  steady->add_option("--observables", o.observables,
                     "Comma-separated subset of columns (default: all); without W_B, W_B_sym "
                     "or S_B only the energies, dark and dE_B_dT are computed (cheap at any "
                     "size; the others are nan)")
      ->delimiter(',')->check(CLI::IsMember(steady_columns()));
  steady->add_flag("--quiet,-q", o.quiet, "Accepted for symmetry (steady prints no progress)");
  add_limit_options(*steady, o);
  steady->callback([&o, steady] {
    o.command = "steady";
    apply_local_noise(*steady, o);
  });
  return app;
}

namespace {

/// --protocol: the file parsed on top of the command line's model (physics/protocol.hpp),
/// its output grid, and what runs it. One segment with the shared reservoir is a plain
/// model, which every engine runs; anything else runs with exact's reduced Dicke solver.
void apply_protocol(Options& o) {
  std::ifstream in(o.protocol_file, std::ios::binary);
  std::ostringstream text;
  if (in) text << in.rdbuf();
  if (!in || in.bad())
    throw InvalidArgument(fmt::format("--protocol: cannot read the protocol file '{}'", o.protocol_file));
  o.protocol = parse_protocol(text.str(), o.model, fmt::format("--protocol file '{}'", o.protocol_file));
  try {
    o.grid = o.times.empty() ? protocol_time_grid(*o.protocol, o.grid.points)
                             : protocol_time_grid(*o.protocol, o.times);
  } catch (const InvalidArgument& e) {
    throw InvalidArgument(fmt::format("--{} (with --protocol file '{}')", e.what(), o.protocol_file));
  }
  if (is_plain_model(*o.protocol)) {
    o.model = o.protocol->segments[0].model;
    return;
  }
  if (o.command == "simulate") return;  // finalize() checks the request as with local noise
  if (o.exact_method == "product")
    throw InvalidArgument(fmt::format(
        "--method product: the product-basis solver does not run protocols (--protocol file "
        "'{}'); leave --method at 'coupled' (a protocol runs the reduced Dicke-basis solver)",
        o.protocol_file));
  try {
    validate_reduced_dicke_columns(o.model, o.model.local, o.observables);
  } catch (const InvalidArgument& e) {
    throw InvalidArgument(fmt::format("--observables: {} (with --protocol)", e.what()));
  }
}

}  // namespace

bool runs_protocol(const Options& o) { return o.protocol && !is_plain_model(*o.protocol); }

void finalize(Options& o) {
  if (o.temperature) o.model.nbar = nbar_from_temperature(*o.temperature, o.model.omega);
  if (!o.protocol_file.empty()) {
    o.model.battery_init = parse_battery_init(o.battery_init);
    apply_protocol(o);
  } else if (!o.times.empty()) {
    o.grid = TimeGrid::at_times(o.times);
    try {
      validate(o.grid);
    } catch (const InvalidArgument& e) {
      throw InvalidArgument(fmt::format("--{}", e.what()));  // "--times: ..."
    }
  } else {
    o.grid.t_max = o.t_max ? *o.t_max : default_t_max(o.model);
  }
  if (o.protocol_file.empty() && o.times.empty() && !o.t_max &&
      !(std::isfinite(o.grid.t_max) && o.grid.t_max > 0))
    throw InvalidArgument(fmt::format(
        "--t-max: the default 10 ln(N) / (gamma (nbar + 1) N) is not a usable time at --gamma "
        "{} and nbar {} (from --nbar/--temperature); give --t-max or physical rates",
        o.model.gamma, o.model.nbar));
  o.model.battery_init = parse_battery_init(o.battery_init);
  o.ensemble.sampling = parse_sampling(o.sampling);
  if (o.max_memory_gib) o.ensemble.cascade_max_memory_gib = *o.max_memory_gib;
  if (runs_protocol(o)) {
    // exact: apply_protocol() checked the columns against the reduced Dicke solver's;
    // simulate runs the local-noise trajectories (or that solver when cheap).
    if (o.command == "simulate") check_local_noise_request(o);
  } else if (o.model.local.any()) check_local_noise_request(o);
  else if (o.command == "exact") check_exact_columns(o.observables, o.exact_method, "--observables");
  if (o.ensemble.sampling == Sampling::cascade && o.model.nbar != 0.0)
    throw InvalidArgument(fmt::format(
        "--sampling cascade needs nbar = 0 (T = 0); --nbar/--temperature give nbar = {:g}. "
        "Use --sampling trajectories (or auto)",
        o.model.nbar));
}

}  // namespace darkcharge::cli
