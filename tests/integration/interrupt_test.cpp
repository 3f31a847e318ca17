// Ctrl-C in the middle of a trial: the driver stops every child, removes its
// shared-memory segment, writes partial results and exits 130.
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

#include "core/holders.h"
#include "tests/test_support.h"

namespace fs = std::filesystem;

namespace bb {
namespace {

bool segment_exists(pid_t driver) {
  std::string prefix = "backup-bench-" + std::to_string(driver) + "-";
  for (auto& e : fs::directory_iterator("/dev/shm"))
    if (e.path().filename().string().rfind(prefix, 0) == 0) return true;
  return false;
}

class Interrupt : public ::testing::TestWithParam<int> {};

TEST_P(Interrupt, StopsChildrenRemovesSegmentAndKeepsPartialResults) {
  test::TempDir d;
  std::vector<std::string> args{BB_BINARY, "run",  "--preset", "quick", "--modes", "wal",
                                "--db-mb", "1",    "--set",    "baseline_s=60", "--out", d.path()};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid;
  ASSERT_EQ(posix_spawn(&pid, BB_BINARY, nullptr, nullptr, argv.data(), environ), 0);
  // Observe (not synchronise): wait until the trial's workers hold the database.
  std::string db;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    if (fs::exists(d / "trials")) {
      for (auto& t : fs::directory_iterator(d / "trials"))
        if (fs::exists(t.path() / "db.sqlite") && segment_exists(pid) &&
            find_holders((t.path() / "db.sqlite").string()).size() >= 3)
          db = (t.path() / "db.sqlite").string();
    }
    if (!db.empty()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_FALSE(db.empty()) << "the trial never started";
  kill(pid, GetParam());
  int st = 0;
  ASSERT_EQ(waitpid(pid, &st, 0), pid);
  ASSERT_TRUE(WIFEXITED(st));
  EXPECT_EQ(WEXITSTATUS(st), 130);
  EXPECT_FALSE(segment_exists(pid));
  EXPECT_TRUE(find_holders(db).empty()) << "a worker survived the driver";
  auto r = nlohmann::json::parse(test::read_file(d / "results.json"));
  EXPECT_TRUE(r["interrupted"].get<bool>());
}

INSTANTIATE_TEST_SUITE_P(Signals, Interrupt, ::testing::Values(SIGINT, SIGTERM));

}  // namespace
}  // namespace bb
