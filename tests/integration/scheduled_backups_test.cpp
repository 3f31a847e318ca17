// Backups on a schedule (issue 12, a shortened soak): one trial runs several
// backups while the load continues; each snapshot is validated, each backup has
// its own record (windows, impact, WAL, verdict), the summary counts one verdict
// per snapshot, and an incremental strategy finds its previous backup at the
// destination.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/test_support.h"

namespace bb {
namespace {

TEST(ScheduledBackups, ATrialRunsSeveralBackupsAndValidatesEach) {
  test::TempDir d;
  auto r = test::run_bb({"run", "--preset", "quick", "--strategies", "online", "--modes", "wal", "--rate", "50",
                         "--set", "backups=4", "--set", "backup_interval_s=0.5", "--out", d / "run"});
  ASSERT_EQ(r.code, 0) << r.err;
  auto j = nlohmann::json::parse(test::read_file(d / "run/results.json"));
  ASSERT_EQ(j["trials"].size(), 1u);
  auto& t = j["trials"][0];
  ASSERT_EQ(t["backups"].size(), 4u);
  double last_start = -1;
  for (auto& b : t["backups"]) {
    SCOPED_TRACE("backup " + std::to_string(b["index"].get<int>()));
    EXPECT_EQ(b["backup"]["status"], "completed");
    EXPECT_EQ(b["verdict"]["status"], "OK") << b["verdict"]["detail"];
    // Each snapshot is judged against its own window: later ones hold more.
    EXPECT_GE(b["verdict"]["snapshot_seq"].get<int64_t>(), b["verdict"]["committed_before_start"].get<int64_t>());
    const double start = b["windows"]["impact"]["start_s"];
    EXPECT_GT(start, last_start + 0.4);  // on the schedule, 0.5 s apart
    last_start = start;
    EXPECT_TRUE(b["writers"]["during"].contains("n"));
    EXPECT_TRUE(b.contains("wal_peak_bytes"));
  }
  EXPECT_LT(t["backups"][0]["verdict"]["snapshot_seq"].get<int64_t>(),
            t["backups"][3]["verdict"]["snapshot_seq"].get<int64_t>());
  // The top-level fields are the first backup's.
  EXPECT_EQ(t["verdict"], t["backups"][0]["verdict"]);
  EXPECT_EQ(j["summary"][0]["verdicts"]["OK"], 4);
  EXPECT_EQ(j["summary"][0]["figures"]["backup_duration_s"]["n"], 4);
}

TEST(ScheduledBackups, IncrementalFindsItsPreviousBackup) {
  if (std::string(BB_SQLITE2_BINARY).empty())
    GTEST_SKIP() << "incremental needs sqlite_dbpage: no second SQLite build (../shared/sqlite absent at configure)";
  test::TempDir d;
  auto r = test::run_bb({"run", "--preset", "quick", "--strategies", "incremental", "--modes", "wal", "--rate", "20",
                         "--set", "sqlite=" + std::string(BB_SQLITE2_VERSION), "--set", "backups=3", "--set",
                         "backup_interval_s=0.3", "--out", d / "run"});
  ASSERT_EQ(r.code, 0) << r.err;
  auto j = nlohmann::json::parse(test::read_file(d / "run/results.json"));
  auto& b = j["trials"][0]["backups"];
  ASSERT_EQ(b.size(), 3u);
  for (auto& x : b) EXPECT_EQ(x["verdict"]["status"], "OK") << x["verdict"]["detail"];
  // The first writes every page; the later ones only what changed in 0.3 s.
  const auto& e0 = b[0]["backup"]["extra"];
  const auto& e2 = b[2]["backup"]["extra"];
  EXPECT_EQ(e0["fallback"], "missing") << e0;
  EXPECT_EQ(e0["pages_written"], e0["pages"]) << e0;
  EXPECT_TRUE(e2["fallback"].is_null()) << e2;
  EXPECT_LT(e2["pages_written"].get<int64_t>() * 4, e2["pages_compared"].get<int64_t>()) << e2;
}

}  // namespace
}  // namespace bb
