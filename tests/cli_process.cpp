#include "cli_process.hpp"

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

namespace darkcharge::testing {

bool file_exists(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string data_rows(const std::string& text) {
  std::stringstream in(text);
  std::string out;
  for (std::string line; std::getline(in, line);)
    if (!line.empty() && line[0] != '#') out += line + '\n';
  return out;
}

std::vector<double> csv_column(const std::string& text, const std::string& name) {
  std::istringstream in(data_rows(text));
  std::string line, cell;
  std::getline(in, line);
  std::istringstream header(line);
  int index = -1;
  for (int i = 0; std::getline(header, cell, ','); ++i)
    if (cell == name) index = i;
  std::vector<double> out;
  while (index >= 0 && std::getline(in, line)) {
    std::istringstream row(line);
    for (int i = 0; i <= index; ++i) std::getline(row, cell, ',');
    out.push_back(std::strtod(cell.c_str(), nullptr));
  }
  return out;
}

namespace {

/// Whether the child `pid` has exited (a zombie until run_darkcharge reaps it).
bool exited(pid_t pid) {
  const std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  const auto close = stat.rfind(')');
  return close == std::string::npos || stat.compare(close, 4, ") Z ") == 0;
}

}  // namespace

bool wait_for_stderr(pid_t pid, const std::string& directory, const std::string& text, double seconds) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < until && !exited(pid)) {
    for (const auto& entry : std::filesystem::directory_iterator(directory)) {
      const std::string name = entry.path().filename().string();
      if (name.rfind(".process", 0) == 0 && name.find(".stderr") != std::string::npos &&
          read_file(entry.path().string()).find(text) != std::string::npos)
        return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

std::vector<std::string> with(std::vector<std::string> base, const std::vector<std::string>& more) {
  base.insert(base.end(), more.begin(), more.end());
  return base;
}

TemporaryDirectory::TemporaryDirectory() {
  std::string pattern = ::testing::TempDir() + "darkcharge_safety.XXXXXX";
  if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

TemporaryDirectory::~TemporaryDirectory() {
  std::error_code ignored;
  std::filesystem::permissions(path_, std::filesystem::perms::owner_all,
                               std::filesystem::perm_options::add, ignored);
  std::filesystem::remove_all(path_, ignored);
}

std::vector<std::string> temporary_files_in(const std::string& directory) {
  std::vector<std::string> out;
  for (const auto& entry : std::filesystem::directory_iterator(directory)) {
    const std::string name = entry.path().filename().string();
    if (name.find(".tmp") != std::string::npos) out.push_back(name);
  }
  return out;
}

ProcessResult run_darkcharge(const std::vector<std::string>& args, const std::string& directory,
                             double timeout_seconds, const std::function<void(pid_t)>& during) {
  static int calls = 0;
  const std::string stem = directory + "/.process" + std::to_string(++calls);
  const std::string out_file = stem + ".stdout", err_file = stem + ".stderr";
  // DARKCHARGE_TEST_BINARY runs the tests against another build (e.g. to see them fail on
  // an older tree).
  const char* binary = std::getenv("DARKCHARGE_TEST_BINARY");
  std::vector<std::string> argv_storage = {binary ? binary : DARKCHARGE_BINARY};
  argv_storage.insert(argv_storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_storage) argv.push_back(a.data());
  argv.push_back(nullptr);

  const auto start = std::chrono::steady_clock::now();
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int out = ::open(out_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int err = ::open(err_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (out < 0 || err < 0 || ::chdir(directory.c_str()) != 0) ::_exit(127);
    ::dup2(out, STDOUT_FILENO);
    ::dup2(err, STDERR_FILENO);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  if (during) during(pid);
  ProcessResult r;
  int status = 0;
  while (::waitpid(pid, &status, WNOHANG) == 0) {
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (elapsed > timeout_seconds && !r.timed_out) {
      r.timed_out = true;
      ::kill(pid, SIGKILL);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  r.exited = WIFEXITED(status) && !r.timed_out;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
  r.out = read_file(out_file);
  r.err = read_file(err_file);
  std::remove(out_file.c_str());
  std::remove(err_file.c_str());
  return r;
}

}  // namespace darkcharge::testing
