#pragma once
// Loads the exact reference curves of tests/data (see tests/data/README.md).
#include <map>
#include <string>
#include <vector>

namespace darkcharge::testing {

struct ReferenceCurve {
  std::vector<double> time;
  std::map<std::string, std::vector<double>> column;
};

ReferenceCurve load_reference(const std::string& file_name);

}  // namespace darkcharge::testing
