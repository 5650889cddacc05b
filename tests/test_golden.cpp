// Outputs of existing columns stay byte-identical across refactors: re-runs the
// command lines of data/golden/commands.txt and compares, column by column, every data field
// of the golden files (written by the code before the observable registry). Headers and new
// columns may differ; the numbers of old columns may not.
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace {

std::vector<std::string> split(const std::string& line) {
  std::vector<std::string> out;
  std::stringstream ss(line);
  for (std::string field; std::getline(ss, field, ',');) out.push_back(field);
  return out;
}

/// A CSV as written by darkcharge: '#' metadata lines, one header line, data rows.
struct Table {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
};

Table read_table(const std::string& path) {
  std::ifstream in(path);
  Table t;
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    if (t.header.empty())
      t.header = split(line);
    else
      t.rows.push_back(split(line));
  }
  return t;
}

void replace_all(std::string& s, const std::string& from, const std::string& to) {
  for (std::size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size()))
    s.replace(p, from.size(), to);
}

/// Every golden column must be present in `now` with identical fields in every row.
void expect_same_columns(const std::string& golden_path, const std::string& now_path) {
  const Table golden = read_table(golden_path), now = read_table(now_path);
  ASSERT_FALSE(golden.rows.empty()) << golden_path;
  ASSERT_EQ(golden.rows.size(), now.rows.size()) << now_path;
  std::map<std::string, std::size_t> where;
  for (std::size_t i = 0; i < now.header.size(); ++i) where[now.header[i]] = i;
  for (std::size_t c = 0; c < golden.header.size(); ++c) {
    ASSERT_TRUE(where.count(golden.header[c])) << golden.header[c] << " missing in " << now_path;
    const std::size_t k = where[golden.header[c]];
    for (std::size_t r = 0; r < golden.rows.size(); ++r)
      ASSERT_EQ(golden.rows[r].at(c), now.rows[r].at(k))
          << golden_path << ": column " << golden.header[c] << ", data row " << r;
  }
}

struct GoldenCase {
  std::string file, args;
};

std::vector<GoldenCase> golden_cases() {
  std::ifstream in(std::string(DARKCHARGE_GOLDEN_DIR) + "/commands.txt");
  std::vector<GoldenCase> out;
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    const auto space = line.find(' ');
    out.push_back({line.substr(0, space), line.substr(space + 1)});
  }
  return out;
}

TEST(Golden, ExistingColumnsAreByteIdentical) {
  const auto cases = golden_cases();
  ASSERT_EQ(cases.size(), 5u);
  const std::string golden_dir = DARKCHARGE_GOLDEN_DIR, dir = ::testing::TempDir();
  for (const auto& c : cases) {
    const std::string base = c.file.substr(0, c.file.size() - 4);
    std::string args = c.args;
    // Side files (sector populations, states) are compared too where a case writes them.
    std::vector<std::string> side;
    if (args.find("SECTORS") != std::string::npos) side.push_back(base + "_sectors.csv");
    if (args.find("STATE") != std::string::npos) side.push_back(base + "_state.csv");
    replace_all(args, "SECTORS", dir + "golden_" + base + "_sectors.csv");
    replace_all(args, "STATE", dir + "golden_" + base + "_state.csv");
    const std::string out = dir + "golden_" + c.file;
    const std::string command =
        std::string(DARKCHARGE_BINARY) + " " + args + " -q -o " + out + " 2>/dev/null";
    ASSERT_EQ(std::system(command.c_str()), 0) << command;
    expect_same_columns(golden_dir + "/" + c.file, out);
    for (const auto& s : side) expect_same_columns(golden_dir + "/" + s, dir + "golden_" + s);
  }
}

}  // namespace
