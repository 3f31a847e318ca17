// Every registered strategy, run through the real binary (`backup-bench backup`):
// copies that sqldiff calls identical, WAL frames that some strategies carry and
// some lose, no file at the destination after a killed backup, bad parameters
// rejected with exit 2 and the source untouched. New strategies are covered
// automatically: the tests iterate over the registry.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

#include "core/clock.h"
#include "core/process.h"
#include "core/shared_state.h"
#include "core/sqlite_db.h"
#include "strategies/strategy.h"
#include "tests/strategies/strategy_test_support.h"
#include "tests/test_support.h"

namespace fs = std::filesystem;

namespace bb {
namespace {

using test::run_bb;
using test::TempDir;

std::vector<std::string> strategy_names() {
  std::vector<std::string> n;
  for (auto& s : strategies()) n.push_back(s.name);
  return n;
}

std::string param_name(const ::testing::TestParamInfo<std::string>& info) {
  std::string s;
  for (char c : info.param) s.push_back(std::isalnum((unsigned char)c) ? c : '_');
  return s;
}

// ---------------------------------------------------------------------------
// 1. Every strategy copies quiescent databases of several shapes exactly.

class EveryStrategy : public ::testing::TestWithParam<std::string> {};

TEST_P(EveryStrategy, CopiesChinookIdenticallyInEveryPageSizeAndMode) {
  const StrategyInfo* info = find_strategy(GetParam());
  ASSERT_NE(info, nullptr);
  TempDir d;
  struct Shape {
    std::string name;
    int page_size;  // 0: the fixture exactly as shipped
    std::string mode;
  };
  const std::vector<Shape> shapes{{"chinook", 0, "delete"},        {"p1024-delete", 1024, "delete"},
                                  {"p65536-delete", 65536, "delete"}, {"p4096-wal", 4096, "wal"},
                                  {"p1024-wal", 1024, "wal"},          {"p65536-wal", 65536, "wal"}};
  int completed = 0;
  for (auto& sh : shapes) {
    SCOPED_TRACE(sh.name);
    std::string src = d / (sh.name + ".sqlite");
    if (sh.page_size == 0)
      fs::copy_file(test::test_data("chinook.sqlite"), src);
    else
      test::make_chinook(src, sh.page_size, sh.mode);
    const uint64_t before = test::file_hash(src);
    const std::string dest = d / (sh.name + "-copy.db");
    auto r = run_bb({"backup", "--strategy", info->name, src, dest});
    const std::string why = skip_reason_for(*info, sh.mode, false, src, dest);
    if (!why.empty()) {
      EXPECT_EQ(r.code, 0) << r.err;
      EXPECT_EQ(test::outcome_status(r), "skipped") << r.out;
      EXPECT_EQ(nlohmann::json::parse(r.out)["error"], why);
      EXPECT_FALSE(fs::exists(dest));
      continue;
    }
    ASSERT_EQ(r.code, 0) << r.out << r.err;
    ASSERT_EQ(test::outcome_status(r), "completed") << r.out;
    auto j = nlohmann::json::parse(r.out);
    EXPECT_GT(j["bytes"].get<int64_t>(), 0);
    ASSERT_TRUE(fs::exists(dest));
    auto diff = test::sqldiff(src, dest);
    EXPECT_EQ(diff.code, 0) << diff.err;
    EXPECT_EQ(diff.out, "") << "sqldiff found differences";
    EXPECT_EQ(test::integrity(dest), "ok");
    if (sh.page_size == 0) {  // the shipped fixture: also against the file itself
      auto d2 = test::sqldiff(test::test_data("chinook.sqlite"), dest);
      EXPECT_EQ(d2.out, "");
    }
    // No temporary left beside the destination.
    for (auto& e : fs::directory_iterator(d.path()))
      EXPECT_EQ(e.path().filename().string().find(".partial"), std::string::npos) << e.path();
    EXPECT_EQ(test::file_hash(src), before) << "the source changed";
    ++completed;
  }
  // A strategy that can run outside a trial must have run on some shape.
  const std::string src = d / "any.sqlite", dest = d / "any-copy.db";
  if (skip_reason_for(*info, "wal", false, src, dest).empty() ||
      skip_reason_for(*info, "delete", false, src, dest).empty()) {
    EXPECT_GT(completed, 0);
  }
}

// ---------------------------------------------------------------------------
// 4. Bad parameters: exit 2, one line naming the problem, source untouched.

TEST_P(EveryStrategy, RejectsBadParametersWithExit2AndLeavesTheSourceAlone) {
  const StrategyInfo* info = find_strategy(GetParam());
  ASSERT_NE(info, nullptr);
  TempDir d;
  const std::string src = d / "src.sqlite";
  fs::copy_file(test::test_data("chinook.sqlite"), src);
  const uint64_t before = test::file_hash(src);
  const std::string dest = d / "copy.db";
  auto expect_2 = [&](const std::string& opt, const std::string& needle) {
    SCOPED_TRACE(opt);
    auto r = run_bb({"backup", "--strategy", info->name, "--opt", opt, src, dest});
    EXPECT_EQ(r.code, 2) << r.out << r.err;
    EXPECT_NE(r.err.find(needle), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_FALSE(fs::exists(dest));
    EXPECT_EQ(test::file_hash(src), before);
  };
  expect_2("no_such_key=1", "no_such_key");
  expect_2("novalue", "KEY=VALUE");
  for (auto& p : info->params) {
    if (!p.choices.empty()) {
      expect_2(p.name + "=bogus", "bogus");
      expect_2(p.name + "=", p.name);
    } else {
      expect_2(p.name + "=12abc", "12abc");
    }
  }
  EXPECT_EQ(test::file_hash(src), before);
  for (auto& e : fs::directory_iterator(d.path())) EXPECT_EQ(e.path().filename(), "src.sqlite");
}

INSTANTIATE_TEST_SUITE_P(Strategies, EveryStrategy, ::testing::ValuesIn(strategy_names()), param_name);

// ---------------------------------------------------------------------------
// 2. A WAL database held open by another process, with committed frames still
// in its -wal: which strategies' copies include them.

struct Variant {
  std::string strategy;
  std::vector<std::string> opts;
  bool includes_wal_frames;
};

TEST(StrategiesWal, CommittedFramesInTheWalOfAnOpenDatabase) {
  TempDir d;
  const std::string src = d / "held.sqlite";
  {
    Db db(src, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    db.query_text("PRAGMA journal_mode = wal");
    db.exec("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT NOT NULL);"
            "INSERT INTO t(v) WITH RECURSIVE n(value) AS (SELECT 1 UNION ALL SELECT value + 1 FROM n WHERE value < 100) SELECT printf('base-%d', value) FROM n");
  }  // closing the last connection checkpoints: the main file holds the base rows
  ASSERT_FALSE(fs::exists(src + "-wal"));

  test::ShellHolder holder(src);
  holder.run("PRAGMA wal_autocheckpoint = 0;");
  holder.run("INSERT INTO t(v) WITH RECURSIVE n(value) AS (SELECT 1 UNION ALL SELECT value + 1 FROM n WHERE value < 500) SELECT printf('wal-%d', value) FROM n;"
             "CREATE TABLE only_in_wal(x); INSERT INTO only_in_wal VALUES (42);"
             "UPDATE t SET v = 'changed' WHERE id <= 10;");
  ASSERT_GT(fs::file_size(src + "-wal"), 0u);
  ASSERT_EQ(holder.run("SELECT count(*) FROM t;"), "600\n");

  // Defaults of every strategy (those that can run outside a trial), plus the
  // interesting parameter variants. A strategy not named here is expected to
  // carry the frames: a backup of a live WAL database that loses committed
  // transactions is a finding.
  std::vector<Variant> variants;
  auto lose = [](const std::string& s) { return s == "raw-copy" || s == "exclusive-copy"; };
  for (auto& s : strategies())
    if (skip_reason_for(s, "wal", false, src, d / "copy.db").empty())
      variants.push_back({s.name, {}, !lose(s.name)});
  variants.push_back({"raw-copy", {"wal=true"}, true});
  variants.push_back({"exclusive-copy", {"lock=immediate"}, false});
  variants.push_back({"exclusive-copy", {"copier=inprocess"}, false});
  variants.push_back({"online", {"pages=5", "pin_snapshot=true"}, true});

  int n = 0;
  for (auto& v : variants) {
    std::string label = v.strategy;
    for (auto& o : v.opts) label += " " + o;
    SCOPED_TRACE(label);
    const std::string dest = d / fmt::format("copy{}.db", n++);
    std::vector<std::string> args{"backup", "--strategy", v.strategy};
    for (auto& o : v.opts) args.insert(args.end(), {"--opt", o});
    args.insert(args.end(), {src, dest});
    auto r = run_bb(args);
    ASSERT_EQ(r.code, 0) << r.out << r.err;
    ASSERT_EQ(test::outcome_status(r), "completed") << r.out;
    // The holder is reported on stderr (find_holders).
    EXPECT_NE(r.err.find(std::to_string(holder.pid())), std::string::npos) << r.err;
    EXPECT_EQ(test::integrity(dest), "ok");
    Db copy(dest, SQLITE_OPEN_READWRITE);
    if (v.includes_wal_frames) {
      auto diff = test::sqldiff(src, dest);
      EXPECT_EQ(diff.out, "") << "the copy lost committed WAL frames";
      EXPECT_EQ(copy.query_int("SELECT count(*) FROM t"), 600);
    } else {
      // Only what the last checkpoint put in the main file.
      EXPECT_EQ(copy.query_int("SELECT count(*) FROM t"), 100);
      EXPECT_EQ(copy.query_int("SELECT count(*) FROM sqlite_schema WHERE name = 'only_in_wal'"), 0);
      EXPECT_EQ(copy.query_int("SELECT count(*) FROM t WHERE v = 'changed'"), 0);
      EXPECT_NE(test::sqldiff(src, dest).out, "");
    }
    // Still live: nothing checkpointed the frames away behind the test's back.
    ASSERT_GT(fs::file_size(src + "-wal"), 0u);
    ASSERT_EQ(holder.run("SELECT count(*) FROM t;"), "600\n");
  }
  holder.finish();
}

// fs-snapshot outside the driver: the test plays the driver's part, naming the
// holder in the shared segment as a worker and passing --in-trial. The holder
// must be frozen, its files copied as they are (SQLite's recovery on opening
// the copy makes it consistent), and resumed.

char proc_state(pid_t pid) {
  std::string s = test::read_file(fmt::format("/proc/{}/stat", pid));
  auto rp = s.rfind(')');
  return rp == std::string::npos || rp + 2 >= s.size() ? 0 : s[rp + 2];
}

nlohmann::json fs_snapshot_of(const std::string& src, const std::string& dest, pid_t holder) {
  ShmSegment seg = ShmSegment::create(make_segment_name());
  seg.state()->workers[0].pid = holder;
  auto r = run_bb({"backup", "--strategy", "fs-snapshot", "--shm", seg.name(), "--in-trial", src, dest});
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  // Resumed: a stopped holder would block the next holder.run() forever.
  EXPECT_NE(proc_state(holder), 'T');
  if (proc_state(holder) == 'T') kill(holder, SIGCONT);
  return nlohmann::json::parse(r.out);
}

TEST(StrategiesFsSnapshot, WalImageOfAnOpenDatabaseIncludesItsCommittedFrames) {
  TempDir d;
  const std::string src = d / "held.sqlite";
  {
    Db db(src, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    db.query_text("PRAGMA journal_mode = wal");
    db.exec("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT NOT NULL); INSERT INTO t(v) VALUES ('base')");
  }
  test::ShellHolder holder(src);
  holder.run("PRAGMA wal_autocheckpoint = 0;"
             "INSERT INTO t(v) SELECT printf('wal-%d', value) FROM generate_series(1, 300);");
  ASSERT_GT(fs::file_size(src + "-wal"), 0u);
  const std::string dest = d / "image.db";
  auto j = fs_snapshot_of(src, dest, holder.pid());
  ASSERT_EQ(j["status"], "completed") << j.dump();
  EXPECT_EQ(j["extra"]["frozen_pids"], nlohmann::json::array({holder.pid()}));
  EXPECT_GE(j["extra"]["freeze_ms"].get<double>(), 0.0);
  EXPECT_NE(std::find(j["extra"]["files_copied"].begin(), j["extra"]["files_copied"].end(), "-wal"),
            j["extra"]["files_copied"].end());
  EXPECT_TRUE(fs::exists(dest + "-wal"));
  EXPECT_EQ(test::sqldiff(src, dest).out, "");
  EXPECT_EQ(test::integrity(dest), "ok");
  EXPECT_EQ(holder.run("SELECT count(*) FROM t;"), "301\n");  // resumed and well
}

TEST(StrategiesFsSnapshot, RollbackImageMidTransactionRollsBackItsHotJournal) {
  TempDir d;
  const std::string src = d / "held.sqlite";
  {
    Db db(src, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    db.exec("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT NOT NULL);"
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000)"
            " INSERT INTO t(v) SELECT printf('row-%d', i) FROM n");
  }
  test::ShellHolder holder(src);
  // A tiny page cache makes the open transaction spill changed pages into the
  // main file (after syncing the journal): the file alone is now torn, and only
  // the hot journal's rollback gives the committed state back.
  holder.run("PRAGMA cache_size = 2; BEGIN; UPDATE t SET v = printf('%0300d', id);");
  ASSERT_GT(fs::file_size(src + "-journal"), 0u);
  const std::string dest = d / "image.db";
  auto j = fs_snapshot_of(src, dest, holder.pid());
  ASSERT_EQ(j["status"], "completed") << j.dump();
  EXPECT_TRUE(fs::exists(dest + "-journal"));
  {
    // The image's main file alone really is torn (so the test shows the rollback).
    fs::copy_file(dest, d / "torn.db");
    Db torn(d / "torn.db", SQLITE_OPEN_READWRITE);
    EXPECT_LT(torn.query_int("SELECT count(*) FROM t WHERE v LIKE 'row-%'"), 2000);
  }
  EXPECT_EQ(test::integrity(dest), "ok");  // opening rolls the hot journal back
  {
    Db copy(dest, SQLITE_OPEN_READWRITE);
    EXPECT_EQ(copy.query_int("SELECT count(*) FROM t WHERE v LIKE 'row-%'"), 2000);
  }
  holder.run("ROLLBACK;");
  EXPECT_EQ(test::sqldiff(src, dest).out, "");
}

TEST(StrategiesFsSnapshot, KilledWhileHoldersAreFrozenStillResumesThem) {
  TempDir d;
  const std::string src = d / "db.sqlite";
  fs::copy_file(test::test_data("chinook.sqlite"), src);
  // A FIFO where the -wal would be: the copy blocks opening it, so the backup is
  // caught with its holder frozen.
  ASSERT_EQ(mkfifo((src + "-wal").c_str(), 0600), 0);
  test::ShellHolder holder(d / "other.sqlite");
  holder.run("SELECT 1;");
  ShmSegment seg = ShmSegment::create(make_segment_name());
  seg.state()->workers[0].pid = holder.pid();
  const std::string dest = d / "image.db";
  pid_t pid = spawn(BB_BINARY, {"backup", "--strategy", "fs-snapshot", "--shm", seg.name(), "--in-trial", src, dest},
                    {.stdout_path = d / "out.json"});
  int64_t deadline = now_ns() + s_to_ns(20);
  while (proc_state(holder.pid()) != 'T' && now_ns() < deadline && !try_wait(pid))
    std::this_thread::sleep_for(std::chrono::milliseconds(1));  // observing, not synchronising
  ASSERT_EQ(proc_state(holder.pid()), 'T') << "the holder was never frozen";
  kill_and_wait(pid);
  // The guardian resumes the holder once the backup is gone.
  deadline = now_ns() + s_to_ns(20);
  while (proc_state(holder.pid()) == 'T' && now_ns() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  ASSERT_NE(proc_state(holder.pid()), 'T') << "a killed fs-snapshot left its holder frozen";
  EXPECT_EQ(holder.run("SELECT 2;"), "2\n");
  EXPECT_FALSE(fs::exists(dest));
}

// ---------------------------------------------------------------------------
// 3. A backup killed with SIGKILL in the middle of its copy leaves nothing at the
// destination path.

TEST(StrategiesKill, KilledMidCopyLeavesNoDestination) {
  TempDir d;
  const std::string src = d / "big.sqlite";
  {
    Db db(src, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    db.exec("CREATE TABLE b(id INTEGER PRIMARY KEY, x BLOB);"
            "INSERT INTO b(x) WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1500) SELECT randomblob(3000) FROM n");
  }
  ASSERT_GT(fs::file_size(src), 4'000'000u);
  const uint64_t before = test::file_hash(src);
  const std::string dest = d / "copy.db";

  // The backup reports its progress in a shared segment, as in a trial; the test
  // watches it (observation only) and kills the backup once pages are moving.
  ShmSegment seg = ShmSegment::create(make_segment_name());
  pid_t pid = spawn(BB_BINARY,
                    {"backup", "--strategy", "online", "--opt", "pages=1", "--opt", "sleep_ms=50", "--shm",
                     seg.name(), src, dest},
                    {.stdout_path = d / "out.json"});
  const BackupProgress& bp = seg.state()->backup;
  const int64_t deadline = now_ns() + s_to_ns(30);
  while (bp.steps.load() < 3 && now_ns() < deadline) {
    if (try_wait(pid)) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  ASSERT_GE(bp.steps.load(), 3) << "the backup made no progress";
  ASSERT_GT(bp.remaining.load(), 0) << "the backup finished before it could be killed";
  auto ex = kill_and_wait(pid);
  EXPECT_EQ(ex.signal, SIGKILL);
  EXPECT_FALSE(fs::exists(dest)) << "a killed backup left a file at the destination";
  for (auto side : {"-wal", "-journal"}) EXPECT_FALSE(fs::exists(dest + side));
  EXPECT_EQ(test::file_hash(src), before);
  EXPECT_EQ(test::integrity(src), "ok");
}

}  // namespace
}  // namespace bb

namespace bb {
namespace {

// The shell reports errors only as text: a database still locked when its
// .timeout runs out is a lock failure (FailureKind::kLocked), not an internal one.
TEST(CliBackup, ADatabaseLockedPastItsTimeoutIsALockFailure) {
  const StrategyInfo* info = find_strategy("cli-backup");
  ASSERT_NE(info, nullptr);
  TempDir d;
  const std::string src = d / "src.sqlite", dest = d / "copy.db";
  fs::copy_file(test::test_data("chinook.sqlite"), src);
  if (auto why = skip_reason_for(*info, "delete", false, src, dest); !why.empty()) GTEST_SKIP() << why;
  Db holder(src);
  holder.exec("BEGIN EXCLUSIVE");
  auto r = run_bb({"backup", "--strategy", "cli-backup", "--opt", "timeout_ms=50", src, dest});
  holder.exec("ROLLBACK");
  ASSERT_EQ(test::outcome_status(r), "failed") << r.out << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["failure"], "locked") << r.out;
  EXPECT_NE(j["error"].get<std::string>().find("locked"), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(dest));
}

}  // namespace
}  // namespace bb
