// The validator never changes what it checks: a snapshot with a hot journal, with
// its own -wal, or with a -wal that is not its own is byte-identical afterwards
// (the snapshot, its sidecars and the folder's file list) and still judged; a
// snapshot the caller cannot read is bad input (exit 2), not a verdict.
#include <grp.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <functional>

#include "tests/validation/validation_support.h"

namespace bb::vtest {
namespace {

constexpr uid_t kNobody = 65534;

// A WAL-mode ledger whose last commits are only in its -wal: `main_commits`
// transfers checkpointed into the file, then `wal_commits` more in the -wal.
// Copies the pair to `snap` (and `snap`-wal) while the connection is open
// (closing it would checkpoint).
void build_wal_pair(const std::string& live, const std::string& snap, int main_commits, int wal_commits) {
  auto w = find_workload("ledger")->make();
  Db db(live, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  db.exec("PRAGMA journal_mode=WAL; PRAGMA wal_autocheckpoint=0; PRAGMA synchronous=OFF;");
  w->populate(db, {256 << 10, 1});
  auto tx = w->writer(db, 0);
  Rng rng(5);
  for (int i = 0; i < main_commits; ++i) tx->run(rng);
  db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
  for (int i = 0; i < wal_commits; ++i) tx->run(rng);
  ASSERT_GT(fs::file_size(with(live, "-wal")), 0u);
  copy_file(live, snap);
  copy_file(with(live, "-wal"), with(snap, "-wal"));
}

TEST(ReadOnly, OwnWalIsAppliedOnAPrivateCopyAndLeftAlone) {
  test::TempDir d;
  build_wal_pair(d / "live.db", d / "snap.db", 20, 80);
  auto j = expect_verdict(d / "snap.db", Expect("OK").min(100).max(100).seq(100).detail(
                                             {"-wal file", "80 commits", "recovery ran on a private copy"}));
  EXPECT_EQ(j["recovered_copy"], true);
  EXPECT_EQ(j["wal"]["state"], "applied") << j["wal"].dump();
  EXPECT_EQ(j["wal"]["commits"], 80);
  EXPECT_TRUE(j["timings_ms"].contains("copy")) << j.dump(2);
  // Without its -wal the same file misses those 80 commits.
  fs::remove(d / "snap.db-wal");
  auto alone = expect_verdict(d / "snap.db", Expect("STALE").min(100).seq(20));
  EXPECT_EQ(alone["recovered_copy"], false);
}

// SQLite follows a symbolic link and finds the sidecars beside its target; so
// does the validator.
TEST(ReadOnly, SymlinkedSnapshotUsesTheTargetsWal) {
  test::TempDir d;
  fs::create_directory(d / "real");
  build_wal_pair(d / "live.db", d / "real/snap.db", 10, 10);
  fs::create_symlink(d / "real/snap.db", d / "link.db");
  Verdict v = validate_snapshot(d / "link.db", "ledger", {20, 20});
  EXPECT_EQ(to_string(v.status), "OK") << v.detail;
  EXPECT_EQ(v.snapshot_seq, 20);
  EXPECT_TRUE(v.recovered_copy);
}

// What SQLite's recovery applies, the validator's own reading of the -wal agrees
// with: the frames up to the last complete commit, wherever the file is cut.
TEST(ReadOnly, WalScanAgreesWithSqlite) {
  test::TempDir d;
  build_wal_pair(d / "live.db", d / "full.db", 5, 30);
  std::string wal = test::read_file(d / "full.db-wal");
  size_t frame = 24 + 4096;
  for (size_t cut : {wal.size(), wal.size() - 1, wal.size() - frame, 32 + 7 * frame + 100, 32 + 3 * frame, size_t(40)}) {
    SCOPED_TRACE(cut);
    test::TempDir c;
    copy_file(d / "full.db", c / "snap.db");
    write_bytes(c / "snap.db-wal", wal.substr(0, cut));
    Verdict v = validate_snapshot(c / "snap.db", "ledger", {});
    ASSERT_FALSE(v.wal.is_null());
    // SQLite's count: the log size a passive checkpoint reports on a copy.
    test::TempDir s;
    copy_file(c / "snap.db", s / "x.db");
    copy_file(c / "snap.db-wal", s / "x.db-wal");
    Db db(s / "x.db");
    Stmt ck(db, "PRAGMA wal_checkpoint(PASSIVE)");
    ASSERT_TRUE(ck.step());
    int64_t sqlite_frames = ck.col_int(1);
    EXPECT_EQ(v.wal["frames"], sqlite_frames) << v.wal.dump();
    EXPECT_EQ(v.wal["state"], sqlite_frames > 0 ? "applied" : "ignored") << v.wal.dump();
    EXPECT_EQ(to_string(v.status), "OK") << v.detail;
  }
}

// A rollback-mode ledger copied mid-transaction, after the transaction's changed
// pages were spilled into the file: the copy is torn and its -journal is hot.
TEST(ReadOnly, HotJournalIsRolledBackOnAPrivateCopyAndLeftAlone) {
  test::TempDir d;
  std::string live = d / "live.db";
  build_ledger(live, 40);
  std::string committed = test::read_file(live);
  {
    Db db(live);
    db.exec("PRAGMA cache_size=5");  // small enough that the update spills into the file
    db.exec("BEGIN IMMEDIATE");
    db.exec("UPDATE accounts SET balance = balance + 1");
    copy_file(live, d / "snap.db");
    copy_file(with(live, "-journal"), d / "snap.db-journal");
    db.exec("ROLLBACK");
  }
  ASSERT_NE(test::read_file(d / "snap.db"), committed) << "nothing was spilled: the journal is not needed";
  ASSERT_NE(test::read_file(d / "snap.db-journal").at(0), '\0');
  auto j = expect_verdict(d / "snap.db", Expect("OK").min(40).max(40).seq(40).detail(
                                             {"hot -journal file", "rolled it back", "recovery ran on a private copy"}));
  EXPECT_EQ(j["recovered_copy"], true);
  EXPECT_EQ(j["journal"]["hot"], true);
  EXPECT_EQ(j["journal"]["state"], "rolled back");
  // Without the journal, the torn file is not a consistent ledger.
  fs::remove(d / "snap.db-journal");
  expect_verdict(d / "snap.db", Expect("INCONSISTENT|CORRUPT").min(40));
}

// A -wal left from an earlier moment of the same database cannot be told from its
// own (the files carry no link, see recovery.cpp): SQLite merges it, rolling the
// file back to that moment, and the verdict judges exactly that -- here STALE --
// while the snapshot and the -wal stay as they were.
TEST(ReadOnly, StaleWalOfTheSameDatabaseIsJudgedAsSqliteWouldSeeIt) {
  test::TempDir d;
  std::string live = d / "live.db";
  auto w = find_workload("ledger")->make();
  {
    Db db(live, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    db.exec("PRAGMA journal_mode=WAL; PRAGMA wal_autocheckpoint=0; PRAGMA synchronous=OFF;");
    w->populate(db, {256 << 10, 1});
    auto tx = w->writer(db, 0);
    Rng rng(9);
    for (int i = 0; i < 300; ++i) tx->run(rng);
    copy_file(with(live, "-wal"), d / "stale-wal");
    db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
    for (int i = 0; i < 300; ++i) tx->run(rng);
    db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
    copy_file(live, d / "snap.db");
  }
  expect_verdict(d / "snap.db", Expect("OK").min(600).max(600).seq(600));
  copy_file(d / "stale-wal", d / "snap.db-wal");
  auto j = expect_verdict(d / "snap.db", Expect("STALE").min(600).max(600).seq(300).detail({"-wal file"}));
  EXPECT_EQ(j["wal"]["state"], "applied") << j["wal"].dump();
  EXPECT_EQ(j["recovered_copy"], true);
}

TEST(ReadOnly, WalOfAnotherPageSizeIsForeign) {
  test::TempDir d;
  build_ledger(d / "snap.db", 30);
  {
    Db other(d / "other.db", SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    other.exec("PRAGMA page_size=1024; PRAGMA journal_mode=WAL; PRAGMA wal_autocheckpoint=0;"
               "CREATE TABLE t(x); INSERT INTO t VALUES (randomblob(5000));");
    copy_file(d / "other.db-wal", d / "snap.db-wal");
  }
  auto j = expect_verdict(d / "snap.db", Expect("CORRUPT").seq(30).detail(
                                             {"does not belong to it", "page size 1024 is not the database's 4096"}));
  EXPECT_EQ(j["wal"]["state"], "foreign");
}

// SQLite opens a rollback-mode database that has a -wal beside it in WAL mode
// and merges the -wal: a database in rollback mode never wrote one.
TEST(ReadOnly, WalBesideARollbackModeDatabaseIsForeign) {
  test::TempDir d;
  build_ledger(d / "snap.db", 30);
  build_wal_pair(d / "live.db", d / "other.db", 1, 5);
  copy_file(d / "other.db-wal", d / "snap.db-wal");
  auto j = expect_verdict(d / "snap.db", Expect("CORRUPT").seq(30).detail({"rollback-journal mode"}));
  EXPECT_EQ(j["wal"]["state"], "foreign");
}

// Runs `f` in a child process without root's override of file permissions
// (as nobody when running as root); returns its exit code.
int in_unprivileged_child(const std::function<int()>& f) {
  pid_t pid = fork();
  if (pid == 0) {
    if (geteuid() == 0 && (setgroups(0, nullptr) != 0 || setgid(kNobody) != 0 || setuid(kNobody) != 0)) _exit(99);
    _exit(f());
  }
  int st = 0;
  waitpid(pid, &st, 0);
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

// The same for the binary: as root, through setpriv as nobody.
class Unprivileged : public ::testing::Test {
 protected:
  void SetUp() override {
    // mkdtemp makes 0700 folders; nobody must reach the files inside.
    fs::permissions(tmp_.path(), fs::perms(0755));
    if (geteuid() == 0) {
      prefix_ = fmt::format("setpriv --reuid={0} --regid={0} --clear-groups -- ", kNobody);
      auto r = test::run_sh(prefix_ + quote(BB_BINARY) + " list workloads");
      if (r.code != 0)
        GTEST_SKIP() << "running as root, and the binary cannot run as nobody through setpriv (exit " << r.code
                     << ": " << r.err << "): mode 000 would not stop root";
    }
  }
  test::CmdResult validate(const std::vector<std::string>& args) {
    std::string cmd = prefix_ + "timeout 60 " + quote(BB_BINARY) + " validate";
    for (auto& a : args) cmd += " " + quote(a);
    return test::run_sh(cmd);
  }
  test::TempDir tmp_;
  std::string prefix_;
};

TEST_F(Unprivileged, UnreadableSnapshotIsBadInputNotAVerdict) {
  build_ledger(tmp_ / "snap.db", 10);
  fs::permissions(tmp_ / "snap.db", fs::perms::none);
  auto r = validate({tmp_ / "snap.db"});
  EXPECT_EQ(r.code, 2) << r.out << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("permission denied"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(tmp_ / "snap.db"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  // In-process, the same problem is an exception, not a CORRUPT verdict.
  std::string path = tmp_ / "snap.db";
  int code = in_unprivileged_child([&] {
    try {
      validate_snapshot(path, "auto", {});
      return 1;
    } catch (const SnapshotAccessError& e) {
      return std::string(e.what()).find("permission denied") != std::string::npos ? 42 : 2;
    } catch (...) {
      return 3;
    }
  });
  EXPECT_EQ(code, 42);
  fs::permissions(tmp_ / "snap.db", fs::perms(0644));
}

TEST_F(Unprivileged, UnreadableWalOrFolderIsBadInput) {
  fs::create_directory(tmp_ / "dir");
  build_wal_pair(tmp_ / "live.db", tmp_ / "dir/snap.db", 5, 5);
  fs::permissions(tmp_ / "dir/snap.db-wal", fs::perms::none);
  auto r = validate({tmp_ / "dir/snap.db"});
  EXPECT_EQ(r.code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find("snap.db-wal: permission denied"), std::string::npos) << r.err;
  fs::permissions(tmp_ / "dir/snap.db-wal", fs::perms(0644));
  // A folder the caller cannot search.
  fs::permissions(tmp_ / "dir", fs::perms::none);
  r = validate({tmp_ / "dir/snap.db"});
  EXPECT_EQ(r.code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find("Permission denied"), std::string::npos) << r.err;
  fs::permissions(tmp_ / "dir", fs::perms(0755));
}

// Recovery happens on a private copy, so a WAL snapshot in a folder the caller
// cannot write is judged like any other (SQLite in place would need a -shm).
TEST_F(Unprivileged, WalSnapshotInAFolderTheCallerCannotWrite) {
  fs::create_directory(tmp_ / "ro");
  build_wal_pair(tmp_ / "live.db", tmp_ / "ro/snap.db", 10, 20);
  copy_file(tmp_ / "ro/snap.db", tmp_ / "ro/main-only.db");  // WAL-mode header, no -wal
  if (geteuid() != 0) fs::permissions(tmp_ / "ro", fs::perms(0555));  // as root: owned by root, nobody cannot write
  auto before = folder_state(tmp_ / "ro");
  auto r = validate({"--committed-min", "30", tmp_ / "ro/snap.db"});
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("\"recovered_copy\": true"), std::string::npos) << r.out;
  r = validate({"--committed-min", "10", "--committed-max", "10", tmp_ / "ro/main-only.db"});
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  fs::permissions(tmp_ / "ro", fs::perms(0755));
  EXPECT_EQ(changed_files(before, folder_state(tmp_ / "ro")), "");
}

}  // namespace
}  // namespace bb::vtest
