// A backup never changes its source's files (issue 24): for every strategy, run
// through the real binary, the source's main file and -wal keep their bytes and
// no sidecar appears or disappears -- a -shm that was there may change (it is
// SQLite's shared-memory index, rebuilt by every reader), one that was not must
// not appear. Sources: a crashed writer's WAL database (its last commits only in
// its -wal) and a WAL database at rest (no -wal, no -shm: cli-backup's shell,
// failing, used to leave a new -wal and -shm). Destinations: a roomy folder, a
// small tmpfs that fills mid-copy, and a tmpfs with no inode left (every
// strategy fails at its first file, after opening the source). Also: a WAL
// source in a folder that cannot be written is refused by every strategy that
// opens it, with the same exit code and a line that names the -shm.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <map>
#include <optional>

#include "core/sqlite_db.h"
#include "strategies/strategy.h"
#include "tests/strategies/strategy_test_support.h"
#include "tests/test_support.h"

namespace fs = std::filesystem;

namespace bb {
namespace {

using test::run_bb;
using test::TempDir;

// Every file in `dir`: name -> sha256 of its bytes ("present" for a -shm, whose
// content SQLite's readers may rewrite).
std::map<std::string, std::string> tree(const std::string& dir) {
  std::map<std::string, std::string> out;
  for (auto& e : fs::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (name.ends_with("-shm")) {
      out[name] = "present";
      continue;
    }
    auto r = test::run_sh("sha256sum " + test::sh_quote(e.path().string()));
    out[name] = r.out.substr(0, 64);
  }
  return out;
}

std::string show(const std::map<std::string, std::string>& t) {
  std::string s;
  for (auto& [k, v] : t) s += fmt::format("  {} {}\n", k, v.substr(0, 12));
  return s;
}

// A WAL database with `rows` rows of 4 KB checkpointed into the main file.
void make_wal_db(const std::string& path, int rows) {
  Db db(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  db.query_text("PRAGMA journal_mode = wal");
  db.exec(fmt::format("CREATE TABLE t(id INTEGER PRIMARY KEY, v BLOB); WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL "
                      "SELECT i + 1 FROM n WHERE i < {}) INSERT INTO t(v) SELECT randomblob(4000) FROM n",
                      rows));
}  // the close checkpoints and removes the -wal and -shm: a database at rest

// A writer that commits `commits` rows with automatic checkpoints off and is then
// SIGKILLed: its commits live only in the -wal, beside its -shm. A child process,
// so the test process never holds a connection across the fork.
using test::crash_a_writer;

// A tmpfs of its own; skipped (with the reason) where mounting is not allowed;
// unmounted on every exit path of the test.
class Tmpfs {
 public:
  Tmpfs(const std::string& dir, const std::string& opts) : dir_(dir) {
    fs::create_directories(dir_);
    if (mount("tmpfs", dir_.c_str(), "tmpfs", 0, opts.c_str()) == 0) mounted_ = true;
    else why_ = fmt::format("cannot mount a tmpfs ({}): {}", opts, strerror(errno));
  }
  ~Tmpfs() {
    if (mounted_) umount2(dir_.c_str(), MNT_DETACH);
  }
  Tmpfs(const Tmpfs&) = delete;
  Tmpfs& operator=(const Tmpfs&) = delete;
  bool remount_read_only() {
    return mount("tmpfs", dir_.c_str(), "tmpfs", MS_REMOUNT | MS_RDONLY, nullptr) == 0;
  }
  const std::string& why_not() const { return why_; }
  bool mounted() const { return mounted_; }

 private:
  std::string dir_, why_;
  bool mounted_ = false;
};

enum class Source { kCrashedWriter, kAtRest };
enum class Dest { kRoomy, kFillsUp, kNoInodes };

struct Case {
  Source source;
  Dest dest;
};

std::string case_name(const ::testing::TestParamInfo<Case>& info) {
  std::string s = info.param.source == Source::kCrashedWriter ? "CrashedWriter" : "AtRest";
  s += info.param.dest == Dest::kRoomy ? "_Roomy" : info.param.dest == Dest::kFillsUp ? "_FillsUp" : "_NoInodes";
  return s;
}

class SourceUntouched : public ::testing::TestWithParam<Case> {};

TEST_P(SourceUntouched, EveryStrategyLeavesTheSourceFilesAsTheyWere) {
  if (GetParam().dest != Dest::kRoomy && geteuid() != 0) GTEST_SKIP() << "mounting a tmpfs needs root";
  TempDir d;
  // The source is made once in `pristine` and copied afresh for each strategy,
  // so a change is blamed on the strategy that made it.
  const std::string pristine = d / "pristine", src_dir = d / "src", src = d / "src/app.db";
  fs::create_directories(pristine);
  const std::string made = pristine + "/app.db";
  // Main file ~200 KB; a crashed writer adds ~1.2 MB to the -wal.
  make_wal_db(made, 50);
  if (GetParam().source == Source::kCrashedWriter) {
    ASSERT_NO_FATAL_FAILURE(crash_a_writer(made, 300));
    ASSERT_GT(fs::file_size(made + "-wal"), 1'000'000u);
    ASSERT_TRUE(fs::exists(made + "-shm"));
  } else {
    ASSERT_FALSE(fs::exists(made + "-wal"));
    ASSERT_FALSE(fs::exists(made + "-shm"));
  }
  std::string dest_dir = d / "dest";
  std::optional<Tmpfs> disk;
  if (GetParam().dest == Dest::kFillsUp) {
    // Crashed writer: the main file fits, its -wal does not. At rest: exactly the
    // main file's size, which passes the up-front space check, while the shell's
    // .backup needs a little more (its destination's journal) and fails mid-copy.
    const auto bytes = GetParam().source == Source::kCrashedWriter ? 512 * 1024 : fs::file_size(made);
    disk.emplace(dest_dir, fmt::format("size={}", bytes));
  }
  else if (GetParam().dest == Dest::kNoInodes) disk.emplace(dest_dir, "size=8m,nr_inodes=1");  // only its root
  else fs::create_directories(dest_dir);
  if (disk && !disk->mounted()) GTEST_SKIP() << disk->why_not();

  const auto before = tree(pristine);
  int failed = 0, ran = 0;
  for (auto& s : strategies()) {
    SCOPED_TRACE(s.name);
    fs::remove_all(src_dir);
    fs::copy(pristine, src_dir);
    auto r = run_bb({"backup", "--strategy", s.name, src, dest_dir + "/copy.db"});
    const std::string status = test::outcome_status(r);
    if (status == "skipped") continue;
    ++ran;
    if (r.code != 0) ++failed;
    if (GetParam().dest == Dest::kNoInodes) {
      EXPECT_NE(r.code, 0) << "no file can be created at the destination\n" << r.out << r.err;
    }
    if (GetParam().dest == Dest::kRoomy) {
      EXPECT_EQ(r.code, 0) << r.out << r.err;
    }
    const auto after = tree(src_dir);
    EXPECT_EQ(after, before) << "before:\n" << show(before) << "after:\n" << show(after) << r.err;
    fs::remove(dest_dir + "/copy.db");
  }
  EXPECT_GE(ran, 5);  // online, vacuum-into, exclusive-copy, raw-copy, wal-snapshot-copy at least
  // The full destinations really made backups fail (after the source was opened).
  if (GetParam().dest == Dest::kFillsUp) {
    EXPECT_GE(failed, GetParam().source == Source::kCrashedWriter ? 3 : 1);
  }
}

INSTANTIATE_TEST_SUITE_P(Strategies, SourceUntouched,
                         ::testing::Values(Case{Source::kCrashedWriter, Dest::kRoomy},
                                           Case{Source::kCrashedWriter, Dest::kFillsUp},
                                           Case{Source::kCrashedWriter, Dest::kNoInodes},
                                           Case{Source::kAtRest, Dest::kRoomy},
                                           Case{Source::kAtRest, Dest::kFillsUp},
                                           Case{Source::kAtRest, Dest::kNoInodes}),
                         case_name);

// A WAL database in a folder nobody may write (a read-only filesystem: root
// ignores permission bits) has no -shm and none can be made: every strategy that
// opens it through SQLite -- cli-backup's shell too -- is refused with exit 2 and
// one line naming the cause; raw-copy, which only reads the file, copies it.
TEST(SourceReadOnly, AWalSourceInAReadOnlyFolderIsRefusedAlikeNamingTheShm) {
  if (geteuid() != 0) GTEST_SKIP() << "mounting a tmpfs needs root";
  TempDir d;
  const std::string src_dir = d / "ro", src = d / "ro/app.db";
  Tmpfs disk(src_dir, "size=4m");
  if (!disk.mounted()) GTEST_SKIP() << disk.why_not();
  make_wal_db(src, 20);
  ASSERT_FALSE(fs::exists(src + "-shm"));
  ASSERT_TRUE(disk.remount_read_only()) << strerror(errno);
  const auto before = tree(src_dir);
  std::vector<std::string> refused;
  for (auto& s : strategies()) {
    SCOPED_TRACE(s.name);
    auto r = run_bb({"backup", "--strategy", s.name, src, d / "copy.db"});
    fs::remove(d / "copy.db");
    if (test::outcome_status(r) == "skipped" || r.code == 0) continue;
    refused.push_back(s.name);
    EXPECT_EQ(r.code, 2) << r.out << r.err;
    // One line, besides the warning an unsafe strategy (exclusive-copy in WAL mode) prints first.
    std::string lines;
    for (size_t at = 0, nl; at < r.err.size(); at = nl + 1) {
      nl = r.err.find('\n', at);
      if (nl == std::string::npos) nl = r.err.size();
      if (r.err.compare(at, 22, "backup-bench: warning:") != 0) lines += r.err.substr(at, nl - at + 1);
    }
    EXPECT_EQ(std::count(lines.begin(), lines.end(), '\n'), 1) << r.err;
    EXPECT_NE(r.err.find("WAL database"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("-shm"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("cannot write"), std::string::npos) << r.err;
  }
  for (auto name : {"online", "vacuum-into", "wal-snapshot-copy", "exclusive-copy", "cli-backup"})
    EXPECT_NE(std::find(refused.begin(), refused.end(), name), refused.end()) << name << " was not refused";
  EXPECT_EQ(tree(src_dir), before);
}

}  // namespace
}  // namespace bb
