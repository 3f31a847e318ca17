// SQLite builds as an axis of a run (issue 15): one run with the system SQLite
// and the second build side by side runs each cell's workers, backup and
// validator with that cell's build, and records both versions; a build that does
// not exist is bad input before any work.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>

#include "tests/test_support.h"

namespace bb {
namespace {

TEST(SqliteAxis, OneRunComparesTwoVersionsAndRecordsBoth) {
  if (std::string(BB_SQLITE2_BINARY).empty())
    GTEST_SKIP() << "no second SQLite build: ../shared/sqlite/3.50.4 was absent at configure time";
  test::TempDir d;
  auto r = test::run_bb({"run", "--preset", "quick", "--strategies", "online,cli-backup", "--modes", "wal",
                         "--rate", "20", "--set", "sqlite=system," + std::string(BB_SQLITE2_VERSION),
                         "--out", d / "run"});
  ASSERT_EQ(r.code, 0) << r.err;
  auto j = nlohmann::json::parse(test::read_file(d / "run/results.json"));
  ASSERT_EQ(j["trials"].size(), 4u);
  std::set<std::string> versions;
  for (auto& t : j["trials"]) {
    const std::string v = t["sqlite_build"]["version"];
    versions.insert(v);
    if (t["sqlite"] == "system") EXPECT_EQ(v, j["sqlite_version"]);
    else EXPECT_EQ(v, BB_SQLITE2_VERSION);
    EXPECT_FALSE(t["sqlite_build"]["source_id"].get<std::string>().empty());
    // The cell's own validator judged its snapshot.
    EXPECT_EQ(t["verdict"]["status"], "OK") << t["verdict"]["detail"];
    if (t["strategy"] == "cli-backup" && t["sqlite"] != "system") {
      // The shell beside the second binary, not the one on PATH.
      EXPECT_NE(t["backup"]["extra"]["sqlite3"].get<std::string>().find("sqlite-"), std::string::npos)
          << t["backup"]["extra"];
    }
  }
  EXPECT_EQ(versions.size(), 2u);
  EXPECT_EQ(j["sqlite_builds"].size(), 2u);
  EXPECT_EQ(j["summary"].size(), 4u);  // one row per strategy and build
}

TEST(SqliteAxis, AnUnknownBuildIsBadInputBeforeAnyWork) {
  test::TempDir d;
  auto r = test::run_bb({"run", "--preset", "quick", "--set", "sqlite=9.99.9", "--out", d / "run"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("no build for SQLite 9.99.9"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(d / "run/trials"));
}

}  // namespace
}  // namespace bb
