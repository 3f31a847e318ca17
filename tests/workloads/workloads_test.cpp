// Every registered workload: its writers keep its invariants, its reader accepts
// the result, and a mutation that breaks an invariant is caught. A new workload
// must add its mutation below, or this test fails.
#include <gtest/gtest.h>

#include <map>

#include "core/sqlite_db.h"
#include "tests/test_support.h"
#include "workloads/workload.h"

namespace bb {
namespace {

// Per workload: SQL that breaks one invariant, and the check that must catch it.
const std::map<std::string, std::pair<std::string, std::string>> kBreak{
    {"ledger", {"UPDATE accounts SET balance = balance + 1 WHERE id = 2", "balance_sum"}},
    {"bulk", {"DELETE FROM transfers WHERE seq = 3", "seq_gapless"}},
    {"append", {"UPDATE append_meta SET rows = rows + 1", "totals"}},
    {"churn", {"INSERT INTO items(id, payload) SELECT id, x'00' FROM (SELECT deleted_id AS id FROM churn_log "
               "LIMIT 1); DELETE FROM items WHERE id = (SELECT max(id) FROM items)",
               "replay"}},
};

class EveryWorkload : public ::testing::TestWithParam<std::string> {};

TEST_P(EveryWorkload, KeepsItsInvariantsAndCatchesABrokenOne) {
  test::TempDir d;
  auto w = find_workload(GetParam())->make();
  Db db(d / "w.db", SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  db.exec("PRAGMA synchronous = OFF");  // speed only; durability is not under test here
  w->populate(db, {256 << 10, 1});
  auto before = w->check(db);
  EXPECT_TRUE(before.ok()) << before.detail;
  auto tx = w->writer(db, 0);
  auto rd = w->reader(db, 0, ReaderShape::kScan);
  Rng rng(3);
  int64_t last = 0;
  for (int i = 0; i < 30; ++i) {
    int64_t seq = tx->run(rng);
    EXPECT_GT(seq, last);  // seqs increase
    last = seq;
    rd->run(rng);
  }
  auto after = w->check(db);
  EXPECT_TRUE(after.ok()) << after.detail;
  EXPECT_EQ(after.last_seq, last);
  auto it = kBreak.find(GetParam());
  ASSERT_NE(it, kBreak.end()) << "add a breaking mutation for workload " << GetParam();
  db.exec(it->second.first);
  auto broken = w->check(db);
  EXPECT_FALSE(broken.ok());
  bool caught = false;
  for (auto& [name, ok] : broken.checks) caught |= name == it->second.second && !ok;
  EXPECT_TRUE(caught) << it->second.second << " did not catch it: " << broken.detail;
  EXPECT_FALSE(broken.detail.empty());
}

std::vector<std::string> names() {
  std::vector<std::string> v;
  for (auto& w : workloads()) v.push_back(w.name);
  return v;
}

INSTANTIATE_TEST_SUITE_P(All, EveryWorkload, ::testing::ValuesIn(names()));

}  // namespace
}  // namespace bb
