#include "reference_data.hpp"

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace darkcharge::testing {

ReferenceCurve load_reference(const std::string& file_name) {
  std::ifstream in(std::string(DARKCHARGE_TEST_DATA) + "/" + file_name);
  if (!in) throw std::runtime_error("missing reference file " + file_name);
  std::string line;
  std::vector<std::string> names;
  ReferenceCurve curve;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::stringstream row(line);
    std::string cell;
    if (names.empty()) {
      while (std::getline(row, cell, ',')) names.push_back(cell);
      continue;
    }
    for (std::size_t i = 0; std::getline(row, cell, ','); ++i) {
      const double x = std::stod(cell);
      if (i == 0) curve.time.push_back(x);
      else curve.column[names[i]].push_back(x);
    }
  }
  return curve;
}

}  // namespace darkcharge::testing
