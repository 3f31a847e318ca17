// Issue 11's "Done when", one test per class of failure, each failing on the
// behaviour before the fixes: destinations that would hurt the source, numbers
// out of range, a writer killed outside a nemesis, signals and SIGKILL during a
// standalone backup, a full destination disk.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "core/clock.h"
#include "core/fault_fs.h"
#include "core/loop_fs.h"
#include "core/process.h"
#include "core/sqlite_db.h"
#include "strategies/strategy.h"
#include "tests/strategies/strategy_test_support.h"
#include "tests/test_support.h"

namespace fs = std::filesystem;

namespace bb {
namespace {

using test::run_bb;
using test::TempDir;

std::vector<std::string> names_in(const std::string& dir) {
  std::vector<std::string> out;
  for (auto& e : fs::directory_iterator(dir)) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

// Exit 2 and one error line naming the problem (a standalone backup may print
// "holder: ..." lines before it, facts about who else has the source open).
void expect_one_line_exit_2(const test::CmdResult& r, const std::string& needle) {
  EXPECT_EQ(r.code, 2) << r.out << r.err;
  std::vector<std::string> errors;
  std::istringstream in(r.err);
  for (std::string l; std::getline(in, l);)
    if (l.rfind("holder: ", 0) != 0) errors.push_back(l);
  ASSERT_EQ(errors.size(), 1u) << r.err;
  EXPECT_EQ(errors[0].rfind("backup-bench: ", 0), 0u) << r.err;
  EXPECT_NE(errors[0].find(needle), std::string::npos) << "expected '" << needle << "' in: " << r.err;
}

// A WAL database whose newest commits live only in its -wal, held open by this
// process (autocheckpoint off) so the -wal stays: the source a careless copy
// to SRC-wal destroys.
struct HeldWalSource {
  std::string path;
  std::unique_ptr<Db> db;
  explicit HeldWalSource(const std::string& p, int rows = 500, int blob = 100) : path(p) {
    db = std::make_unique<Db>(p, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    db->exec("PRAGMA journal_mode = WAL; PRAGMA wal_autocheckpoint = 0;");
    db->exec("CREATE TABLE t(id INTEGER PRIMARY KEY, x BLOB)");
    db->exec("PRAGMA wal_checkpoint(TRUNCATE)");
    for (int i = 0; i < rows; ++i) db->exec(fmt::format("INSERT INTO t(x) VALUES (randomblob({}))", blob));
  }
  // The database's bytes: the file and its -wal (the -shm is shared memory,
  // which every reader's read marks change). Read by another process: opening
  // and closing the file here would drop this process's POSIX locks, and the
  // next connection to close would think itself the last and checkpoint.
  std::string hash() const {
    auto r = test::run_sh("cat " + test::sh_quote(path) + " " + test::sh_quote(path + "-wal") + " | md5sum");
    return r.out;
  }
};

// ---------------------------------------------------------------------------
// Destinations that would hurt the source are refused before anything opens.

TEST(SafetyDestination, RawCopyRefusesEveryFileOfTheSourceAndNonRegularFiles) {
  TempDir d;
  HeldWalSource src(d / "s.db");
  const std::string before = src.hash();
  ASSERT_GT(fs::file_size(src.path + "-wal"), 0u);
  fs::create_hard_link(src.path, d / "hardlink.db");
  fs::create_symlink(src.path, d / "symlink.db");
  fs::create_symlink(d / "nowhere.db", d / "dangling.db");
  ASSERT_EQ(mkfifo((d / "fifo.db").c_str(), 0600), 0);
  fs::create_directory(d / "folder.db");
  const std::vector<std::pair<std::string, std::string>> cases{{src.path, "source itself"},
                                                               {src.path + "-wal", "a file of the source"},
                                                               {src.path + "-shm", "a file of the source"},
                                                               {src.path + "-journal", "a file of the source"},
                                                               {d / "hardlink.db", "source itself"},
                                                               {d / "symlink.db", "source itself"},
                                                               {d / "dangling.db", "symbolic link"},
                                                               {d / "fifo.db", "not a regular file"},
                                                               {d / "folder.db", "folder"},
                                                               {d.path() + "/./s.db-wal", "a file of the source"}};
  for (auto& [dest, needle] : cases) {
    SCOPED_TRACE(dest);
    auto r = run_bb({"backup", "--strategy", "raw-copy", src.path, dest});
    expect_one_line_exit_2(r, needle);
    EXPECT_EQ(src.hash(), before) << "the source changed";
  }
  EXPECT_EQ(src.db->query_int("SELECT count(*) FROM t"), 500);
  EXPECT_TRUE(fs::is_fifo(d / "fifo.db"));
  EXPECT_TRUE(fs::is_directory(d / "folder.db"));
  EXPECT_TRUE(fs::is_symlink(d / "dangling.db"));
  // Every other strategy refuses SRC-wal the same way.
  for (auto& s : strategies()) {
    SCOPED_TRACE(s.name);
    expect_one_line_exit_2(run_bb({"backup", "--strategy", s.name, src.path, src.path + "-wal"}),
                           "a file of the source");
  }
  EXPECT_EQ(src.hash(), before);
}

// ---------------------------------------------------------------------------
// Numbers out of range: exit 2 at once, before any work (a hang is exit 137).

TEST(SafetyNumbers, StrategyParametersOutOfRangeExit2AtOnce) {
  TempDir d;
  const std::string src = test::test_data("chinook.sqlite");
  for (auto opt : {"pages=0", "pages=4294967296", "pages=-2", "sleep_ms=1000000000000", "sleep_ms=-1"}) {
    SCOPED_TRACE(opt);
    auto r = test::run_sh(fmt::format("timeout -s KILL 20 {} backup --strategy online --opt {} {} {}",
                                      test::sh_quote(BB_BINARY), opt, test::sh_quote(src), d / "out.db"));
    expect_one_line_exit_2(r, std::string(opt).substr(0, std::string(opt).find('=')));
    EXPECT_TRUE(names_in(d.path()).empty());
  }
}

TEST(SafetyNumbers, ScenarioOptionsOutOfRangeExit2BeforeAnyDatabase) {
  TempDir d;
  auto expect_refused = [&](std::vector<std::string> args, const std::string& needle) {
    SCOPED_TRACE(fmt::format("{}", fmt::join(args, " ")));
    std::string cmd = "timeout -s KILL 20 " + test::sh_quote(BB_BINARY) + " run --preset quick";
    for (auto& a : args) cmd += " " + test::sh_quote(a);
    cmd += " --out " + test::sh_quote(d / "run");
    expect_one_line_exit_2(test::run_sh(cmd), needle);
    EXPECT_FALSE(fs::exists(d / "run")) << "the run started before refusing";
  };
  expect_refused({"--set", "rate=1e-9"}, "rate");
  expect_refused({"--rate", "1e-9"}, "rate");
  expect_refused({"--repeat", "1000000000"}, "repeat");
  expect_refused({"--readers", "2147483648"}, "readers");
  expect_refused({"--readers", "64"}, "readers");
  expect_refused({"--readers", "62", "--writers", "3"}, "exceed");
  expect_refused({"--writers", "65"}, "writers");
  expect_refused({"--set", "warmup_s=1e12"}, "warmup_s");
  expect_refused({"--set", "baseline_s=1e300"}, "baseline_s");
  expect_refused({"--set", "backup_timeout_s=9223372036854775807"}, "backup_timeout_s");
  expect_refused({"--set", "cooldown_s=inf"}, "cooldown_s");
  expect_refused({"--modes", "wal,wal"}, "twice");
  expect_refused({"--db-mb", "8,8"}, "twice");
  expect_refused({"--set", "faults=kill-writer,kill-writer"}, "twice");
  // Two variants under one label would be merged into one row.
  std::ofstream(d / "dup.toml") << "[global]\nmodes = [\"wal\"]\n"
                                   "[[strategy]]\nname = \"online\"\nlabel = \"x\"\n"
                                   "[[strategy]]\nname = \"raw-copy\"\nlabel = \"x\"\n";
  auto r = test::run_bb({"run", "--scenario", d / "dup.toml", "--out", d / "run"});
  expect_one_line_exit_2(r, "label 'x'");
  EXPECT_FALSE(fs::exists(d / "run"));
}

// ---------------------------------------------------------------------------
// A worker that dies without a nemesis is a harness error: exit 3, named.

std::vector<pid_t> workers_of(const std::string& marker, const std::string& role) {
  std::vector<pid_t> out;
  for (auto& e : fs::directory_iterator("/proc")) {
    const std::string name = e.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::string cmd = test::read_file((e.path() / "cmdline").string());
    std::replace(cmd.begin(), cmd.end(), '\0', ' ');
    if (cmd.find("__worker") != std::string::npos && cmd.find(marker) != std::string::npos &&
        cmd.find("--role " + role) != std::string::npos && cmd.find("--slot 0 ") != std::string::npos)
      out.push_back(pid_t(std::stol(name)));
  }
  return out;
}

TEST(SafetyWorkers, AWriterKilledDuringTheBaselineMakesRunExit3NamingIt) {
  TempDir d;
  SpawnOptions so;
  so.stdout_path = d / "run.log";
  so.stderr_too = true;
  pid_t run = spawn(BB_BINARY,
                    {"run", "--preset", "quick", "--modes", "wal", "--strategies", "online", "--db-mb", "1", "--rate",
                     "20", "--set", "baseline_s=60", "--out", d / "run"},
                    so);
  // Observe (not synchronise) the trial's writer 0 appear, then kill it.
  std::vector<pid_t> w;
  const int64_t deadline = now_ns() + s_to_ns(60);
  while (w.empty() && now_ns() < deadline && !try_wait(run)) {
    w = workers_of(d / "run/", "writer");
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_EQ(w.size(), 1u) << test::read_file(d / "run.log");
  kill(w[0], SIGKILL);
  // Without the check the baseline runs on for a minute; with it, the driver
  // sees the death at once, ends the trial and the run.
  std::optional<ExitStatus> ex;
  const int64_t until = now_ns() + s_to_ns(30);
  while (!(ex = try_wait(run)) && now_ns() < until) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  if (!ex) ex = kill_and_wait(run);
  const std::string log = test::read_file(d / "run.log");
  EXPECT_EQ(ex->code, 3) << log;
  EXPECT_NE(log.find("writer 0"), std::string::npos) << log;
  auto j = nlohmann::json::parse(test::read_file(d / "run/results.json"));
  ASSERT_EQ(j["trials"].size(), 1u);
  const auto& t = j["trials"][0];
  ASSERT_TRUE(t["harness_error"].is_string());
  EXPECT_NE(t["harness_error"].get<std::string>().find("writer 0"), std::string::npos);
  EXPECT_NE(t["verdict"]["status"], "OK");
}

// ---------------------------------------------------------------------------
// Signals during a standalone backup: a slow destination (a FUSE layer whose
// writes wait) keeps every strategy in the middle of writing when it comes.

struct SlowDest {
  std::unique_ptr<FaultFs> fs;
  std::string cannot;
  explicit SlowDest(int64_t delay_ms) {
    FaultFsSpec spec;
    spec.write_delay_ms = delay_ms;
    spec.label = "test";
    spec.exe = BB_BINARY;  // the daemon is backup-bench's, not this test binary's
    auto r = mount_fault_fs(spec);
    fs = std::move(r.fs);
    cannot = r.cannot;
  }
};

// Whether a process has a file open under `dir` (a backup's child, e.g. the
// sqlite3 shell, may outlive it by a moment).
bool anyone_holds(const std::string& dir) {
  for (auto& p : fs::directory_iterator("/proc")) {
    std::error_code ec;
    for (auto& f : fs::directory_iterator(p.path() / "fd", ec)) {
      auto target = fs::read_symlink(f.path(), ec);
      if (!ec && target.string().rfind(dir + "/", 0) == 0) return true;
    }
  }
  return false;
}

// Starts a backup to dest and waits until its temporary exists.
pid_t start_backup_and_wait_for_partial(const std::string& strategy, const std::string& src, const std::string& dest,
                                        const std::string& log) {
  SpawnOptions so;
  so.stdout_path = log;
  so.stderr_too = true;
  pid_t pid = spawn(BB_BINARY, {"backup", "--strategy", strategy, src, dest}, so);
  const std::string prefix = "." + fs::path(dest).filename().string() + ".partial-" + std::to_string(pid);
  const int64_t deadline = now_ns() + s_to_ns(30);
  while (now_ns() < deadline) {
    for (auto& e : fs::directory_iterator(fs::path(dest).parent_path()))
      if (e.path().filename().string().rfind(prefix, 0) == 0) return pid;
    if (try_wait(pid)) return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  kill_and_wait(pid);
  return -1;
}

std::vector<std::string> standalone_strategies(const std::string& src, const std::string& dest) {
  std::vector<std::string> out;
  for (auto& s : strategies())
    if (skip_reason_for(s, "wal", false, src, dest).empty()) out.push_back(s.name);
  return out;
}

class SafetySignal : public ::testing::TestWithParam<int> {};

TEST_P(SafetySignal, DuringAStandaloneBackupLeavesNothingBesideTheDestination) {
  SlowDest slow(5);
  if (!slow.fs) GTEST_SKIP() << slow.cannot;
  TempDir d;
  const std::string src = d / "s.db";
  test::make_chinook(src, 4096, "wal");
  const uint64_t before = test::file_hash(src);
  const std::string dest = slow.fs->mount_point() + "/copy.db";
  auto names = standalone_strategies(src, dest);
  ASSERT_GE(names.size(), 5u);
  for (auto& name : names) {
    SCOPED_TRACE(name);
    std::ofstream(dest) << "the previous backup";
    pid_t pid = start_backup_and_wait_for_partial(name, src, dest, d / "log");
    ASSERT_GT(pid, 0) << "no temporary appeared: " << test::read_file(d / "log");
    kill(pid, GetParam());
    auto ex = wait_for(pid);
    EXPECT_EQ(ex.code, 128 + GetParam()) << test::read_file(d / "log");
    for (int i = 0; i < 200 && anyone_holds(slow.fs->mount_point()); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    EXPECT_EQ(names_in(slow.fs->mount_point()), std::vector<std::string>{"copy.db"});
    EXPECT_EQ(test::read_file(dest), "the previous backup");
    EXPECT_EQ(test::file_hash(src), before);
  }
}

INSTANTIATE_TEST_SUITE_P(Signals, SafetySignal, ::testing::Values(SIGTERM, SIGINT));

TEST(SafetyKill, SigkillLeavesAPartialThatTheNextBackupToTheDestinationRemoves) {
  SlowDest slow(5);
  if (!slow.fs) GTEST_SKIP() << slow.cannot;
  TempDir d;
  const std::string src = d / "s.db";
  test::make_chinook(src, 4096, "delete");
  const std::string dest = slow.fs->mount_point() + "/copy.db";
  for (auto name : {"raw-copy", "online", "cli-backup"}) {
    SCOPED_TRACE(name);
    slow.fs->set_slow(true);
    pid_t pid = start_backup_and_wait_for_partial(name, src, dest, d / "log");
    ASSERT_GT(pid, 0) << test::read_file(d / "log");
    kill_and_wait(pid);
    for (int i = 0; i < 200 && anyone_holds(slow.fs->mount_point()); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    const std::string partial = ".copy.db.partial-" + std::to_string(pid);
    auto left = names_in(slow.fs->mount_point());
    EXPECT_NE(std::find(left.begin(), left.end(), partial), left.end()) << "SIGKILL leaves its temporary";
    EXPECT_EQ(std::find(left.begin(), left.end(), "copy.db"), left.end()) << "a killed backup made the destination";
    slow.fs->set_slow(false);
    auto r = run_bb({"backup", "--strategy", name, src, dest});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(names_in(slow.fs->mount_point()), std::vector<std::string>{"copy.db"});
    EXPECT_EQ(test::integrity(dest), "ok");
    fs::remove(dest);
  }
}

// ---------------------------------------------------------------------------
// A full destination disk: exit 2 for every strategy, nothing left behind, and
// the real reason in the message.

TEST(SafetyDiskFull, EveryStrategyExits2AndLeavesNothingOnAFullDestination) {
  LoopFsSpec spec;
  spec.kind = FsKind::kTmpfs;
  spec.size_bytes = 2 << 20;
  spec.label = "test";
  auto mounted = mount_loop_fs(spec);
  if (!mounted.fs) GTEST_SKIP() << mounted.cannot;
  const std::string dir = mounted.fs->data_dir();
  fs::create_directories(dir);
  TempDir d;
  // The main file fits; with its -wal the database does not. The up-front
  // estimate counts the -wal (a crashed writer's WAL may hold most of the
  // data), so every strategy refuses before it writes anything. (A disk that
  // fills mid-copy: tests/strategies/source_untouched_test.cpp.)
  HeldWalSource src(d / "s.db", 1500, 2000);
  ASSERT_LT(fs::file_size(src.path), 2u << 20);
  ASSERT_GT(fs::file_size(src.path + "-wal"), 2u << 20);
  const std::string before = src.hash();
  const std::string dest = dir + "/copy.db";
  auto names = standalone_strategies(src.path, dest);
  ASSERT_GE(names.size(), 5u);
  for (auto& name : names) {
    SCOPED_TRACE(name);
    expect_one_line_exit_2(run_bb({"backup", "--strategy", name, src.path, dest}), "destination disk is full");
    EXPECT_TRUE(names_in(dir).empty()) << fmt::format("{}", fmt::join(names_in(dir), ", "));
    EXPECT_EQ(src.hash(), before);
  }
  // No room even for the main file: refused up front too.
  {
    std::ofstream ballast(dir + "/ballast");
    std::string chunk(1 << 16, 'x');
    while (ballast.write(chunk.data(), std::streamsize(chunk.size()))) {
    }
  }
  for (auto& name : names) {
    SCOPED_TRACE(name);
    expect_one_line_exit_2(run_bb({"backup", "--strategy", name, src.path, dest}), "destination disk is full");
    EXPECT_EQ(names_in(dir), std::vector<std::string>{"ballast"});
  }
  EXPECT_EQ(src.hash(), before);
}

}  // namespace
}  // namespace bb
