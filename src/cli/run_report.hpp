#pragma once
// The few lines `simulate` and `exact` print on standard error when they have written their
// CSV to a file: what was run, the headline numbers with their units and errors, and where
// the files are. A newcomer reads this instead of the CSV's last rows; scripts pass --quiet.
#include <string>
#include <vector>

#include "cli_options.hpp"
#include "darkcharge/ensemble/ensemble.hpp"
#include "darkcharge/estimate/time_series.hpp"

namespace darkcharge::cli {

/// The report's lines (without a trailing newline): the model and method, the last-time
/// value of E_B, W_B, dark and E_C (those present) with errors, P_B^max and its time, and
/// the files written. Units follow docs/physics.md: energies per spin in hbar*omega, time in
/// the unit of 1/gamma, power per spin in hbar*omega per unit time.
std::vector<std::string> run_report(const Options& o, const EnsembleResult& result,
                                    const TimeSeries& series);

}  // namespace darkcharge::cli
