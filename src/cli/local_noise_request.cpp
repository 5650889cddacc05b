#include "local_noise_request.hpp"

#include <algorithm>
#include <utility>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "darkcharge/core/errors.hpp"
#include "darkcharge/ensemble/column_selection.hpp"
#include "darkcharge/exact/reduced_dicke_solver.hpp"

namespace darkcharge::cli {

// What runs with local noise: `exact` (the reduced Dicke-basis solver), `steady`, and
// `simulate` (local-noise trajectories, or the exact solver when cheap) for
// local_noise_requestable_columns(), without side outputs.
void check_local_noise_request(Options& o) {
  if (o.command == "simulate") {
    const char* because = runs_protocol(o)
                              ? "--protocol: simulate (local-noise trajectories through the segments)"
                              : "--local-*/--charger-*/--battery-* rates > 0: simulate (local-noise trajectories)";
    const std::pair<const char*, bool> unsupported[] = {
        {"--state-output", !o.state_output.empty()},
        {"--joint-state-output", !o.joint_state_output.empty()},
        {"--sectors-output", !o.sectors_output.empty()},
        {"--counts-output", !o.counts_output.empty()},
        {"--jumps-output", !o.jumps_output.empty()},
    };
    for (const auto& [option, given] : unsupported)
      if (given)
        throw InvalidArgument(fmt::format("{} does not support {} yet", because, option));
    const auto& known = local_noise_requestable_columns();
    for (const std::string& name : o.observables)
      if (std::find(known.begin(), known.end(), name) == known.end())
        throw InvalidArgument(fmt::format(
            "--observables: {} is not computed by {} (it gives {})", name, because,
            fmt::join(known, ", ")));
    if (o.observables.empty()) o.observables = local_noise_simulate_columns();
    return;
  }
  if (o.command == "exact" && o.exact_method == "product")
    throw InvalidArgument(
        "--method product: the product-basis solver has no local noise; leave --method at "
        "'coupled' (with local rates it runs the reduced Dicke-basis solver)");
  if (o.command == "exact") validate_reduced_dicke_columns(o.model, o.model.local, o.observables);
}

}  // namespace darkcharge::cli
