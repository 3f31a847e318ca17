// The nemesis in real trials (docs/faults.md): a death injected on purpose is
// not a harness error, every faulted trial records what was injected and checks
// the outcome and the source, and destination faults fail the backup with a
// reason and leave nothing behind -- nor any mount.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/fault_fs.h"
#include "core/loop_fs.h"
#include "core/process.h"
#include "tests/test_support.h"

namespace fs = std::filesystem;

namespace bb {
namespace {

// A small faults run: the preset, cut down to the given strategies, modes and
// faults, with short windows. Returns the exit code; the results in `out`.
int run_faults(const std::string& out, const std::string& strategies, const std::string& modes,
               const std::string& faults, pid_t* driver = nullptr, const std::string& rate = "50") {
  SpawnOptions so;
  so.stdout_path = out + ".log";
  so.stderr_too = true;
  pid_t pid = spawn(
      BB_BINARY,
      {"run", "--preset", "faults", "--strategies", strategies, "--modes", modes, "--set", "faults=" + faults,
       "--db-mb", "4", "--rate", rate, "--set", "warmup_s=0.1", "--set", "baseline_s=0.3", "--set", "cooldown_s=0.2",
       "--out", out},
      so);
  if (driver) *driver = pid;
  return wait_for(pid).code;
}

std::vector<std::string> leftovers_of(pid_t driver) {
  std::vector<std::string> out;
  for (auto& l : loop_fs_leftovers(default_loop_fs_root()))
    if (l.find("/" + std::to_string(driver) + "-") != std::string::npos) out.push_back(l);
  return out;
}

TEST(Faults, AKilledWriterOrReaderIsNoHarnessErrorAndTheSourceHoldsEveryReturnedCommit) {
  test::TempDir d;
  const int code = run_faults(d / "run", "online,exclusive-copy", "wal,delete", "kill-writer,kill-reader");
  ASSERT_EQ(code, 0) << test::read_file(d / "run.log");
  auto j = nlohmann::json::parse(test::read_file(d / "run/results.json"));
  ASSERT_EQ(j["trials"].size(), 8u);
  int mid = 0;
  for (auto& t : j["trials"]) {
    SCOPED_TRACE(
        fmt::format("{} {} {}", t["mode"].get<std::string>(), t["strategy"].get<std::string>(), t["fault"].dump()));
    EXPECT_TRUE(t["harness_error"].is_null());
    const auto& f = t["fault"];
    ASSERT_TRUE(f.is_object());
    EXPECT_TRUE(f["injected"].get<bool>()) << f["detail"];
    EXPECT_TRUE(f["injected_s"].is_number());
    EXPECT_EQ(f["target"], f["kind"] == "kill-writer" ? "writer 0" : "reader 0");
    if (f["kind"] == "kill-writer" && f["mid_transaction"] == true) ++mid;
    EXPECT_TRUE(t["outcome_check"]["ok"].get<bool>()) << t["outcome_check"]["detail"];
    const auto& src = t["source_check"];
    ASSERT_TRUE(src.is_object());
    EXPECT_TRUE(src["ok"].get<bool>()) << src["detail"];
    EXPECT_EQ(src["status"], "OK");
    // Every returned commit is there, and nothing but a killed transaction in flight.
    EXPECT_GE(src["source_seq"].get<int64_t>(), src["committed_min"].get<int64_t>());
    EXPECT_LE(src["source_seq"].get<int64_t>(), src["committed_max"].get<int64_t>());
    EXPECT_GT(src["committed_min"].get<int64_t>(), 0);
    // A faulted trial's writer figures measure the fault: left out of the summary.
  }
  // The nemesis waits for a transaction to begin before it kills.
  EXPECT_GE(mid, 2);
  for (auto& row : j["summary"]) EXPECT_NE(row["fault"], "none");
}

// A backup stalled while it holds the database (pause-backup): in rollback mode
// the writers wait behind it, in WAL mode they should not; in both the
// snapshot is still OK.
TEST(Faults, APausedBackupStillMakesAnOkSnapshot) {
  test::TempDir d;
  const int code = run_faults(d / "run", "online", "wal,delete", "pause-backup");
  ASSERT_EQ(code, 0) << test::read_file(d / "run.log");
  auto j = nlohmann::json::parse(test::read_file(d / "run/results.json"));
  ASSERT_EQ(j["trials"].size(), 2u);
  for (auto& t : j["trials"]) {
    const auto& f = t["fault"];
    SCOPED_TRACE(fmt::format("{} {}", t["mode"].get<std::string>(), f.dump()));
    EXPECT_TRUE(t["harness_error"].is_null());
    EXPECT_EQ(f["kind"], "pause-backup");
    EXPECT_EQ(f["target"], "the backup process");
    EXPECT_TRUE(f["injected"].get<bool>());
    EXPECT_EQ(f["during_backup"], true);
    const std::string detail = f["detail"].get<std::string>();
    EXPECT_NE(detail.find("SIGSTOP to the backup process"), std::string::npos);
    EXPECT_NE(detail.find("SIGCONT 200 ms later"), std::string::npos);
    EXPECT_EQ(t["backup"]["status"], "completed");
    EXPECT_EQ(t["verdict"]["status"], "OK");
    EXPECT_TRUE(t["outcome_check"]["ok"].get<bool>()) << t["outcome_check"]["detail"];
    EXPECT_TRUE(t["source_check"]["ok"].get<bool>()) << t["source_check"]["detail"];
    // What the stall cost the writers, for the log (timing is judged in
    // tests/timing/, alone on the machine).
    std::printf("pause-backup %s: max writer stall %s ms\n", t["mode"].get<std::string>().c_str(),
                t["writers"]["max_writer_stall_ms"].dump().c_str());
  }
}

TEST(Faults, DestinationFaultsFailTheBackupWithAReasonAndLeaveNothing) {
  if (auto why = fault_fs_unavailable(); !why.empty()) GTEST_SKIP() << why;
  test::TempDir d;
  pid_t driver = 0;
  // 10 tx/s per writer: the preset's 50 is more than a busy disk commits in
  // rollback mode, and then the shell's .backup (100 pages a step, restarted by
  // every foreign commit) never reaches the faulty destination before its time
  // limit -- a timeout, not the failure this test is about.
  const int code = run_faults(d / "run", "online,raw-copy,cli-backup", "delete",
                              "kill-backup,fill-dest,fail-dest-write,fail-dest-fsync", &driver, "10");
  ASSERT_EQ(code, 0) << test::read_file(d / "run.log");
  auto j = nlohmann::json::parse(test::read_file(d / "run/results.json"));
  ASSERT_EQ(j["trials"].size(), 12u);
  for (auto& t : j["trials"]) {
    const auto& f = t["fault"];
    SCOPED_TRACE(fmt::format("{} {}", t["strategy"].get<std::string>(), f.dump()));
    EXPECT_TRUE(t["harness_error"].is_null());
    EXPECT_TRUE(f["injected"].get<bool>()) << f["detail"];
    // A fault that strikes while the backup writes: the backup fails, says why,
    // and nothing is at the destination; a backup that outran it is judged as
    // any other.
    if (t["backup"]["status"] == "completed") {
      EXPECT_EQ(f["kind"], "fill-dest");
      // raw-copy is no safe copy of a live rollback-mode database, fault or not.
      if (t["expected_safe"].get<bool>()) {
        EXPECT_EQ(t["verdict"]["status"], "OK");
      }
    } else {
      EXPECT_EQ(t["backup"]["status"], "failed");
      EXPECT_FALSE(t["backup"]["error"].get<std::string>().empty());
      EXPECT_NE(t["outcome_check"]["detail"].get<std::string>().find("nothing at the destination"), std::string::npos);
    }
    EXPECT_TRUE(t["outcome_check"]["ok"].get<bool>()) << t["outcome_check"]["detail"];
    EXPECT_TRUE(t["source_check"]["ok"].get<bool>()) << t["source_check"]["detail"];
    if (f["kind"] == "kill-backup") {
      EXPECT_NE(t["backup"]["error"].get<std::string>().find("nemesis"), std::string::npos);
    }
    if (f["kind"] == "fill-dest" && t["backup"]["status"] == "failed") {
      EXPECT_EQ(t["backup"]["failure"], "disk_full");
    }
    if (f["kind"] == "fail-dest-write" || f["kind"] == "fail-dest-fsync") {
      EXPECT_EQ(f["dest"]["type"], "fuse");
      EXPECT_GT(f["dest"]["errors"].get<int>(), 0);
    }
  }
  // Every mount, loop device and folder the nemesis made is gone.
  EXPECT_TRUE(leftovers_of(driver).empty()) << fmt::format("{}", leftovers_of(driver).front());
}

}  // namespace
}  // namespace bb
