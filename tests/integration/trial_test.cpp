// Real trials: the driver starts writer, reader and backup processes on real
// files. Checks the verdicts, what writers did during the backup, and that the
// commits recorded by the writers match the database they wrote.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/sqlite_db.h"
#include "tests/test_support.h"

namespace bb {
namespace {

using test::run_bb;

// A stepped online backup that pins its snapshot: long enough to watch (8 pages
// per step, 2 ms apart), and never restarted by the writers.
const char* kScenario = R"(
[global]
db_mb = [2]
writers = [2]
readers = 1
rate = 40
warmup_s = 0.2
baseline_s = 0.5
cooldown_s = 0.2
backup_timeout_s = 30
[[strategy]]
name = "online"
label = "online-stepped"
params = { pages = 8, sleep_ms = 2, pin_snapshot = "true" }
)";

class Trial : public ::testing::TestWithParam<std::string> {};

TEST_P(Trial, OnlineBackupUnderLoadIsOkAndCommitsMatchTheDatabase) {
  test::TempDir d;
  const std::string mode = GetParam();
  std::ofstream(d / "s.toml") << kScenario;
  auto r = run_bb({"run", "--scenario", d / "s.toml", "--modes", mode, "--keep-snapshots", "--out", d / "run"});
  ASSERT_EQ(r.code, 0) << r.err << r.out;
  auto check = test::run_sh("/usr/bin/python3 " + std::string(BB_TEST_DATA) + "/../tools/check-results " +
                            d / "run/results.json" + " --need-ok " + mode + ":online --need-during-commits");
  EXPECT_EQ(check.code, 0) << check.out;
  auto j = nlohmann::json::parse(test::read_file(d / "run/results.json"));
  ASSERT_EQ(j["trials"].size(), 1u);
  auto& t = j["trials"][0];
  EXPECT_EQ(t["verdict"]["status"], "OK") << t["verdict"]["detail"];
  EXPECT_EQ(t["backup"]["restarts"], 0);
  EXPECT_GT(t["backup"]["steps"].get<int>(), 10);
  EXPECT_GT(t["writers"]["baseline"]["commits"].get<int>(), 0);
  // The snapshot window (the pinned read transaction) lies inside the impact
  // window (which also holds the wait for the read lock).
  auto& win = t["windows"];
  const double snap_begin = win["snapshot"]["start_s"].get<double>(), snap_end = win["snapshot"]["end_s"].get<double>();
  EXPECT_LE(win["impact"]["start_s"].get<double>(), snap_begin);
  EXPECT_GE(win["impact"]["end_s"].get<double>(), snap_end);
  EXPECT_LE(win["baseline"]["end_s"].get<double>(), win["impact"]["start_s"].get<double>());
  auto series = nlohmann::json::parse(test::read_file(d / "run/" + t["series"].get<std::string>()));
  int inside = 0;  // commits that completed while the snapshot was held
  for (auto& c : series["commits"]) {
    double at = c[0].get<double>() / 1e6;
    if (at > snap_begin && at < snap_end) ++inside;
  }
  if (mode == "wal") {
    // Readers do not block writers in WAL mode: they commit during the backup.
    EXPECT_GT(inside, 0);
    EXPECT_GT(t["writers"]["during"]["commits"].get<int>(), 0);
  } else {
    // The pinned read transaction holds a SHARED lock for the whole snapshot
    // window: no commit can complete inside it, so the longest stall covers it.
    EXPECT_EQ(inside, 0);
    EXPECT_GE(t["writers"]["max_stall_ms"].get<double>(), (snap_end - snap_begin) * 1000);
  }
  // The snapshot holds every commit that returned before the backup started.
  EXPECT_GE(t["verdict"]["snapshot_seq"].get<int64_t>(), t["verdict"]["committed_before_start"].get<int64_t>());
  // The writers' records match the database they wrote: the last seq and the
  // number of transfers.
  // The series path is relative to the run folder.
  std::string dir = d / "run/" + t["series"].get<std::string>();
  dir = dir.substr(0, dir.rfind('/'));
  Db db(dir + "/db.sqlite", SQLITE_OPEN_READONLY);
  EXPECT_EQ(db.query_int("SELECT max(seq) FROM transfers"), t["writers"]["last_seq"].get<int64_t>());
  EXPECT_EQ(db.query_int("SELECT count(*) FROM transfers"), t["writers"]["total_commits"].get<int64_t>());
  EXPECT_TRUE(std::filesystem::exists(dir + "/snapshot.db"));
  EXPECT_TRUE(std::filesystem::exists(d / "run/trials.csv"));
}

INSTANTIATE_TEST_SUITE_P(Modes, Trial, ::testing::Values("wal", "delete"));

}  // namespace
}  // namespace bb
