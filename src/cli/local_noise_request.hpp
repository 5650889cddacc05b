#pragma once
// What the command line runs with local (single-spin) noise: `exact` (the reduced Dicke-basis
// solver), `steady`, and `simulate` (local-noise trajectories) for the columns they compute.
#include <string>
#include <vector>

#include "cli_options.hpp"

namespace darkcharge::cli {

/// Throws InvalidArgument naming the option or column a local-noise run cannot honour;
/// fills `simulate`'s default columns.
void check_local_noise_request(Options& o);

}  // namespace darkcharge::cli
