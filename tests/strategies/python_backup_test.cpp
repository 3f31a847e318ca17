// python-backup standalone: Python's sqlite3 backup() gives an identical copy,
// reports the Python and SQLite it ran with, steps as asked, and leaves a WAL
// source's files as they were; litestream, which needs a trial, is skipped
// standalone with its reason.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "strategies/strategy.h"
#include "tests/strategies/strategy_test_support.h"

namespace fs = std::filesystem;

namespace bb {
namespace {

using test::run_bb;
using test::TempDir;

bool no_python() { return access("/usr/bin/python3", X_OK) != 0; }

TEST(PythonBackup, CopiesIdenticallyAndSaysWhichPythonAndSqliteItRanWith) {
  if (no_python()) GTEST_SKIP() << "no /usr/bin/python3";
  TempDir d;
  const std::string src = d / "src.db", dest = d / "copy.db";
  test::make_chinook(src, 4096, "delete");
  auto r = run_bb({"backup", "--strategy", "python-backup", src, dest});
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["status"], "completed");
  EXPECT_EQ(j["params"]["pages"], "-1");
  EXPECT_EQ(j["params"]["sleep_ms"], "250");
  EXPECT_EQ(j["steps"], 1);  // pages=-1: the whole database in one step
  EXPECT_FALSE(j["extra"]["python_version"].get<std::string>().empty());
  EXPECT_FALSE(j["extra"]["python_sqlite_version"].get<std::string>().empty());
  EXPECT_TRUE(test::sqldiff(src, dest).out.empty());
  EXPECT_EQ(test::integrity(dest), "ok");
}

TEST(PythonBackup, PagesStepsThroughTheDatabase) {
  if (no_python()) GTEST_SKIP() << "no /usr/bin/python3";
  TempDir d;
  const std::string src = d / "src.db", dest = d / "copy.db";
  test::make_chinook(src, 4096, "wal");
  auto r = run_bb({"backup", "--strategy", "python-backup", "--opt", "pages=10", src, dest});
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  auto j = nlohmann::json::parse(r.out);
  const int64_t pages = int64_t(fs::file_size(src) / 4096);
  EXPECT_GE(j["steps"].get<int64_t>(), pages / 10);
  EXPECT_TRUE(test::sqldiff(src, dest).out.empty());
}

TEST(PythonBackup, AWalSourceWithCommittedFramesKeepsItsFiles) {
  if (no_python()) GTEST_SKIP() << "no /usr/bin/python3";
  TempDir d;
  const std::string src = d / "src.db", dest = d / "copy.db";
  test::make_chinook(src, 4096, "wal");
  {
    test::ShellHolder h(src);
    h.run("PRAGMA wal_autocheckpoint=0; CREATE TABLE only_in_wal(x); INSERT INTO only_in_wal VALUES (1);");
    // The holder stays open while the backup runs, then exits without checkpointing.
    h.run("SELECT 1;");
    const auto wal_before = test::file_hash(src + "-wal"), db_before = test::file_hash(src);
    auto r = run_bb({"backup", "--strategy", "python-backup", src, dest});
    ASSERT_EQ(r.code, 0) << r.out << r.err;
    EXPECT_EQ(test::file_hash(src + "-wal"), wal_before);
    EXPECT_EQ(test::file_hash(src), db_before);
  }
  EXPECT_EQ(test::integrity(dest), "ok");
}

TEST(Litestream, StandaloneItIsSkippedWithTheReason) {
  TempDir d;
  const std::string src = d / "src.db";
  test::make_chinook(src, 4096, "wal");
  auto r = run_bb({"backup", "--strategy", "litestream", src, d / "copy.db"});
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["status"], "skipped");
  EXPECT_NE(j["error"].get<std::string>().find("runs in a trial"), std::string::npos) << j["error"];
  EXPECT_FALSE(fs::exists(d / "copy.db"));
  // In a rollback mode the reason is the mode, in a trial or not.
  EXPECT_NE(find_strategy("litestream")->skip_reason("delete", true).find("WAL mode"), std::string::npos);
}

TEST(Litestream, WithoutTheBinaryItIsSkippedWithTheReason) {
  setenv("BB_LITESTREAM", "/nonexistent/litestream", 1);
  const std::string why = find_strategy("litestream")->skip_reason("wal", true);
  unsetenv("BB_LITESTREAM");
  EXPECT_NE(why.find("no Litestream v0.3.13 at /nonexistent/litestream (scripts/setup installs it)"),
            std::string::npos)
      << why;
}

}  // namespace
}  // namespace bb
