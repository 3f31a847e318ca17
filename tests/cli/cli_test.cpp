// Bad input gets one clear line naming the problem and exit code 2.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "tests/test_support.h"

namespace bb {
namespace {

using test::run_bb;

void expect_usage_error(const std::vector<std::string>& args, const std::string& needle) {
  auto r = run_bb(args);
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find(needle), std::string::npos) << "stderr: " << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << "not one line: " << r.err;
}

TEST(Cli, RunRejectsBadInput) {
  test::TempDir d;
  expect_usage_error({"run", "--preset", "quick", "--strategies", "bogus", "--out", d.path()}, "bogus");
  expect_usage_error({"run", "--preset", "quick", "--modes", "wal,journal", "--out", d.path()}, "journal");
  expect_usage_error({"run", "--preset", "quick", "--db-mb", "0", "--out", d.path()}, "db_mb");
  expect_usage_error({"run", "--preset", "quick", "--writers", "-2", "--out", d.path()}, "writers");
  expect_usage_error({"run", "--preset", "quick", "--repeat", "abc", "--out", d.path()}, "repeat");
  expect_usage_error({"run", "--preset", "nope", "--out", d.path()}, "nope");
  expect_usage_error({"run", "--scenario", d / "missing.toml"}, "missing.toml");
  expect_usage_error({"run", "--preset", "quick", "--shard", "3/3", "--out", d.path()}, "shard");
}

TEST(Cli, RunRejectsAnUnwritableOutFolder) {
  test::TempDir d;
  test::run_sh("touch " + d / "file");
  expect_usage_error({"run", "--preset", "quick", "--out", d / "file/sub"}, "file/sub");
  if (geteuid() != 0) {  // root writes anywhere
    test::run_sh("mkdir " + d / "ro && chmod 500 " + d / "ro");
    expect_usage_error({"run", "--preset", "quick", "--out", d / "ro"}, "not writable");
  }
}

TEST(Cli, BackupRejectsBadInput) {
  test::TempDir d;
  std::string src = test::test_data("chinook.sqlite");
  expect_usage_error({"backup", "--strategy", "online", d / "missing.db", d / "out.db"}, "does not exist");
  test::run_sh("head -c 5000 /dev/urandom > " + d / "junk.db");
  expect_usage_error({"backup", "--strategy", "online", d / "junk.db", d / "out.db"}, "not an SQLite database");
  expect_usage_error({"backup", "--strategy", "online", src, d / "nodir/out.db"}, "does not exist");
  expect_usage_error({"backup", "--strategy", "nope", src, d / "out.db"}, "nope");
  expect_usage_error({"backup", "--strategy", "online", "--opt", "pagez=5", src, d / "out.db"}, "pagez");
  expect_usage_error({"backup", "--strategy", "online", "--opt", "pages=lots", src, d / "out.db"}, "lots");
  EXPECT_FALSE(std::filesystem::exists(d / "out.db"));
}

TEST(Cli, ValidateRejectsBadInput) {
  test::TempDir d;
  expect_usage_error({"validate", d / "missing.db"}, "does not exist");
  expect_usage_error({"validate", d.path()}, "is a directory");
  expect_usage_error({"validate", "--workload", "nope", test::test_data("chinook.sqlite")}, "nope");
}

}  // namespace
}  // namespace bb
