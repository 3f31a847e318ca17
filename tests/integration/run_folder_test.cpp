// The run folder is never corrupted (issue 11): one run per folder, a folder
// that already holds a run is refused, too little disk space is refused before
// any work, and a disk that fills up mid-run stops the run with a clear line,
// keeps the completed trials' results valid and removes the current trial.
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "tests/test_support.h"

namespace fs = std::filesystem;

namespace bb {
namespace {

using test::run_bb;

// Tiny trials of `online` in WAL mode, at a fixed rate (no capacity probe).
std::vector<std::string> tiny_run(const std::string& out, const std::string& db_mb = "1") {
  return {"run", "--preset", "quick", "--strategies", "online", "--modes", "wal", "--db-mb", db_mb,
          "--rate", "20", "--set", "baseline_s=0.3", "--set", "warmup_s=0.1", "--set", "cooldown_s=0.1",
          "--out", out};
}

TEST(RunFolder, ASecondRunIntoAFolderThatHoldsARunIsRefused) {
  test::TempDir d;
  auto first = run_bb(tiny_run(d / "run"));
  ASSERT_EQ(first.code, 0) << first.err;
  const std::string before = test::read_file(d / "run/results.json");
  auto second = run_bb(tiny_run(d / "run"));
  EXPECT_EQ(second.code, 2);
  EXPECT_NE(second.err.find("already holds a run"), std::string::npos) << second.err;
  EXPECT_EQ(test::read_file(d / "run/results.json"), before);  // untouched
  EXPECT_TRUE(fs::exists(d / "run/console.log"));
}

TEST(RunFolder, ABusyFolderIsRefusedWhileAnotherRunHoldsIt) {
  test::TempDir d;
  fs::create_directories(d / "run");
  // Hold the folder's lock as a running `run` does (flock on .run.lock).
  auto holder = test::run_sh("( flock -x 9; echo held; sleep 30 ) 9>" + test::sh_quote(d / "run/.run.lock") +
                             " > " + test::sh_quote(d / "held") + " 2>&1 & echo $!");
  const std::string pid = holder.out.substr(0, holder.out.find('\n'));
  for (int i = 0; i < 200 && test::read_file(d / "held").find("held") == std::string::npos; ++i) usleep(10'000);
  auto r = run_bb(tiny_run(d / "run"));
  test::run_sh("kill " + pid);
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("in use by another run"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(d / "run/results.json"));
  EXPECT_FALSE(fs::exists(d / "run/trials"));
}

// A size-limited tmpfs for the run folder; skipped where mounting is not allowed.
class SmallDisk : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "mounting a tmpfs needs root";
    mnt_ = dir_ / "mnt";
    fs::create_directories(mnt_);
  }
  void mount_mb(int mb) {
    std::string opts = "size=" + std::to_string(mb) + "m";
    ASSERT_EQ(mount("tmpfs", mnt_.c_str(), "tmpfs", 0, opts.c_str()), 0) << strerror(errno);
    mounted_ = true;
  }
  void TearDown() override {
    if (mounted_) umount2(mnt_.c_str(), MNT_DETACH);
  }
  test::TempDir dir_;
  std::string mnt_;
  bool mounted_ = false;
};

TEST_F(SmallDisk, TooLittleSpaceIsRefusedBeforeAnyWork) {
  mount_mb(16);
  auto r = run_bb({"run", "--preset", "quick", "--strategies", "online", "--db-mb", "64", "--out", mnt_ + "/run"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("not enough disk space"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_FALSE(fs::exists(mnt_ + "/run/trials"));
}

// Kept snapshots accumulate until the disk is full: the run stops with one
// clear line and exit 2; results.json is valid and holds the trials that
// completed; the trial that hit the full disk left no folder behind.
TEST_F(SmallDisk, AFullDiskMidRunStopsTheRunAndKeepsWhatWasWritten) {
  mount_mb(140);
  auto args = tiny_run(mnt_ + "/run", "24");
  args.insert(args.end(), {"--repeat", "12", "--keep-snapshots", "--set", "template_cache=false"});
  auto r = run_bb(args);
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find("the disk is full"), std::string::npos) << r.err;
  auto j = nlohmann::json::parse(test::read_file(mnt_ + "/run/results.json"), nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << "results.json is not valid JSON";
  const size_t done = j["trials"].size();
  EXPECT_GE(done, 1u);
  EXPECT_LT(done, 12u);
  for (auto& t : j["trials"]) EXPECT_EQ(t["verdict"]["status"], "OK");
  // Only the completed trials have folders.
  size_t folders = 0;
  for (auto& e : fs::directory_iterator(mnt_ + "/run/trials")) folders += e.is_directory();
  EXPECT_EQ(folders, done);
}

}  // namespace
}  // namespace bb
