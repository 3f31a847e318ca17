// `reflink-copy`: the exclusive-lock recipe (strategies/exclusive_copy.cpp) on a
// copy-on-write filesystem. BEGIN EXCLUSIVE (or IMMEDIATE), clone the files
// with FICLONE -- the clone shares the source's blocks, so it takes
// milliseconds whatever the size -- and end the transaction. The lock is held
// for the clone, not for a copy of the data.
//
// - Rollback modes: the main file holds the whole committed state while no one
//   can commit, so the database file alone is cloned.
// - WAL mode: committed transactions live in the -wal until a checkpoint moves
//   them, so the recipe clones the database file and then the -wal, both under
//   the lock. Holding the write lock, no one can append to the -wal or restart
//   it; a checkpoint may still be copying frames into the database file, but
//   every frame it copies is also in the cloned -wal, which SQLite replays when
//   the copy is opened.
// - lock=none clones the same files with no lock at all: the unsafe control
//   (a commit between or during the clones tears the copy).
//
// The files are flushed (fdatasync) before the lock is asked for: a clone
// first writes out the dirty pages of what it clones, and under the lock that
// is lock time -- 30 to 65 ms for a 32 MB WAL database whose writers commit
// with synchronous=NORMAL, measured here on btrfs. What is dirtied between the
// flush and the lock is little.
//
// The clone runs in a forked child. POSIX locks belong to the process: closing
// a descriptor of the database file in the locking process would drop the
// connection's locks (sqlite.org/howtocorrupt.html §2.2). The child does not
// exec (an exec would add milliseconds to the time the lock is held) and makes
// only async-signal-safe calls (open, ioctl, close, write, _exit): it never
// touches the SQLite connection it inherits.
#include <fcntl.h>
#include <fmt/format.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

#include "core/clock.h"
#include "core/cow_fs.h"
#include "core/files.h"
#include "core/sqlite_db.h"
#include "strategies/file_copy.h"
#include "strategies/source_db.h"
#include "strategies/strategy.h"
#include "strategies/strategy_util.h"

namespace bb {
namespace {

// What the child reports for one file, over a pipe.
struct CloneReport {
  char what;  // 'c' cloned, 'a' absent (optional source), 'e' failed
  int err;
};

// Clones each item in a forked child; returns, per item, whether it was
// cloned (false: an optional source that does not exist). Throws
// std::system_error with the child's errno on failure.
std::vector<bool> clone_in_child(const std::vector<CopyItem>& items) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) throw std::system_error(errno, std::generic_category(), "pipe");
  const pid_t pid = fork();
  if (pid < 0) {
    const int err = errno;
    close(fds[0]);
    close(fds[1]);
    throw std::system_error(err, std::generic_category(), "fork");
  }
  if (pid == 0) {
    // Child: async-signal-safe calls only, then _exit (no destructor, no
    // atexit handler, nothing of SQLite's runs here).
    close(fds[0]);
    for (auto& it : items) {
      CloneReport r{'c', 0};
      int in = open(it.src.c_str(), O_RDONLY | O_CLOEXEC);
      if (in < 0) {
        r = {errno == ENOENT && it.optional ? 'a' : 'e', errno};
      } else {
        int out = open(it.dst.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (out < 0 || ioctl(out, FICLONE, in) != 0) r = {'e', errno};
        if (out >= 0) close(out);
        close(in);
      }
      if (write(fds[1], &r, sizeof r) != ssize_t(sizeof r) || r.what == 'e') _exit(1);
    }
    _exit(0);
  }
  close(fds[1]);
  std::vector<bool> cloned;
  CloneReport r{};
  std::string failure;
  int failure_err = 0;
  while (cloned.size() < items.size()) {
    ssize_t n = read(fds[0], &r, sizeof r);
    if (n < 0 && errno == EINTR) continue;
    if (n != ssize_t(sizeof r)) break;
    const CopyItem& it = items[cloned.size()];
    if (r.what == 'e') {
      failure = fmt::format("clone {} -> {}", it.src, it.dst);
      failure_err = r.err;
      break;
    }
    cloned.push_back(r.what == 'c');
  }
  close(fds[0]);
  int st = 0;
  while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
  }
  if (failure_err) throw std::system_error(failure_err, std::generic_category(), failure);
  if (cloned.size() != items.size() || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
    throw std::runtime_error(fmt::format("the clone process failed (status {})", st));
  return cloned;
}

// fdatasync by path; a file that does not exist is fine. Called before this
// process opens any SQLite connection, so closing the descriptor drops no lock.
void flush_file(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return;
    throw std::system_error(errno, std::generic_category(), "open " + path);
  }
  const int rc = fdatasync(fd);
  const int err = errno;
  close(fd);
  if (rc != 0) throw std::system_error(err, std::generic_category(), "fdatasync " + path);
}

void run_reflink_copy(BackupJob& job) {
  const std::string lock = job.params.at("lock");
  // The recipe's files: the -wal too in WAL mode (see the top of this file).
  std::vector<CopyItem> items{{job.src, job.tmp(), false}};
  if (job.mode == "wal") items.push_back({with_suffix(job.src, "-wal"), with_suffix(job.tmp(), "-wal"), true});
  const int64_t flush_start = now_ns();
  for (auto& it : items) flush_file(it.src);
  job.extra["flush_ms"] = ns_to_ms(now_ns() - flush_start);

  std::vector<bool> cloned;
  int64_t clone_ns = 0, held_ns = 0, wait_ns = 0, busy_errors = 0;
  auto clone = [&] {
    const int64_t t = now_ns();
    job.reading();
    cloned = clone_in_child(items);
    job.read_done();
    clone_ns = now_ns() - t;
  };
  if (lock == "none") {
    clone();
  } else {
    SourceDb db(job);
    EagerBusy busy(db.get(), kLockWaitMs, job);
    const int64_t asked = now_ns();
    busy_errors = retry_busy([&] { db.exec(lock == "immediate" ? "BEGIN IMMEDIATE" : "BEGIN EXCLUSIVE"); }, [] {});
    const int64_t locked = now_ns();
    wait_ns = locked - asked;
    {
      InTransaction tx(db);  // rolled back if the clone throws
      clone();
      tx.commit();
    }
    held_ns = now_ns() - locked;
  }
  job.step();
  nlohmann::json files = {"db"};
  if (cloned.size() > 1 && cloned[1]) {
    job.companion("-wal");
    files.push_back("-wal");
  }
  job.extra["lock"] = lock;
  job.extra["busy_errors"] = busy_errors;
  job.extra["copier"] = "child (fork, FICLONE)";
  job.extra["files_copied"] = files;
  job.extra["lock_wait_ms"] = ns_to_ms(wait_ns);
  job.extra["lock_held_ms"] = ns_to_ms(held_ns);
  job.extra["clone_ms"] = ns_to_ms(clone_ns);
}

std::string reflink_skip_reason(const std::string& src_dir, const std::string& dest_dir) {
  try {
    if (!same_filesystem(src_dir, dest_dir))
      return fmt::format("reflink-copy needs the destination on the database's filesystem: {} ({}) and {} ({}) "
                         "are on different ones",
                         src_dir, fs_type_of(src_dir), dest_dir, fs_type_of(dest_dir));
    if (auto why = reflink_unsupported(dest_dir); !why.empty()) return "reflink-copy: " + why;
  } catch (const std::exception& e) {
    return fmt::format("reflink-copy cannot tell whether {} can clone {}: {}", dest_dir, src_dir, e.what());
  }
  return "";
}

const bool registered = register_strategy({
    .name = "reflink-copy",
    .description = "BEGIN EXCLUSIVE/IMMEDIATE, reflink-clone (FICLONE) the database file (and its -wal in WAL "
                   "mode) from a child process, end the transaction: the lock is held for milliseconds. "
                   "lock=none clones without locks (UNSAFE control)",
    .params = {{"lock", "exclusive", "transaction that holds writers off during the clone (none: UNSAFE)",
                {"exclusive", "immediate", "none"}}},
    .fs_skip_reason = reflink_skip_reason,
    .expected_safe =
        [](const std::string&, const Params& p) {
          auto it = p.find("lock");
          return it == p.end() || it->second != "none";
        },
    .safety_note = "safe in every mode with a lock (WAL mode: the -wal is cloned too, under the lock); "
                   "lock=none is UNSAFE (the control)",
    .needs = "a copy-on-write filesystem (btrfs, xfs with reflink), the destination on the database's filesystem",
    .run = run_reflink_copy,
});

}  // namespace
}  // namespace bb
