// `holders`: the processes that have a database or its sidecars open.
#include "core/holders.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <set>

#include "core/sqlite_db.h"
#include "tests/test_support.h"

namespace bb {
namespace {

TEST(Holders, FindsThisProcessAndItsSidecarsInWalMode) {
  test::TempDir d;
  std::string path = d / "h.db";
  EXPECT_TRUE(find_holders(path).empty());
  Db db(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  db.exec("PRAGMA journal_mode = WAL; CREATE TABLE t(x); INSERT INTO t VALUES (1)");
  auto hs = find_holders(path);
  std::set<std::string> files;
  for (auto& h : hs) {
    EXPECT_EQ(h.pid, getpid());
    EXPECT_EQ(h.access, "read/write");
    files.insert(h.file.substr(h.file.rfind('/') + 1));
  }
  EXPECT_EQ(files, (std::set<std::string>{"h.db", "h.db-wal", "h.db-shm"}));
  // The command shows the same through the CLI, naming our pid.
  auto r = test::run_bb({"holders", path});
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find(std::to_string(getpid())), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("h.db-wal"), std::string::npos) << r.out;
  db.close();
  EXPECT_TRUE(find_holders(path).empty());
  r = test::run_bb({"holders", path});
  EXPECT_NE(r.out.find("no process holds"), std::string::npos) << r.out;
}

TEST(Holders, ReadOnlyConnectionIsReportedAsRead) {
  test::TempDir d;
  std::string path = d / "r.db";
  { Db(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE).exec("CREATE TABLE t(x)"); }
  Db ro(path, SQLITE_OPEN_READONLY);
  ro.query_int("SELECT count(*) FROM t");
  auto hs = find_holders(path);
  ASSERT_EQ(hs.size(), 1u);
  EXPECT_EQ(hs[0].access, "read");
}

}  // namespace
}  // namespace bb
