#pragma once
/// @file steady_table.hpp
/// The closed-form steady state over a list of reservoir temperatures (or occupations):
/// one row per value, the columns of steady_columns() (or the requested subset), each
/// with error 0 and error method "exact". Used by `darkcharge steady` and Python's steady().
#include <string>
#include <vector>

#include "darkcharge/physics/model.hpp"
#include "darkcharge/estimate/time_series.hpp"

namespace darkcharge {

struct SteadyTable {
  std::vector<double> temperature;  ///< T of each row (units hbar omega / k_B)
  std::vector<double> nbar;         ///< nbar of each row
  std::vector<Column> columns;      ///< one value per row
};

/// Rows for every temperature, then every nbar; model.nbar alone if both lists are empty.
/// Throws InvalidArgument for an unknown column or an unphysical model.
SteadyTable steady_table(const Model& model, const std::vector<double>& temperatures,
                         const std::vector<double>& nbar_values,
                         const std::vector<std::string>& requested = {});

}  // namespace darkcharge
