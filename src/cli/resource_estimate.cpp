#include "resource_estimate.hpp"

namespace darkcharge::cli {

RunRequest run_request(const Options& o) {
  RunRequest r;
  r.command = o.command;
  r.model = o.model;
  r.grid = o.grid;
  r.ensemble = o.ensemble;
  r.observables = o.observables;
  r.temperatures = o.temperatures;
  r.nbar_values = o.nbar_values;
  r.exact_method = o.exact_method;
  r.state_times = o.state_times;
  r.max_dimension = o.max_dimension;
  r.checkpoint = !o.checkpoint.empty();
  if (o.command == "simulate" && runs_protocol(o)) r.protocol_bytes = protocol_json(*o.protocol).size();
  r.max_memory_gib = o.max_memory_gib;
  r.max_cpu_hours = o.max_cpu_hours;
  r.names = OptionStyle::cli;
  return r;
}

}  // namespace darkcharge::cli
