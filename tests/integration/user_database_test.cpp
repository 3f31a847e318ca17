// `run --database FILE --workload-file W`: trials on copies of the user's own
// database under their own transactions; FILE and its sidecars are never
// written; every bad input is one line naming it, exit 2, before any trial and
// with no run folder left; `validate --workload-file` names a broken invariant.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>

#include "core/sqlite_db.h"
#include "tests/test_support.h"

namespace fs = std::filesystem;

namespace bb {
namespace {

const std::string kSales = std::string(BB_SOURCE_DIR) + "/scenarios/examples/chinook-sales.toml";

std::vector<std::string> short_run(const std::string& db, const std::string& workload, const std::string& out) {
  return {"run",   "--database", db,          "--workload-file", workload, "--strategies", "online",
          "--modes", "wal",      "--rate",    "20",  "--repeat", "1", "--set", "warmup_s=0.1", "--set",  "baseline_s=0.3",
          "--set", "cooldown_s=0.1", "--out", out};
}

std::string sha256(const std::string& path) {
  auto r = test::run_sh("sha256sum " + test::sh_quote(path));
  return r.out.substr(0, 64);
}

// The files of a database and its sidecars with their hashes ("" = absent).
std::map<std::string, std::string> hashes(const std::string& db) {
  std::map<std::string, std::string> h;
  for (std::string side : {"", "-wal", "-shm", "-journal"})
    h[side] = fs::exists(db + side) ? sha256(db + side) : "";
  return h;
}

class UserDatabase : public ::testing::Test {
 protected:
  // Each test's copy of Chinook is new data (a new template): its own cache
  // folder, removed with the test's, keeps them out of the user's cache.
  void SetUp() override {
    fs::copy_file(test::test_data("chinook.sqlite"), db_);
    setenv("BB_CACHE_DIR", (d_ / "cache").c_str(), 1);  // the binary's children inherit it
  }
  void TearDown() override { unsetenv("BB_CACHE_DIR"); }
  std::string workload(const std::string& text) {
    std::ofstream(d_ / "w.toml") << text;
    return d_ / "w.toml";
  }
  // The run is refused: exit 2, one line naming `expect`, no run folder.
  void expect_refused(const std::vector<std::string>& args, const std::string& expect) {
    auto r = test::run_bb(args);
    EXPECT_EQ(r.code, 2) << r.err;
    EXPECT_NE(r.err.find(expect), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_FALSE(fs::exists(d_ / "out")) << "a refused run left its folder";
  }
  void expect_bad_workload(const std::string& text, const std::string& expect) {
    expect_refused(short_run(db_, workload(text), d_ / "out"), d_ / "w.toml" + expect);
  }
  test::TempDir d_;
  std::string db_ = d_ / "chinook.sqlite";
};

TEST_F(UserDatabase, ChinookSalesRunsOkAndNamesTheDatabaseAndWorkload) {
  const auto before = hashes(db_);
  auto args = short_run(db_, kSales, d_ / "out");
  args[6] = "online,vacuum-into";
  args[8] = "wal,delete";
  auto r = test::run_bb(args);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(hashes(db_), before);
  auto j = nlohmann::json::parse(test::read_file(d_ / "out/results.json"));
  EXPECT_EQ(j["database"]["file"], "chinook.sqlite");
  EXPECT_EQ(j["database"]["bytes"], fs::file_size(db_));
  EXPECT_EQ(j["database"]["page_size"], 4096);
  EXPECT_EQ(j["database"]["tables"], 11);
  EXPECT_GT(j["database"]["indices"].get<int>(), 0);
  EXPECT_EQ(j["workload_file"]["name"], "chinook-sales.toml");
  EXPECT_EQ(j["workload_file"]["hash"].get<std::string>().size(), 16u);
  ASSERT_EQ(j["trials"].size(), 4u);
  for (auto& t : j["trials"]) {
    EXPECT_EQ(t["verdict"]["status"], "OK") << t["verdict"]["detail"];
    EXPECT_TRUE(t["verdict"]["checks"]["invoice_totals"].get<bool>());
    EXPECT_TRUE(t["verdict"]["checks"]["seq_gapless"].get<bool>());
    EXPECT_GT(t["verdict"]["snapshot_seq"].get<int64_t>(), 0);
    EXPECT_GT(t["workload_kinds"]["sale"]["commits"].get<int64_t>(), 0);
  }
}

// FILE in WAL mode with committed frames in its -wal (no -shm): neither it nor
// its -wal changes, and no -shm appears. (Rollback mode: the test above.)
TEST_F(UserDatabase, AWalModeFileWithItsWalIsNeverWritten) {
  const std::string live = d_ / "live.sqlite", src = d_ / "wal.sqlite";
  fs::copy_file(db_, live);
  {
    Db db(live, SQLITE_OPEN_READWRITE);
    db.exec("PRAGMA journal_mode = WAL; PRAGMA wal_autocheckpoint = 0");
    db.exec("UPDATE Customer SET Company = 'changed in the wal' WHERE CustomerId = 1");
    // Copied while the connection is open: a -wal with a committed frame.
    fs::copy_file(live, src);
    fs::copy_file(live + "-wal", src + "-wal");
  }
  ASSERT_GT(fs::file_size(src + "-wal"), 0u);
  const auto before = hashes(src);
  auto r = test::run_bb(short_run(src, kSales, d_ / "out"));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(hashes(src), before);
  auto j = nlohmann::json::parse(test::read_file(d_ / "out/results.json"));
  EXPECT_EQ(j["database"]["journal_mode"], "wal");
  EXPECT_GT(j["database"]["wal_bytes"].get<int64_t>(), 0);
  EXPECT_EQ(j["trials"][0]["verdict"]["status"], "OK");
}

// A transaction the application's own schema refuses is counted and named per
// kind, not a harness failure.
TEST_F(UserDatabase, ConstraintErrorsAreCountedPerKind) {
  const std::string w = workload(
      "[params.g]\nint = [1, 25]\n"
      "[[writer]]\nname = \"rename\"\nsql = \"UPDATE Genre SET Name = Name WHERE GenreId = :g\"\n"
      "[[writer]]\nname = \"duplicate\"\nsql = \"INSERT INTO Genre(GenreId, Name) VALUES (:g, 'again')\"\n");
  auto r = test::run_bb(short_run(db_, w, d_ / "out"));
  ASSERT_EQ(r.code, 0) << r.err;
  auto j = nlohmann::json::parse(test::read_file(d_ / "out/results.json"));
  auto& t = j["trials"][0];
  EXPECT_TRUE(t["harness_error"].is_null());
  EXPECT_EQ(t["verdict"]["status"], "OK") << t["verdict"]["detail"];
  // (Its load may be unsteady: a rolled-back transaction is not a commit.)
  EXPECT_GT(t["workload_kinds"]["duplicate"]["constraint_errors"].get<int64_t>(), 0);
  EXPECT_EQ(t["workload_kinds"]["duplicate"]["commits"], 0);
  EXPECT_GT(t["workload_kinds"]["rename"]["commits"].get<int64_t>(), 0);
  EXPECT_NE(t["workload_kinds"]["duplicate"]["last_error"].get<std::string>().find("UNIQUE constraint failed"),
            std::string::npos);
  EXPECT_NE(r.err.find("writer kind 'duplicate':"), std::string::npos) << r.err;
}

TEST_F(UserDatabase, SqlThatDoesNotPrepare) {
  expect_bad_workload("[[writer]]\nname = \"w\"\nsql = \"INSERT INTO Nope VALUES (1)\"\n",
                      ":3: writer 'w' statement 1: does not prepare: no such table: Nope");
}

TEST_F(UserDatabase, UnknownParameter) {
  expect_bad_workload("[[writer]]\nname = \"w\"\nsql = \"UPDATE Track SET Name = 'x' WHERE TrackId = :track\"\n",
                      ":3: writer 'w' statement 1: uses :track, which no [params] defines");
}

TEST_F(UserDatabase, PickWithoutRows) {
  expect_bad_workload("[params.c]\npick = \"SELECT CustomerId FROM Customer WHERE 0\"\n[[writer]]\nsql = "
                      "\"UPDATE Customer SET Company = 'x' WHERE CustomerId = :c\"\n",
                      ":1: [params.c] pick returns no rows");
}

TEST_F(UserDatabase, InvariantAlreadyFalseOnTheDatabase) {
  expect_bad_workload("[[writer]]\nsql = \"UPDATE Genre SET Name = Name WHERE GenreId = 1\"\n[[invariant]]\nname = "
                      "\"no_rock\"\nsql = \"SELECT count(*) = 0 FROM Genre WHERE Name = 'Rock'\"\n",
                      ":5: invariant 'no_rock' is already false on chinook.sqlite itself");
}

TEST_F(UserDatabase, AttachIsRefused) {
  expect_bad_workload("[[writer]]\nsql = \"ATTACH 'other.db' AS o\"\n", ":2: writer 'writer1' statement 1: not allowed");
}

TEST_F(UserDatabase, DetachIsRefused) {
  expect_bad_workload("[[writer]]\nsql = \"DETACH o\"\n", ":2: writer 'writer1' statement 1: not allowed");
}

TEST_F(UserDatabase, VacuumIsRefused) {
  expect_bad_workload("[[writer]]\nsql = \"\"\"\nUPDATE Genre SET Name = Name;\nVACUUM;\n\"\"\"\n",
                      ":4: writer 'writer1' statement 2: VACUUM rewrites the database file");
}

TEST_F(UserDatabase, FileChangingPragmaIsRefused) {
  expect_bad_workload("[[writer]]\nsql = \"PRAGMA journal_mode = DELETE\"\n",
                      ":2: writer 'writer1' statement 1: not allowed in a workload: PRAGMA journal_mode");
}

TEST_F(UserDatabase, WriterWithoutStatements) {
  expect_bad_workload("[[writer]]\nname = \"empty\"\nsql = \"\"\n", ":1: [[writer]] 'empty' has no statements");
}

TEST_F(UserDatabase, WeightNotPositive) {
  expect_bad_workload("[[writer]]\nweight = -1\nsql = \"UPDATE Genre SET Name = Name\"\n",
                      ":2: [[writer]] weight -1 is not positive");
}

TEST_F(UserDatabase, DbMbWithDatabase) {
  auto args = short_run(db_, kSales, d_ / "out");
  args.insert(args.end(), {"--db-mb", "4"});
  expect_refused(args, "--db-mb and --database");
}

TEST_F(UserDatabase, NotSqlite) {
  std::ofstream(d_ / "text.db") << std::string(5000, 'x');
  expect_refused(short_run(d_ / "text.db", kSales, d_ / "out"), "not an SQLite database");
}

TEST_F(UserDatabase, Encrypted) {
  // What SQLCipher and the like leave on disk: no header, random-looking bytes.
  std::mt19937_64 rng(5);
  std::string bytes(65536, '\0');
  for (auto& b : bytes) b = char(rng());
  std::ofstream(d_ / "enc.db", std::ios::binary) << bytes;
  expect_refused(short_run(d_ / "enc.db", kSales, d_ / "out"), "looks encrypted");
}

TEST_F(UserDatabase, FailsIntegrityCheck) {
  // An index whose entries no longer match its table: readable, but not ok.
  {
    Db db(db_, SQLITE_OPEN_READWRITE);
    db.exec("PRAGMA writable_schema = ON; UPDATE sqlite_schema SET sql = replace(sql, '([CustomerId])', "
            "'([Total])') WHERE name = 'IFK_InvoiceCustomerId'; PRAGMA writable_schema = OFF");
  }
  expect_refused(short_run(db_, kSales, d_ / "out"), "integrity_check fails");
}

TEST_F(UserDatabase, LockedByAnotherProcess) {
  // Another process holds a write transaction open until told to end.
  int ready[2], done[2];
  ASSERT_EQ(pipe(ready), 0);
  ASSERT_EQ(pipe(done), 0);
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    // Only its own ends: the parent closing `done` must reach it as EOF.
    close(ready[0]);
    close(done[1]);
    char c = 1;
    Db db(db_, SQLITE_OPEN_READWRITE);
    db.exec("BEGIN IMMEDIATE; UPDATE Genre SET Name = Name");
    if (write(ready[1], &c, 1) != 1 || read(done[0], &c, 1) < 0) _exit(1);
    _exit(0);
  }
  close(ready[1]);
  close(done[0]);
  char c = 0;
  ASSERT_EQ(read(ready[0], &c, 1), 1);
  expect_refused(short_run(db_, kSales, d_ / "out"), "holds it locked for writing");
  close(done[1]);
  int status = 0;
  waitpid(pid, &status, 0);
}

TEST_F(UserDatabase, ValidateNamesTheBrokenInvariant) {
  const std::string snap = d_ / "snap.db";
  ASSERT_EQ(test::run_bb({"backup", "--strategy", "online", db_, snap}).code, 0);
  auto ok = test::run_bb({"validate", "--workload-file", kSales, snap});
  EXPECT_EQ(ok.code, 0) << ok.out << ok.err;
  {
    Db db(snap, SQLITE_OPEN_READWRITE);
    db.exec("UPDATE Invoice SET Total = Total + 1 WHERE InvoiceId = 7");
  }
  auto r = test::run_bb({"validate", "--workload-file", kSales, snap});
  EXPECT_EQ(r.code, 1);
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["status"], "INCONSISTENT");
  EXPECT_FALSE(j["checks"]["invoice_totals"].get<bool>());
  EXPECT_TRUE(j["checks"]["no_orphan_lines"].get<bool>());
  const std::string detail = j["detail"];
  EXPECT_NE(detail.find("invariant 'invoice_totals' is false: SELECT count(*) = 0 FROM Invoice i"), std::string::npos)
      << detail;
}

}  // namespace
}  // namespace bb
