// The filesystem as an axis of a run (issue 14): a trial on a loop-mounted btrfs
// with btrfs-snapshot gives a snapshot the validator judges, records the
// filesystem and its mount options, and leaves no mount, loop device or image
// behind -- also when the run is stopped with SIGTERM in the middle of a trial.
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

#include "core/loop_fs.h"
#include "tests/test_support.h"

namespace fs = std::filesystem;

namespace bb {
namespace {

class FilesystemAxis : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto why = loop_fs_unavailable(FsKind::kBtrfs); !why.empty()) GTEST_SKIP() << why;
    root_ = d_ / "fs-root";
    setenv("BB_LOOP_FS_ROOT", root_.c_str(), 1);  // the binary's children inherit it
  }
  void TearDown() override {
    clean_stale_loop_fs(root_);
    unsetenv("BB_LOOP_FS_ROOT");
  }
  std::string leftovers() {
    std::string out;
    for (auto& l : loop_fs_leftovers(root_)) out += l + "\n";
    return out;
  }
  std::vector<std::string> args(const std::string& out, const std::string& baseline = "0.5") {
    return {"run", "--preset", "quick", "--strategies", "btrfs-snapshot", "--set", "filesystem=btrfs", "--rate",
            "20", "--set", "baseline_s=" + baseline, "--out", out};
  }
  test::TempDir d_;
  std::string root_;
};

TEST_F(FilesystemAxis, ABtrfsSnapshotTrialIsJudgedAndLeavesNothingMounted) {
  auto r = test::run_bb(args(d_ / "run"));
  ASSERT_EQ(r.code, 0) << r.err;
  auto j = nlohmann::json::parse(test::read_file(d_ / "run/results.json"));
  ASSERT_EQ(j["trials"].size(), 2u);  // WAL and rollback mode
  for (auto& t : j["trials"]) {
    SCOPED_TRACE(t["mode"].get<std::string>());
    EXPECT_EQ(t["filesystem"], "btrfs");
    EXPECT_EQ(t["filesystem_info"]["type"], "btrfs");
    EXPECT_FALSE(t["filesystem_info"]["mount_options"].get<std::string>().empty());
    EXPECT_EQ(t["backup"]["status"], "completed") << t["backup"]["error"];
    // The validator judged the crash image (SQLite recovered it on a private copy).
    const std::string v = t["verdict"]["status"];
    EXPECT_TRUE(v == "OK" || v == "CORRUPT" || v == "INCONSISTENT" || v == "STALE") << v;
  }
  EXPECT_EQ(leftovers(), "");
}

// A closed-loop capacity probe can grow the WAL by hundreds of MB a second
// (no connection ever lets it restart): on a loop image sized for the database
// it used to fill the filesystem and fail the trial with "database or disk is
// full". The probe stops before that, says why, and the trial runs.
TEST_F(FilesystemAxis, ACapacityProbeNeverFillsTheTrialsFilesystem) {
  if (auto why = loop_fs_unavailable(FsKind::kExt4); !why.empty()) GTEST_SKIP() << why;
  auto r = test::run_bb({"run", "--preset", "quick", "--strategies", "online", "--modes", "wal", "--repeat", "1",
                         "--set", "filesystem=ext4", "--set", "probe_s=5", "--out", d_ / "run"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.err.find("HARNESS ERROR"), std::string::npos) << r.err;
  auto j = nlohmann::json::parse(test::read_file(d_ / "run/results.json"));
  ASSERT_EQ(j["probes"].size(), 1u);
  auto& p = j["probes"][0];
  EXPECT_GT(p["capacity_tx_s"].get<double>(), 0);
  if (p["ended_early"].is_string()) {
    EXPECT_LT(p["seconds"].get<double>(), 5.0);
  }
  EXPECT_EQ(j["trials"][0]["verdict"]["status"], "OK") << j["trials"][0]["verdict"]["detail"];
  EXPECT_EQ(leftovers(), "");
}

TEST_F(FilesystemAxis, SigtermInTheMiddleOfATrialLeavesNothingMounted) {
  std::vector<std::string> a = args(d_ / "run", "30");
  a.insert(a.begin(), BB_BINARY);
  std::vector<char*> argv;
  for (auto& x : a) argv.push_back(x.data());
  argv.push_back(nullptr);
  pid_t pid;
  ASSERT_EQ(posix_spawn(&pid, BB_BINARY, nullptr, nullptr, argv.data(), environ), 0);
  // Observe (not synchronise): wait until the trial's filesystem is mounted and
  // its database is there.
  bool mounted = false;
  for (auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
       !mounted && std::chrono::steady_clock::now() < deadline;
       std::this_thread::sleep_for(std::chrono::milliseconds(20))) {
    std::error_code ec;
    for (auto& e : fs::recursive_directory_iterator(root_, ec))
      if (e.path().filename() == "db.sqlite") mounted = true;
  }
  ASSERT_TRUE(mounted) << "the trial never started on its filesystem";
  EXPECT_NE(leftovers(), "");
  kill(pid, SIGTERM);
  int st = 0;
  ASSERT_EQ(waitpid(pid, &st, 0), pid);
  ASSERT_TRUE(WIFEXITED(st));
  EXPECT_EQ(WEXITSTATUS(st), 130);
  EXPECT_EQ(leftovers(), "");
}

}  // namespace
}  // namespace bb
