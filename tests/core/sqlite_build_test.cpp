// SQLite build facts: in this process (the system library, or whatever the main
// build links) and in the second build against an amalgamation
// (cmake/sqlite_builds.cmake), which must run the amalgamation's SQLite, with
// sqlite_dbpage, and nothing of the system library.
#include "core/sqlite_build.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "tests/test_support.h"

namespace fs = std::filesystem;

namespace bb {
namespace {

using test::run_sh;
using test::sh_quote;

#define SKIP_WITHOUT_SECOND_BUILD()                                                                   \
  if (std::string(BB_SQLITE2_BINARY).empty())                                                         \
  GTEST_SKIP() << "no second SQLite build: ../shared/sqlite/3.50.4 was absent at configure time and " \
                  "BB_EXTRA_SQLITE is empty"

TEST(SqliteBuild, InProcessFactsComeFromTheRunningLibrary) {
  SqliteBuild b = sqlite_build();
  EXPECT_EQ(b.version, sqlite3_libversion());
  EXPECT_EQ(b.source_id, sqlite3_sourceid());
  EXPECT_EQ(b.version_number, sqlite3_libversion_number());
  EXPECT_EQ(b.header_version, SQLITE_VERSION);
  EXPECT_FALSE(b.library.empty());
  EXPECT_TRUE(fs::exists(b.library)) << b.library;
  const bool compiled_in =
      std::find(b.compile_options.begin(), b.compile_options.end(), "ENABLE_DBPAGE_VTAB") != b.compile_options.end();
  EXPECT_EQ(b.dbpage, compiled_in) << "the probe disagrees with the compile options";
  EXPECT_EQ(has_dbpage(), b.dbpage);
}

TEST(SqliteBuild, SecondBuildRunsTheAmalgamationsSqliteWithDbpage) {
  SKIP_WITHOUT_SECOND_BUILD();
  auto r = run_sh(sh_quote(BB_SQLITE2_BINARY) + " __sqlite-info");
  ASSERT_EQ(r.code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["version"], BB_SQLITE2_VERSION);
  EXPECT_EQ(j["source_id"], BB_SQLITE2_SOURCE_ID);
  EXPECT_EQ(j["dbpage"], true);
  EXPECT_EQ(j["dbstat"], true);
  EXPECT_EQ(j["linked_statically"], true) << j.dump();
  EXPECT_EQ(fs::canonical(j["library"].get<std::string>()), fs::canonical(BB_SQLITE2_BINARY));
  // The code was compiled against the main build's sqlite3.h, whatever it runs on.
  EXPECT_EQ(j["header_version"], SQLITE_VERSION);

  // Nothing resolves to a shared SQLite: no libsqlite3 is loaded, and no sqlite3_
  // symbol is left undefined for the dynamic linker.
  auto ldd = run_sh("ldd " + sh_quote(BB_SQLITE2_BINARY));
  ASSERT_EQ(ldd.code, 0) << ldd.err;
  EXPECT_EQ(ldd.out.find("libsqlite3"), std::string::npos) << ldd.out;
  auto undef = run_sh("(nm -D --undefined-only " + sh_quote(BB_SQLITE2_BINARY) + " | grep -c ' sqlite3_' || true)");
  EXPECT_EQ(undef.out, "0\n");
}

TEST(SqliteBuild, SecondBuildsShellIsTheSameSqlite) {
  SKIP_WITHOUT_SECOND_BUILD();
  const std::string shell = (fs::path(BB_SQLITE2_BINARY).parent_path() / "sqlite3").string();
  if (!fs::exists(shell)) GTEST_SKIP() << "the amalgamation has no shell.c";
  auto v = run_sh(sh_quote(shell) + " --version");
  ASSERT_EQ(v.code, 0) << v.err;
  EXPECT_EQ(v.out.rfind(std::string(BB_SQLITE2_VERSION) + " " + BB_SQLITE2_SOURCE_ID, 0), 0u) << v.out;
  auto q = run_sh(sh_quote(shell) + " :memory: 'SELECT sqlite_version(), count(*) FROM sqlite_dbpage'");
  ASSERT_EQ(q.code, 0) << q.err;
  EXPECT_EQ(q.out, std::string(BB_SQLITE2_VERSION) + "|0\n");
  EXPECT_EQ(run_sh("(ldd " + sh_quote(shell) + " | grep -c libsqlite3 || true)").out, "0\n");
}

}  // namespace
}  // namespace bb
