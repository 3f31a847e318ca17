// What a newcomer meets first: usage without a command, "did you mean" for a
// typo, `help`, `--version`, typed flags with defaults, and a warning when a
// backup strategy is not safe for the database it is given.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/context.h"
#include "tests/test_support.h"

namespace bb {
namespace {

using test::run_bb;

TEST(CliManners, NoCommandPrintsTheUsageAndExits2) {
  auto r = run_bb({});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("usage: backup-bench COMMAND"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("compare"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("__worker"), std::string::npos) << "internal commands stay hidden";
  EXPECT_EQ(r.err.find("__merge"), std::string::npos);
}

TEST(CliManners, ATypoGetsADidYouMean) {
  auto r = run_bb({"runn"});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err.rfind("backup-bench: unknown command 'runn'; did you mean 'run'?\n", 0), 0u) << r.err;
  EXPECT_NE(r.err.find("usage:"), std::string::npos);
  EXPECT_NE(run_bb({"comapre"}).err.find("did you mean 'compare'?"), std::string::npos);
  EXPECT_NE(run_bb({"valid"}).err.find("did you mean 'validate'?"), std::string::npos);
  auto far = run_bb({"frobnicate"});
  EXPECT_EQ(far.code, 2);
  EXPECT_EQ(far.err.find("did you mean"), std::string::npos) << far.err;
}

TEST(CliManners, HelpPrintsTheUsageOrACommandsOptions) {
  auto r = run_bb({"help"});
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("usage: backup-bench COMMAND"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("exit codes:"), std::string::npos);
  auto run = run_bb({"help", "run"});
  EXPECT_EQ(run.code, 0);
  EXPECT_NE(run.out.find("--repeat INT=3"), std::string::npos) << run.out;  // the default preset's
  EXPECT_EQ(run_bb({"help", "runn"}).code, 2);
}

TEST(CliManners, RunFlagsAreTypedWithTheirDefaults) {
  auto r = run_bb({"run", "--help"});
  EXPECT_EQ(r.code, 0);
  EXPECT_EQ(r.out.find("TEXT"), std::string::npos) << "every flag has a type of its own:\n" << r.out;
  for (auto* want : {"--modes MODE[,MODE...]=wal,delete", "--db-mb MB[,MB...]=64", "--writers INT[,INT...]=2",
                     "--readers INT=1", "--rate TX/S|auto=auto", "--seed INT=1", "--strategies NAME[,NAME...]|all=all"})
    EXPECT_NE(r.out.find(want), std::string::npos) << want << "\n" << r.out;
  // The option table's help text, not a second copy of it.
  EXPECT_NE(r.out.find("database sizes in MB (a list makes a matrix axis)"), std::string::npos) << r.out;
}

TEST(CliManners, VersionNamesTheToolAndTheSqliteLibrary) {
  auto r = run_bb({"--version"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("backup-bench ", 0), 0u) << r.out;
  EXPECT_NE(r.out.find("SQLite " + sqlite_version()), std::string::npos) << r.out;
  if (std::filesystem::exists(std::string(BB_SOURCE_DIR) + "/.git")) {
    EXPECT_NE(r.out.find("(git "), std::string::npos) << "built from a checkout: " << r.out;
  }
}

TEST(CliManners, AnUnsafeStrategyForTheSourceWarnsInOneLine) {
  test::TempDir d;
  const std::string src = test::test_data("chinook.sqlite");  // rollback journal
  auto raw = run_bb({"backup", "--strategy", "raw-copy", src, d / "raw.db"});
  EXPECT_EQ(raw.code, 0) << raw.err;
  EXPECT_EQ(raw.err.rfind("backup-bench: warning: raw-copy is not expected to give a consistent copy", 0), 0u)
      << raw.err;
  EXPECT_EQ(std::count(raw.err.begin(), raw.err.end(), '\n'), 1) << raw.err;
  auto online = run_bb({"backup", "--strategy", "online", src, d / "online.db"});
  EXPECT_EQ(online.code, 0);
  EXPECT_EQ(online.err, "") << "a safe strategy says nothing";
  // exclusive-copy is safe for a rollback-journal source, not for a WAL one.
  auto excl = run_bb({"backup", "--strategy", "exclusive-copy", src, d / "excl.db"});
  EXPECT_EQ(excl.err, "");
  test::run_sh("cp " + test::sh_quote(src) + " " + d / "wal.db && sqlite3 " + d / "wal.db" +
               " 'PRAGMA journal_mode=WAL;'");
  auto wal = run_bb({"backup", "--strategy", "exclusive-copy", d / "wal.db", d / "excl-wal.db"});
  EXPECT_NE(wal.err.find("warning: exclusive-copy is not expected to give a consistent copy of a WAL-mode database"),
            std::string::npos)
      << wal.err;
}

TEST(CliManners, MergeWritesOneResultsFileFromShards) {
  test::TempDir d;
  auto run = nlohmann::json::parse(test::read_file(test::test_data("compare-fixture/results.json")));
  auto r = run_bb({"__merge", d / "merged.json", test::test_data("compare-fixture")});
  EXPECT_EQ(r.code, 0) << r.err;
  auto m = nlohmann::json::parse(test::read_file(d / "merged.json"));
  EXPECT_EQ(m["trials"].size(), run["trials"].size());
  EXPECT_FALSE(m["summary"].empty());
  EXPECT_EQ(run_bb({"__merge", d / "m2.json", d / "missing"}).code, 2);
}

}  // namespace
}  // namespace bb
