// The `incremental` strategy, run through the second build (an SQLite with
// sqlite_dbpage; skipped with the reason when there is none): whatever the
// previous backup at the destination is (missing, older, newer, corrupt, not an
// SQLite file, another page size), the result holds exactly the source's pages,
// the same content as a fresh `online` backup of the same state, and only pages
// that differ are written.
#include <fcntl.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "core/clock.h"
#include "core/process.h"
#include "core/shared_state.h"
#include "core/sqlite_db.h"
#include "tests/strategies/strategy_test_support.h"
#include "tests/test_support.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace bb {
namespace {

using test::TempDir;

// Skips unless the second build exists and has sqlite_dbpage.
#define SKIP_WITHOUT_DBPAGE_BUILD() \
  if (auto why = dbpage_build_missing(); !why.empty()) GTEST_SKIP() << why

std::string dbpage_build_missing() {
  if (std::string(BB_SQLITE2_BINARY).empty())
    return "no second SQLite build with sqlite_dbpage: ../shared/sqlite/3.50.4 was absent at configure time "
           "and BB_EXTRA_SQLITE is empty";
  static const bool has = [] {
    auto r = test::run_sh(test::sh_quote(BB_SQLITE2_BINARY) + " __sqlite-info");
    return r.code == 0 && json::parse(r.out).value("dbpage", false);
  }();
  return has ? "" : std::string(BB_SQLITE2_BINARY) + " has no sqlite_dbpage";
}

test::CmdResult run_bb2(const std::vector<std::string>& args) {
  std::string cmd = test::sh_quote(BB_SQLITE2_BINARY);
  for (auto& a : args) cmd += " " + test::sh_quote(a);
  return test::run_sh(cmd);
}

// `incremental` from src to dest; the outcome's extra facts (asserts completion).
json incremental(const std::string& src, const std::string& dest, std::vector<std::string> opts = {}) {
  std::vector<std::string> args{"backup", "--strategy", "incremental"};
  for (auto& o : opts) {
    args.push_back("--opt");
    args.push_back(o);
  }
  args.push_back(src);
  args.push_back(dest);
  auto r = run_bb2(args);
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  json j = json::parse(r.out);
  EXPECT_EQ(j["status"], "completed") << r.out;
  return j["extra"];
}

std::vector<std::string> file_pages(const std::string& path, size_t page_size) {
  std::string all = test::read_file(path);
  std::vector<std::string> out;
  for (size_t off = 0; off < all.size(); off += page_size) out.push_back(all.substr(off, page_size));
  return out;
}

size_t page_size_of(const std::string& path) {
  std::string h = test::read_file(path).substr(0, 100);
  size_t ps = (size_t(uint8_t(h[16])) << 8) | uint8_t(h[17]);
  return ps == 1 ? 65536 : ps;
}

// Compares two single-file databases page by page (for a file without a WAL its
// pages are what sqlite_dbpage returns). On page 1 the header fields a writer
// updates are left out: change counter (24), schema cookie (40),
// version-valid-for and the writing library's version (92..99).
void expect_same_pages(const std::string& a, const std::string& b, bool whole_header) {
  const size_t ps = page_size_of(a);
  ASSERT_EQ(page_size_of(b), ps);
  auto pa = file_pages(a, ps), pb = file_pages(b, ps);
  ASSERT_EQ(pa.size(), pb.size()) << "page counts differ";
  for (size_t i = 0; i < pa.size(); ++i) {
    std::string x = pa[i], y = pb[i];
    if (i == 0 && !whole_header)
      for (auto [off, len] : {std::pair{24, 4}, {40, 4}, {92, 8}}) {
        x.replace(off, len, len, '\0');
        y.replace(off, len, len, '\0');
      }
    ASSERT_TRUE(x == y) << "page " << i + 1 << " differs";
  }
}

// The checks every result gets: the same pages as a fresh online backup of the
// same source state (by the main build), sqldiff-identical, integrity ok.
void expect_like_online(const std::string& src, const std::string& inc, const TempDir& d) {
  const std::string online = d / "online-check.db";
  fs::remove(online);
  auto r = test::run_bb({"backup", "--strategy", "online", src, online});
  ASSERT_EQ(r.code, 0) << r.err;
  expect_same_pages(online, inc, false);
  auto diff = test::sqldiff(src, inc);
  EXPECT_EQ(diff.code, 0) << diff.err;
  EXPECT_EQ(diff.out, "");
  EXPECT_EQ(test::integrity(inc), "ok");
}

// A delete-mode database of `rows` rows of 1000-byte blobs (4 rows a 4 KB page).
void make_db(const std::string& path, int rows, const std::string& mode = "delete") {
  Db db(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  db.query_text("PRAGMA journal_mode = " + mode);
  db.exec(
      fmt::format("CREATE TABLE t(id INTEGER PRIMARY KEY, v BLOB);"
                  "INSERT INTO t(v) WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {}) "
                  "SELECT randomblob(1000) FROM n",
                  rows));
}

void sql(const std::string& path, const std::string& statements) {
  Db db(path, SQLITE_OPEN_READWRITE);
  db.exec(statements);
}

int64_t differing_pages(const std::string& a, const std::string& b) {
  const size_t ps = page_size_of(a);
  auto pa = file_pages(a, ps), pb = file_pages(b, ps);
  int64_t n = 0;
  for (size_t i = 0; i < pb.size(); ++i) n += i >= pa.size() || pa[i] != pb[i];
  return n;
}

TEST(Incremental, MissingDestinationIsAFullWriteOfTheSourcesPages) {
  SKIP_WITHOUT_DBPAGE_BUILD();
  TempDir d;
  for (const std::string mode : {"delete", "wal"}) {
    SCOPED_TRACE(mode);
    const std::string src = d / (mode + ".db"), dest = d / (mode + "-backup.db");
    make_db(src, 600, mode);
    const uint64_t before = test::file_hash(src);
    json x = incremental(src, dest);
    EXPECT_EQ(x["fallback"], "missing");
    EXPECT_EQ(x["base"], "none");
    EXPECT_EQ(x["pages_compared"], 0);
    EXPECT_EQ(x["pages_written"], x["pages"]);
    EXPECT_EQ(x["bytes_written"], x["pages"].get<int64_t>() * x["page_size"].get<int64_t>());
    expect_like_online(src, dest, d);
    if (mode == "delete") expect_same_pages(src, dest, true);  // the source's file, byte for byte
    EXPECT_EQ(test::file_hash(src), before) << "the source changed";
  }
}

TEST(Incremental, OlderDestinationGetsOnlyTheChangedAndNewPages) {
  SKIP_WITHOUT_DBPAGE_BUILD();
  TempDir d;
  const std::string src = d / "src.db", dest = d / "backup.db", old = d / "old-src.db";
  make_db(src, 2000);
  incremental(src, dest);
  fs::copy_file(src, old);
  sql(src,
      "UPDATE t SET v = randomblob(1000) WHERE id IN (10, 900, 1700);"
      "INSERT INTO t(v) SELECT randomblob(1000) FROM t LIMIT 100");
  json x = incremental(src, dest);
  EXPECT_TRUE(x["fallback"].is_null()) << x.dump();
  EXPECT_TRUE(x["base"] == "copy" || x["base"] == "reflink") << x["base"];
  EXPECT_EQ(x["pages_written"], differing_pages(old, src));
  EXPECT_LT(x["pages_written"].get<int64_t>(), x["pages"].get<int64_t>() / 10);
  expect_same_pages(src, dest, true);
  expect_like_online(src, dest, d);
}

TEST(Incremental, NewerDestinationWithMorePagesIsTruncated) {
  SKIP_WITHOUT_DBPAGE_BUILD();
  TempDir d;
  const std::string src = d / "src.db", dest = d / "backup.db";
  make_db(src, 2000);
  incremental(src, dest);
  const int64_t before_pages = int64_t(fs::file_size(dest) / 4096);
  sql(src, "DELETE FROM t WHERE id > 1200; VACUUM");
  json x = incremental(src, dest);
  EXPECT_TRUE(x["fallback"].is_null());
  EXPECT_EQ(x["pages_truncated"], before_pages - x["pages"].get<int64_t>());
  EXPECT_GT(x["pages_truncated"].get<int64_t>(), 0);
  EXPECT_EQ(int64_t(fs::file_size(dest)), x["pages"].get<int64_t>() * 4096);
  expect_same_pages(src, dest, true);
  expect_like_online(src, dest, d);
}

TEST(Incremental, CorruptPagesAndARaggedTailAreRewritten) {
  SKIP_WITHOUT_DBPAGE_BUILD();
  TempDir d;
  const std::string src = d / "src.db", dest = d / "backup.db";
  make_db(src, 2000);
  incremental(src, dest);
  {
    // Garbage over pages 5 and 300..302, and a torn last page.
    int fd = open(dest.c_str(), O_WRONLY);
    std::string junk(4096, '\x5a');
    ASSERT_EQ(pwrite(fd, junk.data(), junk.size(), 4 * 4096), 4096);
    for (int p = 299; p < 302; ++p) ASSERT_EQ(pwrite(fd, junk.data(), junk.size(), off_t(p) * 4096), 4096);
    ASSERT_EQ(ftruncate(fd, off_t(fs::file_size(dest)) - 1000), 0);
    close(fd);
  }
  EXPECT_NE(test::integrity(dest), "ok");
  json x = incremental(src, dest);
  EXPECT_TRUE(x["fallback"].is_null());
  EXPECT_EQ(x["pages_written"], 5);  // four overwritten pages and the torn one
  expect_same_pages(src, dest, true);
  expect_like_online(src, dest, d);
}

TEST(Incremental, NotAnSqliteFileOrAnotherPageSizeFallsBackToAFullWrite) {
  SKIP_WITHOUT_DBPAGE_BUILD();
  TempDir d;
  const std::string src = d / "src.db";
  make_db(src, 400);
  struct Case {
    std::string name, fallback;
    std::function<void(const std::string&)> make;
  };
  std::vector<Case> cases{
      {"text", "not_sqlite", [](const std::string& p) { std::ofstream(p) << std::string(20000, 'x'); }},
      {"empty", "empty", [](const std::string& p) { std::ofstream{p}; }},
      {"page-size", "page_size", [&](const std::string& p) { test::make_chinook(p, 8192, "delete"); }}};
  for (auto& c : cases) {
    SCOPED_TRACE(c.name);
    const std::string dest = d / (c.name + ".db");
    c.make(dest);
    json x = incremental(src, dest);
    EXPECT_EQ(x["fallback"], c.fallback);
    EXPECT_TRUE(x["fallback_detail"].is_string());
    EXPECT_EQ(x["pages_compared"], 0);
    EXPECT_EQ(x["pages_written"], x["pages"]);
    expect_same_pages(src, dest, true);
    expect_like_online(src, dest, d);
  }
}

TEST(Incremental, UnchangedSourceWritesNoPage) {
  SKIP_WITHOUT_DBPAGE_BUILD();
  TempDir d;
  for (const std::string mode : {"delete", "wal"}) {
    SCOPED_TRACE(mode);
    const std::string src = d / (mode + ".db"), dest = d / (mode + "-backup.db");
    make_db(src, 1000, mode);
    incremental(src, dest);
    for (const std::string base : {"clone", "move"}) {
      json x = incremental(src, dest, {"base=" + base});
      EXPECT_EQ(x["pages_written"], 0);
      EXPECT_EQ(x["bytes_written"], 0);
      EXPECT_EQ(x["pages_compared"], x["pages"]);
      if (base == "move")
        EXPECT_EQ(x["base"], "move");
      else
        EXPECT_TRUE(x["base"] == "copy" || x["base"] == "reflink") << x["base"];
    }
    expect_like_online(src, dest, d);
  }
}

TEST(Incremental, OnePercentOfPagesChangedWritesAboutOnePercent) {
  SKIP_WITHOUT_DBPAGE_BUILD();
  TempDir d;
  const std::string src = d / "src.db", dest = d / "backup.db", old = d / "old.db";
  make_db(src, 8000);  // about 2,000 pages
  incremental(src, dest);
  fs::copy_file(src, old);
  // Every 300th row rewritten in place: one leaf page each, and page 1's counter.
  sql(src, "UPDATE t SET v = randomblob(1000) WHERE id % 300 = 0");
  json x = incremental(src, dest, {"base=move"});
  const double share = x["pages_written"].get<double>() / x["pages"].get<double>();
  EXPECT_EQ(x["pages_written"], differing_pages(old, src));
  EXPECT_GT(share, 0.005);
  EXPECT_LT(share, 0.02);
  EXPECT_EQ(x["bytes_written"], x["pages_written"].get<int64_t>() * 4096);
  expect_same_pages(src, dest, true);
  expect_like_online(src, dest, d);
}

TEST(Incremental, EveryCompareBatchAndBaseGivesTheSameResult) {
  SKIP_WITHOUT_DBPAGE_BUILD();
  TempDir d;
  const std::string src = d / "src.db", first = d / "first.db";
  make_db(src, 1500);
  incremental(src, first);
  sql(src,
      "UPDATE t SET v = randomblob(1000) WHERE id % 97 = 0; INSERT INTO t(v) SELECT randomblob(1000) FROM t LIMIT 50");
  int64_t expect_written = -1;
  for (const std::string compare : {"bytes", "xxh3"})
    for (const std::string batch : {"1", "7", "256", "-1"})
      for (const std::string base : {"clone", "move"}) {
        SCOPED_TRACE(compare + " batch=" + batch + " base=" + base);
        const std::string dest = d / "dest.db";
        fs::copy_file(first, dest, fs::copy_options::overwrite_existing);
        json x = incremental(src, dest, {"compare=" + compare, "batch=" + batch, "base=" + base});
        if (expect_written < 0) expect_written = x["pages_written"];
        EXPECT_EQ(x["pages_written"], expect_written);
        expect_same_pages(src, dest, true);
      }
  EXPECT_GT(expect_written, 0);
}

TEST(Incremental, WalFramesHeldByAnotherConnectionAreInTheBackup) {
  SKIP_WITHOUT_DBPAGE_BUILD();
  TempDir d;
  const std::string src = d / "src.db", dest = d / "backup.db";
  make_db(src, 1000, "wal");
  incremental(src, dest);
  test::ShellHolder holder(src);  // keeps the WAL: its commits stay in src-wal
  holder.run(
      "PRAGMA wal_autocheckpoint = 0; UPDATE t SET v = randomblob(1000) WHERE id % 50 = 0;"
      "INSERT INTO t(v) SELECT randomblob(1000) FROM t LIMIT 40;");
  ASSERT_GT(fs::file_size(src + "-wal"), 0u);
  json x = incremental(src, dest);
  EXPECT_GT(x["pages_written"].get<int64_t>(), 20);
  expect_like_online(src, dest, d);
  EXPECT_EQ(holder.run("SELECT count(*) FROM t;"), "1040\n");
}

// Under a stream of write transactions in WAL mode, each backup is one snapshot:
// integrity ok and the invariant every transaction keeps (sum(v) of the ledger
// rows, and one log row per transfer).
TEST(Incremental, UnderWalLoadEveryBackupIsOneSnapshot) {
  SKIP_WITHOUT_DBPAGE_BUILD();
  TempDir d;
  const std::string src = d / "src.db", dest = d / "backup.db", script = d / "writes.sql";
  {
    Db db(src, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    db.query_text("PRAGMA journal_mode = wal");
    db.exec(
        "CREATE TABLE acct(id INTEGER PRIMARY KEY, bal INTEGER, pad BLOB);"
        "CREATE TABLE log(seq INTEGER PRIMARY KEY, amount INTEGER);"
        "INSERT INTO acct WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000) "
        "SELECT i, 100, randomblob(900) FROM n");
  }
  {
    std::ofstream f(script);
    f << ".timeout 5000\nPRAGMA synchronous = NORMAL;\n";
    for (int i = 1; i <= 4000; ++i) {
      int a = 1 + (i * 7919) % 2000, b = 1 + (i * 104729) % 2000;
      f << fmt::format(
          "BEGIN IMMEDIATE; UPDATE acct SET bal = bal - 1, pad = randomblob(900) WHERE id = {0};"
          "UPDATE acct SET bal = bal + 1, pad = randomblob(900) WHERE id = {1}; INSERT INTO log(amount) VALUES (1); "
          "COMMIT;\n",
          a, b);
    }
  }
  incremental(src, dest);
  pid_t writer = spawn("/bin/sh", {"-c", "exec sqlite3 -batch -init /dev/null " + test::sh_quote(src) + " < " +
                                             test::sh_quote(script) + " >/dev/null"});
  int during = 0;
  while (!try_wait(writer)) {
    incremental(src, dest);
    ++during;
    ASSERT_EQ(test::integrity(dest), "ok");
    Db b(dest, SQLITE_OPEN_READONLY);
    EXPECT_EQ(b.query_int("SELECT sum(bal) FROM acct"), 200000);
    EXPECT_EQ(b.query_int("SELECT count(*) FROM log"), b.query_int("SELECT coalesce(max(seq), 0) FROM log"));
  }
  EXPECT_GE(during, 2) << "the writer finished before two backups ran";
  incremental(src, dest);
  expect_like_online(src, dest, d);
  Db b(dest, SQLITE_OPEN_READONLY);
  EXPECT_EQ(b.query_int("SELECT count(*) FROM log"), 4000);
}

// A backup killed while it waits for the source's lock (after base=clone has
// cloned the previous backup; base=move renames it only once the snapshot is
// held) leaves the previous backup untouched, and the next backup completes.
TEST(Incremental, KilledWhileWaitingForTheSourceLeavesThePreviousBackup) {
  SKIP_WITHOUT_DBPAGE_BUILD();
  TempDir d;
  const std::string src = d / "src.db";
  make_db(src, 500);
  for (const std::string base : {"clone", "move"}) {
    SCOPED_TRACE(base);
    const std::string dest = d / (base + "-backup.db");
    incremental(src, dest);
    sql(src, "UPDATE t SET v = randomblob(1000) WHERE id % 10 = 0");
    const uint64_t previous = test::file_hash(dest);
    test::ShellHolder holder(src);
    holder.run("BEGIN EXCLUSIVE; UPDATE t SET v = zeroblob(1000) WHERE id = 1;");
    ShmSegment seg = ShmSegment::create(make_segment_name());
    pid_t pid = spawn(BB_SQLITE2_BINARY,
                      {"backup", "--strategy", "incremental", "--opt", "base=" + base, "--shm", seg.name(), src, dest},
                      {.stdout_path = d / "out.json"});
    const int64_t deadline = now_ns() + s_to_ns(30);
    while (seg.state()->backup.busy_retries.load() < 5 && now_ns() < deadline && !try_wait(pid))
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    ASSERT_GE(seg.state()->backup.busy_retries.load(), 5) << "the backup never waited for the lock";
    EXPECT_EQ(kill_and_wait(pid).signal, SIGKILL);
    EXPECT_EQ(test::file_hash(dest), previous) << "the previous backup changed";
    holder.run("ROLLBACK;");
    holder.finish();
    // The next backup removes the killed one's temporary and completes.
    json x = incremental(src, dest);
    EXPECT_TRUE(x["fallback"].is_null()) << x.dump();
    expect_same_pages(src, dest, true);
    for (auto& e : fs::directory_iterator(d.path()))
      EXPECT_EQ(e.path().filename().string().find(".partial"), std::string::npos) << e.path();
  }
}

}  // namespace
}  // namespace bb
