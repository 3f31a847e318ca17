// Hostile inputs for the validator: none may crash it, hang it, or make it touch
// any file but the snapshot and its sidecars.
#include <sys/stat.h>

#include <set>

#include "tests/validation/validation_support.h"

namespace bb::vtest {
namespace {

class Hostile : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new test::TempDir;
    good_ = *dir_ / "good.db";
    build_ledger(good_, 50);
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static test::TempDir* dir_;
  static std::string good_;
  test::TempDir tmp_;
};

test::TempDir* Hostile::dir_ = nullptr;
std::string Hostile::good_;

std::set<std::string> listing(const std::string& dir) {
  std::set<std::string> names;
  for (auto& e : fs::directory_iterator(dir)) names.insert(e.path().filename().string());
  return names;
}

TEST_F(Hostile, RandomBytes) {
  write_bytes(tmp_ / "random.db", random_bytes(64 << 10, 1));
  expect_verdict(tmp_ / "random.db", Expect("CORRUPT").detail({"not an SQLite database"}));
  expect_verdict(tmp_ / "random.db", Expect("CORRUPT").workload("none"));
}

TEST_F(Hostile, ZeroLengthFile) {
  write_bytes(tmp_ / "empty.db", "");
  expect_verdict(tmp_ / "empty.db", Expect("CORRUPT").detail({"zero-length"}));
  expect_verdict(tmp_ / "empty.db", Expect("CORRUPT").detail({"zero-length"}).workload("none"));
}

TEST_F(Hostile, ShortFileWithAHeaderOnly) {
  write_bytes(tmp_ / "short.db", test::read_file(good_).substr(0, 60));
  expect_verdict(tmp_ / "short.db", Expect("CORRUPT").workload("none"));
}

TEST_F(Hostile, ValidHeaderOverGarbagePages) {
  std::string good = test::read_file(good_);
  // The real header, then garbage for the rest of page 1 and every other page.
  std::string a = good.substr(0, 100);
  a.append(random_bytes(good.size() - 100, 2));
  write_bytes(tmp_ / "header-only.db", a);
  expect_verdict(tmp_ / "header-only.db", Expect("CORRUPT"));
  expect_verdict(tmp_ / "header-only.db", Expect("CORRUPT").workload("none").quick(true));
  // The real first page (schema intact), then garbage.
  std::string b = good.substr(0, 4096);
  b.append(random_bytes(good.size() - 4096, 3));
  write_bytes(tmp_ / "page1-only.db", b);
  expect_verdict(tmp_ / "page1-only.db", Expect("CORRUPT"));
  expect_verdict(tmp_ / "page1-only.db", Expect("CORRUPT").workload("none"));
  // Zeroed pages instead of random ones.
  std::string c = good.substr(0, 4096);
  c.append(good.size() - 4096, '\0');
  write_bytes(tmp_ / "zeroed.db", c);
  expect_verdict(tmp_ / "zeroed.db", Expect("CORRUPT").workload("none"));
  // A header claiming an impossible page size.
  std::string d = good;
  d[16] = 0x12;
  d[17] = 0x34;
  write_bytes(tmp_ / "pagesize.db", d);
  expect_verdict(tmp_ / "pagesize.db", Expect("CORRUPT").detail({"page size"}).workload("none"));
}

TEST_F(Hostile, ADirectoryIsBadInput) {
  fs::create_directory(tmp_ / "dir.db");
  Verdict v = validate_snapshot(tmp_ / "dir.db", nullptr, {});
  EXPECT_EQ(to_string(v.status), "CORRUPT");
  EXPECT_NE(v.detail.find("is a directory"), std::string::npos) << v.detail;
  auto r = run_validate({tmp_ / "dir.db"});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("is a directory"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

TEST_F(Hostile, MissingFileAndBadBoundsAreBadInput) {
  auto r = run_validate({tmp_ / "missing.db"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("does not exist"), std::string::npos) << r.err;
  r = run_validate({"--committed-min", "5", "--committed-max", "4", good_});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--committed-min"), std::string::npos) << r.err;
  r = run_validate({"--workload", "nope", good_});
  EXPECT_EQ(r.code, 2);
}

// A FIFO would block the first read forever: refused without opening it.
TEST_F(Hostile, AFifoNeverHangs) {
  ASSERT_EQ(mkfifo((tmp_ / "fifo.db").c_str(), 0600), 0);
  Verdict v = validate_snapshot(tmp_ / "fifo.db", nullptr, {});
  EXPECT_EQ(to_string(v.status), "CORRUPT");
  EXPECT_NE(v.detail.find("not a regular file"), std::string::npos) << v.detail;
  auto r = run_validate({tmp_ / "fifo.db"});
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find("not a regular file"), std::string::npos) << r.err;
  // A FIFO in the place of the -wal, beside a good snapshot.
  copy_file(good_, tmp_ / "snap.db");
  ASSERT_EQ(mkfifo((tmp_ / "snap.db-wal").c_str(), 0600), 0);
  v = validate_snapshot(tmp_ / "snap.db", nullptr, {});
  EXPECT_EQ(to_string(v.status), "CORRUPT");
  EXPECT_NE(v.detail.find("snap.db-wal is beside the snapshot but is not a regular file"), std::string::npos)
      << v.detail;
  r = run_validate({tmp_ / "snap.db"});
  EXPECT_EQ(r.code, 1) << r.err;
}

// A -wal of random bytes has no valid WAL header: SQLite ignores it, and so the
// verdict is the main file's. The detail still says a -wal was there.
TEST_F(Hostile, GarbageWalBesideAGoodSnapshot) {
  copy_file(good_, tmp_ / "snap.db");
  write_bytes(tmp_ / "snap.db-wal", random_bytes(40000, 4));
  expect_verdict(tmp_ / "snap.db", Expect("OK").detail({"-wal file (40000 bytes)"}).seq(50));
}

TEST_F(Hostile, NonLedgerDatabase) {
  copy_file(test::test_data("chinook.sqlite"), tmp_ / "chinook.db");
  expect_verdict(tmp_ / "chinook.db", Expect("OK").workload("none").checks({{"integrity", "ok"}}));
  expect_verdict(tmp_ / "chinook.db",
                 Expect("INCONSISTENT").detail({"tables are missing", "no such table: ledger_meta", "not a database of this workload"}).checks({{"integrity", "ok"}, {"balance_sum", false}}));
  // The real test data is never opened read-write by this suite.
  expect_verdict(tmp_ / "chinook.db", Expect("OK").workload("none").quick(true));
}

// A hot journal that names a "super-journal" (multi-database commit) makes plain
// SQLite read that file and, when no child journal points back to it, delete it
// (pager_delsuper). The validator's guarded VFS makes every path but the
// snapshot's own look absent, so the file survives.
std::string hot_journal_naming(const std::string& super, uint32_t db_pages) {
  const std::string magic("\xd9\xd5\x05\xf9\x20\xa1\x63\xd7", 8);
  auto be32 = [](uint32_t x) {
    std::string s(4, '\0');
    for (int i = 0; i < 4; ++i) s[size_t(i)] = char(x >> (24 - 8 * i));
    return s;
  };
  std::string j = magic;
  for (uint32_t x : {0u, 0u, db_pages, 512u, 4096u}) j.append(be32(x));  // nRec, cksum, pages, sector, page
  j.resize(512, '\0');
  j.append(be32((0x40000000u / 4096) + 1));  // PAGER_SJ_PGNO
  j.append(super);
  uint32_t sum = 0;
  for (unsigned char c : super) sum += c;
  j.append(be32(uint32_t(super.size())));
  j.append(be32(sum));
  j.append(magic);
  return j;
}

TEST_F(Hostile, AHotJournalCannotDeleteOtherFiles) {
  std::string precious = tmp_ / "precious.txt";
  auto pages = uint32_t(fs::file_size(good_) / 4096);
  // First show the hazard with a plain connection.
  {
    test::TempDir d;
    copy_file(good_, d / "plain.db");
    write_bytes(d / "victim.txt", "important\n");
    write_bytes(d / "plain.db-journal", hot_journal_naming(d / "victim.txt", pages));
    Db db(d / "plain.db");
    db.query_int("SELECT count(*) FROM sqlite_schema");
    db.close();
    EXPECT_FALSE(fs::exists(d / "victim.txt")) << "this SQLite no longer deletes a named super-journal";
  }
  write_bytes(precious, "important\n");
  copy_file(good_, tmp_ / "snap.db");
  write_bytes(tmp_ / "snap.db-journal", hot_journal_naming(precious, pages));
  Verdict v = validate_snapshot(tmp_ / "snap.db", find_workload("ledger")->make().get(), {});
  EXPECT_EQ(to_string(v.status), "OK") << v.detail;
  EXPECT_NE(v.detail.find("-journal file"), std::string::npos) << v.detail;
  EXPECT_EQ(test::read_file(precious), "important\n");
  // The same through the binary.
  copy_file(good_, tmp_ / "snap2.db");
  write_bytes(tmp_ / "snap2.db-journal", hot_journal_naming(precious, pages));
  auto r = run_validate({tmp_ / "snap2.db"});
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_EQ(test::read_file(precious), "important\n");
}

// Validating a WAL snapshot recovers its -wal on a private copy; nothing in the
// snapshot's folder changes (read_only_test.cpp checks the bytes as well).
TEST_F(Hostile, TouchesOnlyTheSnapshotAndItsSidecars) {
  std::string src = tmp_ / "live.db";
  {
    auto w = find_workload("ledger")->make();
    Db db(src, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    db.exec("PRAGMA journal_mode=WAL; PRAGMA wal_autocheckpoint=0;");
    w->populate(db, {256 << 10, 1});
    auto tx = w->writer(db, 0);
    Rng rng(3);
    for (int i = 0; i < 40; ++i) tx->run(rng);
    fs::create_directory(tmp_ / "snapdir");
    copy_file(src, tmp_ / "snapdir/snap.db");
    copy_file(with(src, "-wal"), tmp_ / "snapdir/snap.db-wal");
  }
  write_bytes(tmp_ / "snapdir/sibling.db", "not to be touched");
  write_bytes(tmp_ / "snapdir/snap.db.bak", "not to be touched");
  auto before = fs::last_write_time(tmp_ / "snapdir/sibling.db");
  Verdict v = validate_snapshot(tmp_ / "snapdir/snap.db", find_workload("ledger")->make().get(), {40, 40});
  EXPECT_EQ(to_string(v.status), "OK") << v.detail;
  EXPECT_EQ(v.snapshot_seq, 40);
  auto names = listing(tmp_ / "snapdir");
  std::set<std::string> allowed{"snap.db", "snap.db-wal", "snap.db-shm", "snap.db-journal", "sibling.db",
                                "snap.db.bak"};
  for (auto& n : names) EXPECT_TRUE(allowed.count(n)) << "unexpected file " << n;
  EXPECT_TRUE(names.count("sibling.db") && names.count("snap.db.bak"));
  EXPECT_EQ(test::read_file(tmp_ / "snapdir/sibling.db"), "not to be touched");
  EXPECT_EQ(fs::last_write_time(tmp_ / "snapdir/sibling.db"), before);
  // Validating again gives the same verdict (the -wal is still there, unmerged).
  v = validate_snapshot(tmp_ / "snapdir/snap.db", find_workload("ledger")->make().get(), {40, 40});
  EXPECT_EQ(to_string(v.status), "OK") << v.detail;
  EXPECT_EQ(v.snapshot_seq, 40);
}

// Paths that need URI escaping still name the right file.
TEST_F(Hostile, OddPathCharacters) {
  std::string p = tmp_ / "a ?b#c%20d'e.db";
  copy_file(good_, p);
  expect_verdict(p, Expect("OK").seq(50));
}

}  // namespace
}  // namespace bb::vtest
