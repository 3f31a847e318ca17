// The ledger's invariants on hand-made good and bad databases.
#include <gtest/gtest.h>

#include "core/sqlite_db.h"
#include "tests/test_support.h"
#include "workloads/workload.h"

namespace bb {
namespace {

struct LedgerDb {
  test::TempDir dir;
  std::string path = dir / "ledger.db";
  std::unique_ptr<Workload> w = find_workload("ledger")->make();
  Db db;

  explicit LedgerDb(int transfers) {
    db = Db(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    db.exec("PRAGMA synchronous = OFF");
    w->populate(db, {64 << 10, 1});
    auto tx = w->writer(db, 0);
    Rng rng(7);
    for (int i = 0; i < transfers; ++i) tx->run(rng);
  }
  InvariantReport check() { return w->check(db); }
  bool check_ok(const InvariantReport& r, const std::string& name) {
    for (auto& [k, v] : r.checks)
      if (k == name) return v;
    ADD_FAILURE() << "no check " << name;
    return false;
  }
};

TEST(Ledger, WritersProduceAConsistentLedger) {
  LedgerDb l(50);
  auto r = l.check();
  EXPECT_TRUE(r.ok()) << r.detail;
  EXPECT_EQ(r.last_seq, 50);
  EXPECT_EQ(l.db.query_int("SELECT count(*) FROM transfers"), 50);
  // Payloads really change: every transfer rewrites two accounts' payloads.
  EXPECT_GT(l.db.query_int("SELECT count(*) FROM accounts WHERE balance != 1000"), 0);
}

TEST(Ledger, ReaderSeesTheInvariant) {
  LedgerDb l(10);
  auto rd = l.w->reader(l.db, 0, ReaderShape::kScan);
  Rng rng(1);
  EXPECT_NO_THROW(rd->run(rng));
  l.db.exec("UPDATE accounts SET balance = balance + 1 WHERE id = 1");
  EXPECT_THROW(rd->run(rng), InvariantBroken);
}

TEST(Ledger, ChangedBalanceBreaksTheSum) {
  LedgerDb l(20);
  l.db.exec("UPDATE accounts SET balance = balance + 5 WHERE id = 3");
  auto r = l.check();
  EXPECT_FALSE(l.check_ok(r, "balance_sum"));
  EXPECT_NE(r.detail.find("balance sum"), std::string::npos) << r.detail;
}

TEST(Ledger, MoneyMovedWithoutATransferBreaksReplayOnly) {
  LedgerDb l(20);
  l.db.exec("UPDATE accounts SET balance = balance - 7 WHERE id = 1");
  l.db.exec("UPDATE accounts SET balance = balance + 7 WHERE id = 2");
  auto r = l.check();
  EXPECT_TRUE(l.check_ok(r, "balance_sum"));
  EXPECT_TRUE(l.check_ok(r, "seq_gapless"));
  EXPECT_FALSE(l.check_ok(r, "replay"));
  EXPECT_NE(r.detail.find("account 1"), std::string::npos) << r.detail;
}

TEST(Ledger, MissingMiddleTransferIsAGap) {
  LedgerDb l(20);
  // Remove seq 7 and revert its effect, so only the gap betrays it.
  l.db.exec("UPDATE accounts SET balance = balance + (SELECT amount FROM transfers WHERE seq = 7) "
            "WHERE id = (SELECT src FROM transfers WHERE seq = 7)");
  l.db.exec("UPDATE accounts SET balance = balance - (SELECT amount FROM transfers WHERE seq = 7) "
            "WHERE id = (SELECT dst FROM transfers WHERE seq = 7)");
  l.db.exec("DELETE FROM transfers WHERE seq = 7");
  auto r = l.check();
  EXPECT_TRUE(l.check_ok(r, "balance_sum"));
  EXPECT_TRUE(l.check_ok(r, "replay"));
  EXPECT_FALSE(l.check_ok(r, "seq_gapless"));
  EXPECT_NE(r.detail.find("first missing seq 7"), std::string::npos) << r.detail;
}

// A crafted ledger_meta (its NOT NULL dropped): the detail names the row and the
// column, instead of "expected 0 over 0" from a NULL read as 0 (issue 24).
TEST(Ledger, ANullOrTextLedgerMetaIsNamedByRow) {
  for (std::string value : {"NULL", "'many'"}) {
    SCOPED_TRACE(value);
    LedgerDb l(5);
    l.db.exec("DROP TABLE ledger_meta; CREATE TABLE ledger_meta(accounts INTEGER, initial_balance INTEGER);"
              "INSERT INTO ledger_meta VALUES (" + value + ", 1000)");
    // Nothing can be judged against such a row: every check fails (the validator
    // turns InvariantBroken into all checks false, with this detail).
    std::string detail;
    try {
      auto r = l.check();
      detail = r.detail;
      EXPECT_FALSE(r.ok());
    } catch (const InvariantBroken& e) {
      detail = e.what();
    }
    EXPECT_NE(detail.find("ledger_meta row 1: accounts is " + value), std::string::npos) << detail;
    EXPECT_NE(detail.find("not an integer"), std::string::npos) << detail;
    EXPECT_EQ(detail.find("expected 0 over 0"), std::string::npos) << detail;
  }
}

// A balance stored as text is a type problem, not "has 1000 but replay gives 1000".
TEST(Ledger, ATextBalanceIsNamedAsATypeProblem) {
  LedgerDb l(5);
  l.db.exec("UPDATE accounts SET balance = CAST(balance AS TEXT) || ' units' WHERE id = 2");
  ASSERT_EQ(l.db.query_text("SELECT typeof(balance) FROM accounts WHERE id = 2"), "text");
  auto r = l.check();
  EXPECT_FALSE(l.check_ok(r, "replay"));
  EXPECT_NE(r.detail.find("account 2 has a text balance '"), std::string::npos) << r.detail;
  EXPECT_NE(r.detail.find("not an integer"), std::string::npos) << r.detail;
  EXPECT_EQ(r.detail.find("but replay gives"), std::string::npos) << r.detail;
}

}  // namespace
}  // namespace bb
