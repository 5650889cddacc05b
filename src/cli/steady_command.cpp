// `darkcharge steady`: the steady state of Eq. 2 at each requested temperature, one CSV row
// per temperature, with the nonlinear columns left out (with a note) beyond the size limit
// of their Clebsch-Gordan tables.
#include <algorithm>
#include <chrono>
#include <sstream>

#include <fmt/format.h>

#include "commands.hpp"
#include "darkcharge/ensemble/column_selection.hpp"
#include "darkcharge/core/errors.hpp"
#include "darkcharge/ensemble/steady_table.hpp"
#include "file_header.hpp"
#include "output_files.hpp"
#include "resource_estimate.hpp"
#include "run_outputs.hpp"

namespace darkcharge::cli {

/// One row per temperature: T, nbar, then each steady-state value and its (zero) error.
int run_steady(Options& o) {
  // W_B, W_B_sym, S_B need Clebsch-Gordan tables; beyond the limit they are left out with a
  // note instead of failing (the energies and dark stay cheap at any size).
  std::ostringstream csv;
  nlohmann::ordered_json j;
  OutputSet outputs;  // paths checked now, written together at commit()
  outputs.add("--output", o.output.empty() ? "-" : o.output,
              [&csv](std::ostream& file) { file << csv.str(); });
  if (!o.summary.empty())
    outputs.add("--summary", o.summary, [&j](std::ostream& file) { file << j.dump(2) << '\n'; });
  std::vector<std::string> requested = o.observables, notes;
  if (!steady_nonlinear_computed(o) && wants(o.observables, {"W_B", "W_B_sym", "S_B"})) {
    notes.push_back(fmt::format("W_B, W_B_sym, S_B left out: their Clebsch-Gordan tables "
                                "({:.3g} doubles) exceed the limit at this size",
                                clebsch_gordan_table_doubles(steady_worst_model(o))));
    if (requested.empty()) requested = steady_columns();
    requested.erase(std::remove_if(requested.begin(), requested.end(),
                                   [](const std::string& c) {
                                     return c == "W_B" || c == "W_B_sym" || c == "S_B";
                                   }),
                    requested.end());
    if (requested.empty()) throw InvalidArgument(notes.back());
    if (!o.quiet) fmt::print(stderr, "darkcharge: note: {}\n", notes.back());
  }
  const auto start = std::chrono::steady_clock::now();
  const SteadyTable table = steady_table(o.model, o.temperatures, o.nbar_values, requested);
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  TimeSeries computed;  // nan_notes() reads columns; steady rows are temperatures
  computed.columns = table.columns;
  for (const auto& note : nan_notes(computed)) {
    notes.push_back(note);
    if (!o.quiet) fmt::print(stderr, "darkcharge: note: {}\n", note);
  }
  for (const auto& line : file_header(o, 1, error_methods_line(table.columns), notes))
    csv << "# " << line << '\n';
  csv << "T,nbar";
  for (const auto& c : table.columns) csv << ',' << c.name << ',' << c.name << "_err";
  csv << '\n';
  for (std::size_t row = 0; row < table.nbar.size(); ++row) {
    csv << fmt::format("{:.10g},{:.10g}", table.temperature[row], table.nbar[row]);
    for (const auto& c : table.columns) csv << fmt::format(",{:.10g},0", c.value[row]);
    csv << '\n';
  }
  j = json_header(o, 1, table.columns);
  j["wall_time_seconds"] = wall;
  j["T"] = table.temperature;
  j["nbar"] = table.nbar;
  nlohmann::ordered_json rows = nlohmann::ordered_json::object();
  for (const auto& c : table.columns) rows[c.name] = c.value;
  j["values"] = rows;
  outputs.commit();
  return 0;
}

}  // namespace darkcharge::cli
