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

#include <fmt/format.h>
#include <signal.h>

#include <chrono>

#include "core/process.h"
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

// A trial whose own files fill the disk (a WAL that is never checkpointed)
// stops the run with exit 2 and one line, though by then the trial's files --
// and the shortage -- are gone: the next trials would only fill it again.
TEST_F(SmallDisk, ATrialThatFillsTheDiskStopsTheRunWithExit2) {
  mount_mb(70);
  auto r = run_bb({"run", "--preset", "quick", "--modes", "wal", "--strategies", "online", "--db-mb", "1", "--rate",
                   "0", "--set", "wal_autocheckpoint=0", "--set", "baseline_s=60", "--repeat", "3", "--set",
                   "template_cache=false", "--out", mnt_ + "/run"});
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find("ERROR: the disk is full"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("HARNESS ERROR"), std::string::npos) << r.err;
  auto j = nlohmann::json::parse(test::read_file(mnt_ + "/run/results.json"), nullptr, false);
  ASSERT_FALSE(j.is_discarded());
  EXPECT_TRUE(j["stopped_disk_full"].get<bool>());
  EXPECT_EQ(j["trials"].size(), 0u);
}

// What a run killed with SIGKILL leaves -- its trial's database and samples,
// its shared-memory segment -- the next run removes before it starts.
TEST(RunFolder, TheNextRunRemovesWhatAKilledRunLeft) {
  test::TempDir d;
  auto args = tiny_run(d / "killed");
  args.insert(args.end(), {"--set", "baseline_s=60"});
  std::vector<std::string> sh_args;
  std::string cmd = "exec " + test::sh_quote(BB_BINARY);
  for (auto& a : args) cmd += " " + test::sh_quote(a);
  pid_t run = spawn("/bin/sh", {"-c", cmd + " 2>/dev/null"});
  // Observe the baseline begin (the run folder's progress file), then kill.
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (test::read_file(d / "killed/progress").find("baseline") == std::string::npos &&
         std::chrono::steady_clock::now() < give_up && !try_wait(run))
    usleep(2000);
  ASSERT_NE(test::read_file(d / "killed/progress").find("baseline"), std::string::npos);
  kill_and_wait(run);
  std::vector<std::string> debris;
  for (auto& e : fs::recursive_directory_iterator(d / "killed/trials"))
    if (e.path().filename().string().rfind("db.sqlite", 0) == 0 || e.path().filename().string().rfind("worker", 0) == 0)
      debris.push_back(e.path().string());
  ASSERT_FALSE(debris.empty()) << "a SIGKILL left nothing: the test proves nothing";
  const std::string segment = fmt::format("/dev/shm/backup-bench-{}-0", run);
  EXPECT_TRUE(fs::exists(segment));

  auto next = run_bb(tiny_run(d / "next"));
  EXPECT_EQ(next.code, 0) << next.err;
  EXPECT_NE(next.err.find("left by a killed run in"), std::string::npos) << next.err;
  for (auto& f : debris) EXPECT_FALSE(fs::exists(f)) << f;
  EXPECT_FALSE(fs::exists(segment));
  EXPECT_TRUE(fs::exists(d / "killed/console.log"));  // what the killed run said stays
}

}  // namespace
}  // namespace bb
