#pragma once
// The command line's view of the library's resource estimates (ensemble/resource_estimate):
// the parsed options as a RunRequest whose refusals name the command-line options.
#include "cli_options.hpp"
#include "darkcharge/ensemble/resource_estimate.hpp"

namespace darkcharge::cli {

/// The request `o` describes (after finalize(); for simulate after planning accumulators).
RunRequest run_request(const Options& o);

inline ResourceEstimate check_resources(const Options& o, const EnsemblePlan* plan = nullptr) {
  return darkcharge::check_resources(run_request(o), plan);
}
inline void check_rate_scale(const Options& o) { darkcharge::check_rate_scale(run_request(o)); }
inline Model steady_worst_model(const Options& o) {
  return darkcharge::steady_worst_model(run_request(o));
}
inline bool steady_nonlinear_computed(const Options& o) {
  return darkcharge::steady_nonlinear_computed(run_request(o));
}
inline double checkpoint_max_bytes(const Options& o) {
  return darkcharge::checkpoint_max_bytes(run_request(o));
}

}  // namespace darkcharge::cli
