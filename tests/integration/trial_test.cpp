// Real trials: the driver starts writer, reader and backup processes on real
// files. Checks the verdicts, that writers committed in both windows, and that
// the commits recorded by the writers match the database they wrote.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "harness/sqlite_db.h"
#include "tests/test_support.h"

namespace bb {
namespace {

using test::run_bb;

class Trial : public ::testing::TestWithParam<std::string> {};

TEST_P(Trial, OnlineBackupUnderLoadIsOkAndCommitsMatchTheDatabase) {
  test::TempDir d;
  const std::string mode = GetParam();
  auto r = run_bb({"run", "--preset", "quick", "--modes", mode, "--strategies", "online", "--db-mb", "2",
                   "--keep-snapshots", "--out", d.path()});
  ASSERT_EQ(r.code, 0) << r.err << r.out;
  auto check = test::run_sh("/usr/bin/python3 " + std::string(BB_TEST_DATA) +
                            "/../tools/check-results " + d / "results.json" + " --need-ok " + mode +
                            ":online --need-during-commits");
  EXPECT_EQ(check.code, 0) << check.out;
  auto j = nlohmann::json::parse(test::read_file(d / "results.json"));
  ASSERT_EQ(j["trials"].size(), 1u);
  auto& t = j["trials"][0];
  EXPECT_EQ(t["verdict"]["status"], "OK") << t["verdict"]["detail"];
  EXPECT_GT(t["writers"]["baseline"]["commits"].get<int>(), 0);
  EXPECT_GT(t["writers"]["during"]["commits"].get<int>() + t["writers"]["during"]["p50_ms"].get<double>(), 0);
  // The snapshot holds every commit that returned before the backup started.
  EXPECT_GE(t["verdict"]["snapshot_seq"].get<int64_t>(), t["verdict"]["committed_before_start"].get<int64_t>());
  // The writers' records match the database they wrote: the last seq and the
  // number of transfers.
  std::string dir = t["series"].get<std::string>();
  dir = dir.substr(0, dir.rfind('/'));
  Db db(dir + "/db.sqlite", SQLITE_OPEN_READONLY);
  EXPECT_EQ(db.query_int("SELECT max(seq) FROM transfers"), t["writers"]["last_seq"].get<int64_t>());
  EXPECT_EQ(db.query_int("SELECT count(*) FROM transfers"), t["writers"]["total_commits"].get<int64_t>());
  EXPECT_TRUE(std::filesystem::exists(dir + "/snapshot.db"));
  EXPECT_TRUE(std::filesystem::exists(d / "trials.csv"));
  // No shared-memory segment is left behind.
  for (auto& e : std::filesystem::directory_iterator("/dev/shm"))
    EXPECT_EQ(e.path().filename().string().find("backup-bench-" + std::to_string(0)), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Modes, Trial, ::testing::Values("wal", "delete"));

}  // namespace
}  // namespace bb
