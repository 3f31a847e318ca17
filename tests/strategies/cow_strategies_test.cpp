// btrfs-snapshot and reflink-copy on a real loop-mounted btrfs (skipped with a
// reason where mounting is not possible): crash images of a live WAL database
// and of a rollback database with a hot journal that `validate` judges and
// SQLite recovers; reflink-copy's lock held for a fraction of exclusive-copy's
// on the same 256 MB database; skips with a reason off copy-on-write
// filesystems; nothing left mounted afterwards.
#include <algorithm>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "core/cow_fs.h"
#include "core/files.h"
#include "core/loop_fs.h"
#include "core/sqlite_db.h"
#include "tests/strategies/strategy_test_support.h"
#include "tests/test_support.h"

namespace fs = std::filesystem;

namespace bb {
namespace {

using test::run_bb;

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (auto& x : v) s += x + "\n";
  return s;
}

nlohmann::json backup(const std::string& strategy, const std::string& src, const std::string& dest,
                      std::vector<std::string> opts = {}) {
  std::vector<std::string> args{"backup", "--strategy", strategy};
  for (auto& o : opts) args.insert(args.end(), {"--opt", o});
  args.insert(args.end(), {src, dest});
  auto r = run_bb(args);
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  auto j = nlohmann::json::parse(r.out, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << r.out << r.err;
  return j;
}

bool copied(const nlohmann::json& outcome, const std::string& file) {
  for (auto& f : outcome["extra"]["files_copied"])
    if (f == file) return true;
  return false;
}

// `backup-bench validate --workload none`: integrity only (these databases are
// not the ledger's); exit 0 and verdict OK when the copy is sound.
void expect_valid(const std::string& snapshot) {
  auto v = run_bb({"validate", "--workload", "none", snapshot});
  EXPECT_EQ(v.code, 0) << v.out << v.err;
  auto j = nlohmann::json::parse(v.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << v.out;
  EXPECT_EQ(j["status"], "OK") << v.out;
}

// A WAL database of 100 rows, all in the main file.
void make_wal_base(const std::string& src) {
  Db db(src, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  db.query_text("PRAGMA journal_mode = wal");
  db.exec("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT NOT NULL);"
          "INSERT INTO t(v) WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100) "
          "SELECT printf('base-%d', i) FROM n");
}  // the last connection closes: everything checkpointed into the main file

// 500 more rows and a table that live only in the -wal: the holder keeps the
// database open and checkpoints off.
void add_wal_frames(test::ShellHolder& holder) {
  holder.run("PRAGMA wal_autocheckpoint = 0;");
  holder.run("INSERT INTO t(v) WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 500) "
             "SELECT printf('wal-%d', i) FROM n;"
             "CREATE TABLE only_in_wal(x); INSERT INTO only_in_wal VALUES (42);");
}

void expect_all_wal_rows(const std::string& copy) {
  Db db(copy, SQLITE_OPEN_READWRITE);
  EXPECT_EQ(db.query_int("SELECT count(*) FROM t"), 600);
  EXPECT_EQ(db.query_int("SELECT x FROM only_in_wal"), 42);
}

// A btrfs filesystem for one test: the database goes in a subvolume
// (db_dir), destinations in a folder of the top-level subvolume (dest_dir).
class OnBtrfs : public ::testing::Test {
 protected:
  void SetUp() override {
    r_ = mount_loop_fs({.kind = FsKind::kBtrfs, .size_bytes = int64_t(1) << 30, .root = root_.path(),
                        .label = "strategy", .subvolume = true});
    if (!r_.fs) GTEST_SKIP() << r_.cannot;
    db_dir_ = r_.fs->data_dir();
    dest_dir_ = r_.fs->mount_point() + "/dest";
    fs::create_directory(dest_dir_);
  }
  void TearDown() override {
    if (!r_.fs) return;
    // No snapshot left in the subvolume.
    for (auto& e : fs::directory_iterator(db_dir_))
      EXPECT_EQ(e.path().filename().string().rfind(".bb-snapshot-", 0), std::string::npos) << e.path();
    EXPECT_EQ(join(r_.fs->unmount()), "");
    r_.fs.reset();
    EXPECT_EQ(join(loop_fs_leftovers(root_.path())), "") << "left behind";
  }
  test::TempDir root_;  // outlives the mount
  LoopFsResult r_;
  std::string db_dir_, dest_dir_;
};

TEST_F(OnBtrfs, BtrfsSnapshotOfALiveWalDatabaseCarriesItsCommittedFrames) {
  // Deeper in the subvolume, as a trial's folder is: the snapshot is of the
  // whole subvolume, the image is found at the same place inside it.
  fs::create_directories(db_dir_ + "/trials/001");
  const std::string src = db_dir_ + "/trials/001/live.sqlite";
  make_wal_base(src);
  test::ShellHolder holder(src);
  add_wal_frames(holder);
  ASSERT_GT(fs::file_size(src + "-wal"), 0u);
  // A snapshot a killed backup left behind: the next one deletes it.
  btrfs_snapshot(db_dir_, db_dir_ + "/.bb-snapshot-999999999-1", true);

  const std::string dest = dest_dir_ + "/live-copy.db";
  auto j = backup("btrfs-snapshot", src, dest);
  ASSERT_EQ(j["status"], "completed") << j.dump();
  EXPECT_TRUE(copied(j, "-wal")) << j.dump();
  EXPECT_TRUE(fs::exists(dest + "-wal"));
  EXPECT_EQ(j["extra"]["subvolume"], db_dir_);
  EXPECT_EQ(j["extra"]["stale_snapshots_removed"], nlohmann::json::array({".bb-snapshot-999999999-1"}));
  // The snapshot window is the snapshot alone, inside the impact window.
  const auto& m = j["marks_ns"];
  EXPECT_LE(m["asked"].get<int64_t>(), m["read_begin"].get<int64_t>());
  EXPECT_LE(m["read_end"].get<int64_t>(), m["released"].get<int64_t>());
  EXPECT_LT(j["read_s"].get<double>(), j["duration_s"].get<double>());

  expect_valid(dest);
  expect_all_wal_rows(dest);
  // The source is still live, its frames still in its -wal.
  EXPECT_EQ(holder.run("SELECT count(*) FROM t;"), "600\n");
  ASSERT_GT(fs::file_size(src + "-wal"), 0u);
  holder.finish();
}

TEST_F(OnBtrfs, BtrfsSnapshotOfARollbackDatabaseWithAHotJournalRollsBackInTheCopy) {
  const std::string src = db_dir_ + "/rollback.sqlite";
  {
    Db db(src, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    db.query_text("PRAGMA journal_mode = delete");
    db.exec("CREATE TABLE t(id INTEGER PRIMARY KEY, n INTEGER NOT NULL, pad BLOB);"
            "INSERT INTO t(n, pad) WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < 2000) "
            "SELECT 1, randomblob(500) FROM k");
  }
  const uint64_t committed = test::file_hash(src);
  // A transaction bigger than a 5-page cache spills its pages into the
  // database file before it commits: the file holds uncommitted pages and the
  // -journal the originals -- a hot journal for anyone who finds them so.
  // (synchronous=OFF only spares the test the syncs; such a journal records no
  // page count and is replayed whole, which SQLite handles too.)
  test::ShellHolder holder(src);
  holder.run("PRAGMA cache_size = 5; PRAGMA synchronous = OFF;"
             "BEGIN; UPDATE t SET n = 2, pad = zeroblob(600);");
  ASSERT_GT(file_size_or_zero(src + "-journal"), 0);
  ASSERT_NE(test::file_hash(src), committed) << "no page was spilled; the journal would not be hot";

  const std::string dest = dest_dir_ + "/rollback-copy.db";
  auto j = backup("btrfs-snapshot", src, dest);
  ASSERT_EQ(j["status"], "completed") << j.dump();
  EXPECT_TRUE(copied(j, "-journal")) << j.dump();
  ASSERT_TRUE(fs::exists(dest + "-journal"));

  expect_valid(dest);  // opening it rolls the hot journal back
  {
    Db db(dest, SQLITE_OPEN_READWRITE);
    EXPECT_EQ(db.query_int("SELECT count(*) FROM t"), 2000);
    EXPECT_EQ(db.query_int("SELECT sum(n) FROM t"), 2000) << "uncommitted rows in the copy";
  }
  EXPECT_FALSE(fs::exists(dest + "-journal"));
  holder.run("ROLLBACK;");
  holder.finish();
  EXPECT_EQ(test::file_hash(src), committed);
}

TEST_F(OnBtrfs, ReflinkCopyHoldsItsLockForUnderATenthOfExclusiveCopys) {
  const std::string src = db_dir_ + "/big.sqlite";
  {
    Db db(src, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    db.exec("PRAGMA page_size = 4096; PRAGMA synchronous = OFF; PRAGMA journal_mode = delete;"
            "CREATE TABLE t(x BLOB);"
            "INSERT INTO t WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 65536) "
            "SELECT randomblob(4000) FROM n");
  }
  // Made with synchronous=OFF, its 256 MB are still dirty in the page cache: a
  // clone first writes out the dirty pages of what it clones, so reflink-copy
  // must flush before it locks (without that: 260 ms under the lock, measured).
  ASSERT_GE(fs::file_size(src), 256u << 20);
  // Each is timed three times and its least is kept: a process descheduled
  // while it holds the lock (a busy machine) only ever adds time, and a few ms
  // of that would swamp reflink-copy's hold, which is the mechanism's cost.
  nlohmann::json excl, ref;
  double held_excl = 1e300, held_ref = 1e300;
  for (int i = 0; i < 3; ++i) {
    for (auto copy : {"/reflink.db", "/exclusive.db"}) fs::remove(dest_dir_ + copy);
    excl = backup("exclusive-copy", src, dest_dir_ + "/exclusive.db");
    ref = backup("reflink-copy", src, dest_dir_ + "/reflink.db");
    ASSERT_EQ(excl["status"], "completed") << excl.dump();
    ASSERT_EQ(ref["status"], "completed") << ref.dump();
    held_excl = std::min(held_excl, excl["extra"]["lock_held_ms"].get<double>());
    held_ref = std::min(held_ref, ref["extra"]["lock_held_ms"].get<double>());
  }
  std::cout << fmt::format("lock held on {} MB: exclusive-copy {:.2f} ms, reflink-copy {:.2f} ms, ratio {:.4f}\n",
                           fs::file_size(src) >> 20, held_excl, held_ref, held_ref / held_excl);
  RecordProperty("lock_held_ratio", fmt::format("{:.4f}", held_ref / held_excl));
  EXPECT_GT(held_ref, 0.0);
  EXPECT_LT(held_ref * 10, held_excl);
  EXPECT_EQ(ref["extra"]["files_copied"], nlohmann::json::array({"db"}));
  EXPECT_TRUE(ref["extra"]["flush_ms"].is_number()) << ref.dump();
  // Both are the database, byte for byte.
  for (auto copy : {"/reflink.db", "/exclusive.db"})
    EXPECT_EQ(test::run_sh(fmt::format("cmp {} {}", test::sh_quote(src), test::sh_quote(dest_dir_ + copy))).code, 0)
        << copy;
}

TEST_F(OnBtrfs, ReflinkCopyInWalModeClonesTheWalUnderTheLock) {
  const std::string src = db_dir_ + "/live.sqlite";
  make_wal_base(src);
  test::ShellHolder holder(src);
  add_wal_frames(holder);
  for (std::string lock : {"exclusive", "immediate", "none"}) {
    SCOPED_TRACE(lock);
    const std::string dest = dest_dir_ + "/copy-" + lock + ".db";
    auto j = backup("reflink-copy", src, dest, {"lock=" + lock});
    ASSERT_EQ(j["status"], "completed") << j.dump();
    EXPECT_EQ(j["extra"]["files_copied"], nlohmann::json::array({"db", "-wal"}));
    EXPECT_EQ(j["extra"]["lock"], lock);
    EXPECT_EQ(j["extra"]["lock_held_ms"].get<double>() > 0, lock != "none");
    expect_valid(dest);
    expect_all_wal_rows(dest);
  }
  EXPECT_EQ(holder.run("SELECT count(*) FROM t;"), "600\n");
  holder.finish();
}

TEST_F(OnBtrfs, ReflinkCopySkipsWhenTheDestinationIsOnAnotherFilesystem) {
  const std::string src = db_dir_ + "/db.sqlite";
  make_wal_base(src);
  test::TempDir host;
  if (same_filesystem(db_dir_, host.path())) GTEST_SKIP() << "the test folder is on this very filesystem";
  auto j = backup("reflink-copy", src, host / "copy.db");
  EXPECT_EQ(j["status"], "skipped") << j.dump();
  EXPECT_NE(j["error"].get<std::string>().find("on different ones"), std::string::npos) << j.dump();
  EXPECT_FALSE(fs::exists(host / "copy.db"));
  // btrfs-snapshot only needs the database on btrfs: its copy may go anywhere.
  auto b = backup("btrfs-snapshot", src, host / "snap.db");
  EXPECT_EQ(b["status"], "completed") << b.dump();
}

TEST(CowStrategies, SkipWithAReasonOffACopyOnWriteFilesystem) {
  test::TempDir d;
  const std::string type = fs_type_of(d.path());
  if (type == "btrfs" || type == "xfs") GTEST_SKIP() << "the test folder is on " << type;
  const std::string src = d / "src.sqlite";
  test::make_chinook(src, 4096, "wal");
  auto b = backup("btrfs-snapshot", src, d / "b.db");
  EXPECT_EQ(b["status"], "skipped") << b.dump();
  EXPECT_EQ(b["error"], fmt::format("btrfs-snapshot needs the database on btrfs: {} is on {}", d.path(), type));
  auto r = backup("reflink-copy", src, d / "r.db");
  EXPECT_EQ(r["status"], "skipped") << r.dump();
  EXPECT_NE(r["error"].get<std::string>().find("cannot make reflink clones"), std::string::npos) << r.dump();
  for (auto& e : fs::directory_iterator(d.path()))
    EXPECT_EQ(e.path().filename().string().rfind("src.sqlite", 0), 0u) << "left " << e.path();
}

TEST(CowStrategies, ListSaysWhatEachNeeds) {
  auto r = run_bb({"list", "strategies"});
  ASSERT_EQ(r.code, 0) << r.err;
  // A strategy's block: its name line, then the indented lines under it.
  auto block_of = [&](const std::string& name) {
    auto at = r.out.find(name + "\n");
    if (at == std::string::npos) return std::string();
    auto end = at + name.size() + 1;
    while (end < r.out.size() && r.out[end] == ' ') end = r.out.find('\n', end) + 1;
    return r.out.substr(at, end - at);
  };
  auto needs_of = [&](const std::string& name) {
    std::string b = block_of(name);
    auto n = b.find("    needs: ");
    return n == std::string::npos ? std::string() : b.substr(n + 11, b.find('\n', n) - n - 11);
  };
  EXPECT_EQ(needs_of("btrfs-snapshot"), "the database on btrfs (any subvolume), root");
  EXPECT_NE(needs_of("reflink-copy").find("copy-on-write filesystem (btrfs, xfs with reflink)"), std::string::npos);
  // A strategy that needs nothing has no needs line.
  EXPECT_NE(block_of("online"), "");
  EXPECT_EQ(needs_of("online"), "");
}

}  // namespace
}  // namespace bb
