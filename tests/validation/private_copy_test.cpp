// `validate` leaves no private copy behind (issue 24): SIGINT or SIGTERM during
// recovery removes it; after a SIGKILL the next `validate` finds the copy of a
// dead process and removes it, and leaves a live process's copy alone. Kills
// land at two moments: as soon as the private folder exists (copying), and once
// the copy is complete (recovery and the integrity check running).
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <thread>

#include "core/clock.h"
#include "core/process.h"
#include "core/sqlite_db.h"
#include "tests/test_support.h"

namespace fs = std::filesystem;

namespace bb {
namespace {

using test::TempDir;

// A ~64 MB WAL snapshot (rows and an index on them, so the integrity check takes a while) whose last commits are in its own -wal (a writer child
// SIGKILLed with checkpoints off): validating it needs recovery on a private copy.
void make_snapshot_with_wal(const std::string& path) {
  {
    Db db(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    db.query_text("PRAGMA journal_mode = wal");
    db.exec("CREATE TABLE t(id INTEGER PRIMARY KEY, v BLOB); CREATE INDEX t_v ON t(v);"
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 8000) "
            "INSERT INTO t(v) SELECT randomblob(4000) FROM n");
  }
  test::crash_a_writer(path, 200);
  ASSERT_GT(fs::file_size(path + "-wal"), 0u);
}

// The private folders (bb-validate-*) in `dir`.
std::vector<std::string> private_copies(const std::string& dir) {
  std::vector<std::string> out;
  for (auto& e : fs::directory_iterator(dir))
    if (e.path().filename().string().starts_with("bb-validate-")) out.push_back(e.path().string());
  return out;
}

// `validate SNAPSHOT` with TMPDIR=tmp, its output discarded.
pid_t start_validate(const std::string& tmp, const std::string& snapshot) {
  SpawnOptions o;
  o.stdout_path = "/dev/null";
  o.stderr_too = true;
  return spawn("/usr/bin/env", {"TMPDIR=" + tmp, BB_BINARY, "validate", snapshot}, o);
}

enum class Moment { kFolderMade, kCopyDone };

// Waits (bounded) until `validate` (pid) reaches `m`; false when it ended first.
bool reach(pid_t pid, const std::string& tmp, const std::string& snapshot, Moment m) {
  const auto wal_bytes = fs::file_size(snapshot + "-wal");
  const int64_t deadline = now_ns() + 60'000'000'000;
  while (now_ns() < deadline) {
    for (auto& dir : private_copies(tmp)) {
      if (m == Moment::kFolderMade) return true;
      std::error_code ec;
      if (fs::file_size(dir + "/snapshot.db-wal", ec) == wal_bytes && !ec) return true;
    }
    if (try_wait(pid)) return false;
    std::this_thread::sleep_for(std::chrono::microseconds(200));  // polling the condition, bounded above
  }
  return false;
}

struct Kill {
  int sig;
  Moment moment;
};

class ValidateKilled : public ::testing::TestWithParam<Kill> {};

TEST_P(ValidateKilled, LeavesNoPrivateCopyBehind) {
  TempDir d;
  const std::string tmp = d / "tmp", snap = d / "snap.db";
  fs::create_directories(tmp);
  ASSERT_NO_FATAL_FAILURE(make_snapshot_with_wal(snap));
  const auto [sig, moment] = GetParam();
  // A kill that comes after validate has finished proves nothing: try again.
  bool struck = false;
  for (int attempt = 0; attempt < 5 && !struck; ++attempt) {
    pid_t pid = start_validate(tmp, snap);
    if (reach(pid, tmp, snap, moment)) {
      ASSERT_EQ(kill(pid, sig), 0);
      struck = true;
    }
    ExitStatus st = wait_for(pid);
    if (!struck) continue;
    if (sig == SIGKILL) {
      EXPECT_EQ(st.signal, SIGKILL);
      // Nothing could clean up: the next validate must.
      ASSERT_EQ(private_copies(tmp).size(), 1u) << "the kill left no copy: nothing to test";
      TempDir small;
      {
        Db db(small / "s.db", SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
        db.exec("CREATE TABLE x(a)");
      }
      auto r = test::run_sh(fmt::format("TMPDIR={} {} validate {}", test::sh_quote(tmp), test::sh_quote(BB_BINARY),
                                        test::sh_quote(small / "s.db")));
      EXPECT_EQ(r.code, 0) << r.err;
    } else {
      EXPECT_EQ(st.code, 128 + sig) << "exit " << st.code << " signal " << st.signal;
    }
    EXPECT_TRUE(private_copies(tmp).empty()) << private_copies(tmp).front();
  }
  ASSERT_TRUE(struck) << "validate always finished before it could be killed";
  // The snapshot itself is as it was: still with its -wal.
  EXPECT_GT(fs::file_size(snap + "-wal"), 0u);
}

INSTANTIATE_TEST_SUITE_P(Signals, ValidateKilled,
                         ::testing::Values(Kill{SIGINT, Moment::kFolderMade}, Kill{SIGINT, Moment::kCopyDone},
                                           Kill{SIGTERM, Moment::kFolderMade}, Kill{SIGTERM, Moment::kCopyDone},
                                           Kill{SIGKILL, Moment::kFolderMade}, Kill{SIGKILL, Moment::kCopyDone}),
                         [](const ::testing::TestParamInfo<Kill>& i) {
                           std::string s = i.param.sig == SIGINT ? "SIGINT" : i.param.sig == SIGTERM ? "SIGTERM"
                                                                                                     : "SIGKILL";
                           return s + (i.param.moment == Moment::kFolderMade ? "_Copying" : "_Recovering");
                         });

// A copy whose owner is alive is not stale: a second validate leaves it alone.
TEST(ValidateStaleCopies, ALiveOwnersCopyIsKept) {
  TempDir d;
  const std::string tmp = d / "tmp";
  fs::create_directories(tmp);
  // Named as this (running) test process would name it.
  std::string start;
  {
    auto r = test::run_sh(fmt::format("cut -d' ' -f22 /proc/{}/stat", getpid()));
    start = r.out.substr(0, r.out.find('\n'));
  }
  const std::string live = fmt::format("{}/bb-validate-{}-{}-abcdef", tmp, getpid(), start);
  const std::string dead = fmt::format("{}/bb-validate-{}-{}-abcdef", tmp, getpid(), start + "1");  // another start
  fs::create_directories(live);
  fs::create_directories(dead);
  auto r = test::run_sh(fmt::format("TMPDIR={} {} validate {}", test::sh_quote(tmp), test::sh_quote(BB_BINARY),
                                    test::sh_quote(test::test_data("chinook.sqlite"))));
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(fs::exists(live));
  EXPECT_FALSE(fs::exists(dead)) << "a pid reused by another process is not the copy's owner";
}

}  // namespace
}  // namespace bb
