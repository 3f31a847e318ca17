// The validator's sensitivity suite: a good ledger snapshot, then deterministic
// broken copies of it, each of which must get the right verdict -- from
// validate_snapshot() and from the real `backup-bench validate` binary -- with a
// detail that names what is wrong.
#include "tests/validation/validation_support.h"

namespace bb::vtest {
namespace {

constexpr int kTransfers = 300;

class Sensitivity : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new test::TempDir;
    good_ = *dir_ / "good.db";
    build_ledger(good_, kTransfers);
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }

  // A fresh copy of the good snapshot, to break.
  std::string fresh_copy(const std::string& name) {
    std::string p = tmp_ / name;
    copy_snapshot(good_, p);
    return p;
  }

  static test::TempDir* dir_;
  static std::string good_;
  test::TempDir tmp_;
};

test::TempDir* Sensitivity::dir_ = nullptr;
std::string Sensitivity::good_;

TEST_F(Sensitivity, GoodSnapshotIsOk) {
  auto j = expect_verdict(good_, Expect("OK").min(kTransfers).max(kTransfers).seq(kTransfers).checks({{"integrity", "ok"},
                                             {"balance_sum", true},
                                             {"seq_gapless", true},
                                             {"replay", true},
                                             {"fresh", true}}));
  EXPECT_EQ(j["detail"], "");
  for (auto k : {"open", "integrity", "invariants", "total"}) EXPECT_TRUE(j["timings_ms"].contains(k)) << k;
  // Without bounds, freshness is not judged.
  expect_verdict(good_, Expect("OK").seq(kTransfers).checks({{"fresh", nullptr}}));
  // --quick and --workload none.
  expect_verdict(good_, Expect("OK").quick(true).seq(kTransfers));
  expect_verdict(good_, Expect("OK").workload("none").checks({{"integrity", "ok"}, {"balance_sum", nullptr}}));
}

TEST_F(Sensitivity, ChangedBalanceBreaksTheSum) {
  auto p = fresh_copy("changed.db");
  Db(p).exec("UPDATE accounts SET balance = balance + 5 WHERE id = 3");
  expect_verdict(p, Expect("INCONSISTENT").detail({"balance sum", "account 3"}).min(kTransfers).checks({{"integrity", "ok"}, {"balance_sum", false}, {"seq_gapless", true}, {"replay", false}}));
}

TEST_F(Sensitivity, MoneyMovedWithoutATransferIsCaughtByReplay) {
  auto p = fresh_copy("moved.db");
  Db(p).exec("UPDATE accounts SET balance = balance - 7 WHERE id = 1; "
             "UPDATE accounts SET balance = balance + 7 WHERE id = 2;");
  expect_verdict(p, Expect("INCONSISTENT").detail({"replay", "account 1 "}).min(kTransfers).checks({{"balance_sum", true}, {"seq_gapless", true}, {"replay", false}}));
}

TEST_F(Sensitivity, MissingMiddleTransferIsAGap) {
  auto p = fresh_copy("gap.db");
  {
    Db db(p);
    unapply_transfer(db, 150);
  }
  expect_verdict(p, Expect("INCONSISTENT").detail({"first missing seq 150"}).min(kTransfers).seq(kTransfers).checks({{"balance_sum", true}, {"seq_gapless", false}, {"replay", true}}));
}

TEST_F(Sensitivity, NewestTransfersLostIsStale) {
  auto p = fresh_copy("lost.db");
  {
    Db db(p);
    for (int64_t s = kTransfers; s > kTransfers - 10; --s) unapply_transfer(db, s);
  }
  // Consistent in itself...
  expect_verdict(p, Expect("OK").seq(kTransfers - 10));
  expect_verdict(p, Expect("OK").min(kTransfers - 10).max(kTransfers).seq(kTransfers - 10));
  // ...but 10 transactions that had committed before the backup started are gone.
  expect_verdict(p, Expect("STALE").detail({"stale", "ends at seq 290", "10 committed transactions lost"}).min(kTransfers).max(kTransfers + 5).seq(kTransfers - 10).checks({{"balance_sum", true}, {"seq_gapless", true}, {"replay", true}, {"fresh", false}}));
}

TEST_F(Sensitivity, SeqAboveWhatHadBegunIsImpossible) {
  expect_verdict(good_, Expect("STALE").detail({"impossible", "ends at seq 300", "only 299"}).min(10).max(kTransfers - 1).seq(kTransfers).checks({{"fresh", false}}));
}

TEST_F(Sensitivity, OverwrittenInteriorPagesAreCorrupt) {
  auto p = fresh_copy("pages.db");
  auto size = fs::file_size(p);
  size_t page = 4096, pages = size / page;
  ASSERT_GT(pages, 40u);
  {
    std::fstream f(p, std::ios::binary | std::ios::in | std::ios::out);
    auto junk = random_bytes(4 * page, 42);
    f.seekp(std::streamoff(pages / 3 * page));
    f.write(junk.data(), std::streamsize(junk.size()));
  }
  expect_verdict(p, Expect("CORRUPT").detail({"integrity_check"}).min(kTransfers));
  expect_verdict(p, Expect("CORRUPT").detail({"quick_check"}).quick(true));
  expect_verdict(p, Expect("CORRUPT").workload("none"));
}

TEST_F(Sensitivity, TruncatedFileIsCorrupt) {
  auto p = fresh_copy("truncated.db");
  fs::resize_file(p, fs::file_size(p) / 2 / 4096 * 4096);
  expect_verdict(p, Expect("CORRUPT").detail({"truncated"}).min(kTransfers));
  // Cut mid-page too.
  auto q = fresh_copy("truncated-odd.db");
  fs::resize_file(q, fs::file_size(q) / 2 + 123);
  expect_verdict(q, Expect("CORRUPT").detail({"not a multiple of the page size"}));
}

// A WAL database copied without its -wal: the main file holds the state of the
// last checkpoint, which is consistent, so the loss shows as STALE against the
// number of commits (the harness always knows it). Copied with its -wal, the
// same file is OK and the detail says the -wal was used.
TEST_F(Sensitivity, WalDatabaseCopiedWithoutItsWalIsStale) {
  std::string src = tmp_ / "live.db";
  auto w = find_workload("ledger")->make();
  {
    Db db(src, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    db.exec("PRAGMA journal_mode=WAL; PRAGMA wal_autocheckpoint=0;");
    w->populate(db, {512 << 10, 1});
    auto tx = w->writer(db, 0);
    Rng rng(7);
    for (int i = 0; i < kTransfers; ++i) {
      if (i == 100) db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
      tx->run(rng);
    }
    // Copy while the connection is open (closing would checkpoint).
    ASSERT_GT(fs::file_size(with(src, "-wal")), 0u);
    copy_file(src, tmp_ / "main-only.db");
    copy_file(src, tmp_ / "with-wal.db");
    copy_file(with(src, "-wal"), tmp_ / "with-wal.db-wal");
  }
  expect_verdict(tmp_ / "main-only.db",
                 Expect("STALE").detail({"stale", "ends at seq 100", "WAL-mode database with no -wal"}).min(kTransfers).max(kTransfers).seq(100));
  auto j = expect_verdict(tmp_ / "with-wal.db",
                          Expect("OK").detail({"-wal file"}).min(kTransfers).max(kTransfers).seq(kTransfers));
  EXPECT_EQ(j["detail"].get<std::string>().find("WAL-mode database with no -wal"), std::string::npos);
}

// A torn copy: the first half of the file from before a burst of commits, the
// second half from after it (what `cp` produces when commits land mid-copy).
TEST_F(Sensitivity, TornCopyFromTwoMomentsIsNotOk) {
  std::string src = tmp_ / "live.db";
  auto w = find_workload("ledger")->make();
  Db db(src, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  w->populate(db, {512 << 10, 1});
  auto tx = w->writer(db, 0);
  Rng rng(7);
  for (int i = 0; i < 100; ++i) tx->run(rng);
  std::string before = test::read_file(src);
  for (int i = 0; i < 200; ++i) tx->run(rng);
  std::string after = test::read_file(src);
  size_t split = before.size() / 2 / 4096 * 4096;
  std::string torn = before.substr(0, split);
  torn.append(after, split);
  write_bytes(tmp_ / "torn.db", torn);
  expect_verdict(tmp_ / "torn.db", Expect("CORRUPT|INCONSISTENT").min(100).max(300));
  // Sanity: each moment on its own is a good snapshot.
  write_bytes(tmp_ / "before.db", before);
  expect_verdict(tmp_ / "before.db", Expect("OK").min(100).max(100).seq(100));
}

}  // namespace
}  // namespace bb::vtest
