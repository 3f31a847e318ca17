// The write-combining VFS must be invisible: any sequence of SQLite operations
// gives the same database through it as through the default VFS.
#include "strategies/write_combining_vfs.h"

#include <gtest/gtest.h>

#include "core/sqlite_db.h"
#include "tests/test_support.h"

namespace bb {
namespace {

// Creates, fills, updates (out-of-order page writes), deletes and vacuums, with a
// rollback journal (a second file through the VFS) and a cache small enough to
// spill mid-transaction, so reads follow buffered writes.
void workload(Db& db, int page_size) {
  db.exec("PRAGMA page_size = " + std::to_string(page_size) + "; PRAGMA cache_size = 10");
  db.exec("CREATE TABLE t(id INTEGER PRIMARY KEY, v BLOB); CREATE INDEX tv ON t(v)");
  db.exec("BEGIN; WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000) "
          "INSERT INTO t SELECT i, zeroblob(100 + i % 700) || i FROM n; COMMIT");
  db.exec("UPDATE t SET v = v || 'x' WHERE id % 7 = 0");
  db.exec("DELETE FROM t WHERE id % 5 = 0");
  db.exec("VACUUM");
  db.exec("INSERT INTO t(v) SELECT v FROM t WHERE id < 100");
}

class WriteCombining : public ::testing::TestWithParam<int> {};

TEST_P(WriteCombining, GivesTheSameDatabaseAsTheDefaultVfs) {
  test::TempDir d;
  {
    Db plain(d / "plain.db", SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    workload(plain, GetParam());
    Db comb(d / "comb.db", SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, write_combining_vfs());
    workload(comb, GetParam());
    // Read back through the same connection, before close flushes anything.
    EXPECT_EQ(comb.query_int("SELECT count(*) FROM t"), plain.query_int("SELECT count(*) FROM t"));
    EXPECT_EQ(comb.query_text("PRAGMA integrity_check"), "ok");
  }
  auto diff = test::run_sh("sqldiff " + d / "plain.db" + " " + d / "comb.db");
  EXPECT_EQ(diff.code, 0) << diff.err;
  EXPECT_EQ(diff.out, "");
  Db reopened(d / "comb.db", SQLITE_OPEN_READONLY);
  EXPECT_EQ(reopened.query_text("PRAGMA integrity_check"), "ok");
  EXPECT_EQ(reopened.query_int("PRAGMA page_size"), GetParam());
}

INSTANTIATE_TEST_SUITE_P(PageSizes, WriteCombining, ::testing::Values(1024, 4096, 65536));

}  // namespace
}  // namespace bb
