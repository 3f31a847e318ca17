// A workload file's workload: its writers record a gapless seq in the harness's
// table and keep the file's invariants, a broken invariant is named with its
// query, a constraint error is counted per kind (not thrown), and each check of
// the file's SQL names the line and statement.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "core/errors.h"
#include "core/sqlite_db.h"
#include "tests/test_support.h"
#include "workloads/file_workload.h"

namespace bb {
namespace {

constexpr const char* kFile = R"toml(populate = """
CREATE TABLE item(id INTEGER PRIMARY KEY, stock INTEGER NOT NULL, code TEXT UNIQUE);
INSERT INTO item(stock, code) VALUES (10, 'a'), (10, 'b'), (10, 'c');
CREATE TABLE moves(id INTEGER PRIMARY KEY, item INTEGER NOT NULL, delta INTEGER NOT NULL, note TEXT, seq INTEGER);
"""

[params.item]
pick = "SELECT id FROM item"
[params.n]
int = [1, 3]
[params.note]
text = [5, 20]

[[writer]]
name = "move"
weight = 2
sql = """
UPDATE item SET stock = stock - :n WHERE id = :item;
INSERT INTO moves(item, delta, note, seq) VALUES (:item, :n, :note, :seq);
"""

[[writer]]
name = "dup"
weight = 1
sql = "INSERT INTO item(stock, code) VALUES (0, 'a')"

[[reader]]
name = "stock"
sql = "SELECT sum(stock) FROM item WHERE id = :item"

[[invariant]]
name = "stock_conserved"
sql = "SELECT (SELECT sum(stock) FROM item) + (SELECT coalesce(sum(delta), 0) FROM moves) = 30"
)toml";

class FileWorkloadTest : public ::testing::Test {
 protected:
  std::string write(const std::string& text) {
    std::ofstream(d_ / "w.toml") << text;
    return d_ / "w.toml";
  }
  test::TempDir d_;
};

TEST_F(FileWorkloadTest, WritersKeepInvariantsAndRecordAGaplessSeq) {
  FileWorkload w(load_workload_file(write(kFile)));
  Db db(d_ / "w.db", SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  w.populate(db, {});
  w.check_on(db, "w.db");
  auto tx = w.writer(db, 0);
  auto rd = w.reader(db, 0, ReaderShape::kLookup);
  Rng rng(7);
  int64_t last = 0, rolled_back = 0;
  for (int i = 0; i < 40; ++i) {
    const int64_t seq = tx->run(rng);
    if (seq < 0) {
      ++rolled_back;  // 'dup' breaks UNIQUE(code): counted, not thrown
      continue;
    }
    EXPECT_EQ(seq, last + 1);
    last = seq;
    rd->run(rng);
  }
  EXPECT_GT(rolled_back, 0);
  auto r = w.check(db);
  EXPECT_TRUE(r.ok()) << r.detail;
  EXPECT_EQ(r.last_seq, last);
  // :seq is the transaction's seq; text params have their drawn lengths.
  EXPECT_EQ(db.query_int("SELECT count(*) FROM moves m JOIN backup_bench_seq s USING (seq) WHERE s.kind = 'move'"),
            last);
  EXPECT_EQ(db.query_int("SELECT count(*) FROM moves WHERE length(note) NOT BETWEEN 5 AND 20"), 0);
  tx->write_stats(d_ / "kinds.json");
  auto j = nlohmann::json::parse(test::read_file(d_ / "kinds.json"));
  EXPECT_EQ(j["dup"]["constraint_errors"].get<int64_t>(), rolled_back);
  EXPECT_EQ(j["dup"]["commits"].get<int64_t>(), 0);
  EXPECT_EQ(j["move"]["commits"].get<int64_t>(), last);
  EXPECT_NE(j["dup"]["last_error"].get<std::string>().find("UNIQUE"), std::string::npos);
}

TEST_F(FileWorkloadTest, ABrokenInvariantIsNamedWithItsQuery) {
  FileWorkload w(load_workload_file(write(kFile)));
  Db db(d_ / "w.db", SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  w.populate(db, {});
  db.exec("UPDATE item SET stock = stock + 1 WHERE id = 1");
  auto r = w.check(db);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.checks.at(1), (std::pair<std::string, bool>{"stock_conserved", false}));
  EXPECT_NE(r.detail.find("stock_conserved"), std::string::npos);
  EXPECT_NE(r.detail.find("SELECT (SELECT sum(stock) FROM item)"), std::string::npos) << r.detail;
  db.exec("UPDATE item SET stock = stock - 1 WHERE id = 1; INSERT INTO backup_bench_seq VALUES (2, 0, 'x')");
  r = w.check(db);
  EXPECT_EQ(r.checks.at(0), (std::pair<std::string, bool>{"seq_gapless", false}));
}

// Each message names the file and the line of the offending statement.
std::string check_error(FileWorkloadTest& t, const std::string& path) {
  (void)t;
  try {
    FileWorkload w(load_workload_file(path));
    Db db(path + ".db", SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    db.exec("CREATE TABLE IF NOT EXISTS t(id INTEGER PRIMARY KEY, v INTEGER)");
    add_seq_table(db);
    w.check_on(db, "t.db");
  } catch (const UsageError& e) {
    return e.what();
  }
  return "";
}

TEST_F(FileWorkloadTest, BadSqlIsNamedByLineAndStatement) {
  const std::string p = write("[[writer]]\nname = \"w\"\nsql = \"\"\"\nINSERT INTO t(v) VALUES (1);\nINSERT INTO nope VALUES (1);\n\"\"\"\n");
  EXPECT_EQ(check_error(*this, p), p + ":5: writer 'w' statement 2: does not prepare: no such table: nope");
}

TEST_F(FileWorkloadTest, RefusedStatementsAreNamed) {
  for (std::string sql : {"ATTACH 'x.db' AS x", "DETACH x", "VACUUM", "PRAGMA journal_mode = delete",
                          "PRAGMA wal_checkpoint", "BEGIN", "COMMIT"}) {
    const std::string p = write("[[writer]]\nsql = \"" + sql + "\"\n");
    const std::string e = check_error(*this, p);
    EXPECT_NE(e.find(p + ":2: writer 'writer1' statement 1: "), std::string::npos) << sql << ": " << e;
    EXPECT_TRUE(e.find("not allowed") != std::string::npos || e.find("VACUUM") != std::string::npos) << e;
  }
}

TEST_F(FileWorkloadTest, ReadersAndInvariantsMayOnlyRead) {
  std::string p = write("[[writer]]\nsql = \"INSERT INTO t(v) VALUES (1)\"\n[[reader]]\nsql = \"DELETE FROM t\"\n");
  EXPECT_NE(check_error(*this, p).find(":4: reader 'reader1' statement 1: writes"), std::string::npos);
}

TEST_F(FileWorkloadTest, UnknownParameterPickWithoutRowsAndFalseInvariant) {
  std::string p = write("[[writer]]\nsql = \"INSERT INTO t(v) VALUES (:nope)\"\n");
  EXPECT_EQ(check_error(*this, p), p + ":2: writer 'writer1' statement 1: uses :nope, which no [params] defines (nor is it :seq)");
  p = write("[params.x]\npick = \"SELECT id FROM t WHERE 0\"\n[[writer]]\nsql = \"INSERT INTO t(v) VALUES (:x)\"\n");
  EXPECT_NE(check_error(*this, p).find(p + ":1: [params.x] pick returns no rows"), std::string::npos);
  p = write("[[writer]]\nsql = \"INSERT INTO t(v) VALUES (1)\"\n[[invariant]]\nname = \"never\"\nsql = \"SELECT 0\"\n");
  EXPECT_EQ(check_error(*this, p), p + ":5: invariant 'never' is already false on t.db itself: SELECT 0");
}

TEST_F(FileWorkloadTest, ShapeErrorsNameTheLine) {
  auto shape_error = [&](const std::string& text) {
    try {
      load_workload_file(write(text));
    } catch (const UsageError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  const std::string p = d_ / "w.toml";
  EXPECT_EQ(shape_error("[[writer]]\nname = \"a\"\nweight = 0\nsql = \"SELECT 1\"\n"),
            p + ":3: [[writer]] weight 0 is not positive");
  EXPECT_EQ(shape_error("[[writer]]\nname = \"a\"\nsql = \"  \"\n"), p + ":1: [[writer]] 'a' has no statements");
  EXPECT_EQ(shape_error("[[writer]]\nname = \"a\"\n"), p + ":1: [[writer]] 'a' has no statements");
  EXPECT_EQ(shape_error("[params.q]\nint = [3, 1]\n[[writer]]\nsql = \"SELECT 1\"\n"),
            p + ":2: 'int' = [3, 1]: LOW is above HIGH");
  EXPECT_EQ(shape_error("[[reader]]\nsql = \"SELECT 1\"\n"), p + ": no [[writer]]: a workload needs one");
}

}  // namespace
}  // namespace bb
