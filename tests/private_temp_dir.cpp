// Every process of the CLI tests writes into a directory of its own: many tests name their
// files (dc_default.csv, dc_local_auto.csv, ...) in ::testing::TempDir(), which is /tmp/ by
// default, so two test runs on one machine at the same time (two build trees, CI beside a
// developer) would overwrite each other's files. GoogleTest's TempDir() reads TEST_TMPDIR at
// each call; this environment points it at a fresh mkdtemp directory under the previous
// TempDir() before the first test and removes that directory after the last.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>
#include <unistd.h>

namespace {

class PrivateTemporaryDirectory : public ::testing::Environment {
 public:
  void SetUp() override {
    std::string pattern = ::testing::TempDir() + "darkcharge_tests.XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) {
      std::perror(("darkcharge tests: mkdtemp " + pattern).c_str());
      std::abort();  // no test may fall back to the shared directory
    }
    path_ = pattern;
    const char* previous = std::getenv("TEST_TMPDIR");
    had_previous_ = previous != nullptr;
    if (had_previous_) previous_ = previous;
    // With its '/': GoogleTest 1.12 adds one if missing, older versions return it as is.
    ::setenv("TEST_TMPDIR", (path_ + "/").c_str(), 1);
  }
  void TearDown() override {
    if (had_previous_)
      ::setenv("TEST_TMPDIR", previous_.c_str(), 1);
    else
      ::unsetenv("TEST_TMPDIR");
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }

 private:
  std::string path_, previous_;
  bool had_previous_ = false;
};

// Registered before main() (gtest_main): GoogleTest owns and deletes the environment.
::testing::Environment* const kPrivateTemporaryDirectory =
    ::testing::AddGlobalTestEnvironment(new PrivateTemporaryDirectory);

}  // namespace

// The directory really is private: TempDir() is below the previous one and unique to this
// process, so a file named there cannot be another run's.
TEST(PrivateTemporaryDirectory, TempDirIsAFreshDirectoryOfThisProcess) {
  const std::string dir = ::testing::TempDir();
  EXPECT_NE(dir.find("darkcharge_tests."), std::string::npos) << dir;
  EXPECT_TRUE(std::filesystem::is_directory(dir)) << dir;
  EXPECT_NE(dir, "/tmp/");
  EXPECT_EQ(dir.back(), '/');
}
