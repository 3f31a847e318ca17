// `exclusive-copy`: the classic recipe. BEGIN EXCLUSIVE (or IMMEDIATE), copy the
// database file with plain file I/O, end the transaction.
//
// - Rollback-journal modes: while the transaction holds EXCLUSIVE (or RESERVED,
//   with lock=immediate) no other connection can commit, and the main file holds
//   the whole committed state, so a copy made from a *child* process is safe.
// - copier=inprocess opens and closes the database file in the process holding
//   the lock. POSIX advisory locks are per process: that close silently drops
//   every lock of our own SQLite connection (sqlite.org/howtocorrupt.html §2.2),
//   so writers commit in the middle of the copy. UNSAFE; kept as a demonstration.
// - WAL mode: the recipe copies the main file only, but committed transactions
//   live in the -wal until a checkpoint moves them, so the copy is missing them.
#include <fmt/format.h>

#include "harness/clock.h"
#include "harness/sqlite_db.h"
#include "strategies/atomic_dest.h"
#include "strategies/file_copy.h"
#include "strategies/strategy.h"
#include "strategies/strategy_util.h"

namespace bb {
namespace {


BackupOutcome run_exclusive_copy(const BackupRequest& req) {
  BackupOutcome out;
  auto& prog = *req.progress;
  const std::string lock = req.params.at("lock");
  const bool child = req.params.at("copier") == "child";
  const std::string begin = lock == "immediate" ? "BEGIN IMMEDIATE" : "BEGIN EXCLUSIVE";

  Db db(req.src, SQLITE_OPEN_READWRITE);
  EagerBusy busy(db.get(), kLockWaitMs, &prog.busy_retries);
  AtomicDest dest(req.dest);

  const int64_t asked = now_ns();
  const int64_t busy_errors = retry_busy([&] { db.exec(begin); }, [] {});
  const int64_t t0 = now_ns();
  prog.started_ns = t0;
  out.busy_retries = busy.retries() + busy_errors;
  out.extra["busy_errors"] = busy_errors;
  bool in_txn = true;
  try {
    const CopyItem item{req.src, dest.tmp(), false};
    out.bytes = child ? copy_in_child({item}) : copy_in_process(item);
    ++out.steps;
    prog.steps = out.steps;
    prog.finished_ns = now_ns();
    in_txn = false;
    db.exec("COMMIT");
  } catch (...) {
    if (in_txn) sqlite3_exec(db.get(), "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
  const int64_t t1 = prog.finished_ns.load();
  db.close();
  out.duration_s = ns_to_s(t1 - asked);  // lock wait included (also in extra.lock_wait_ms)
  out.extra["lock"] = lock;
  out.extra["copier"] = child ? "child" : "inprocess";
  out.extra["files_copied"] = {"db"};
  out.extra["lock_wait_ms"] = ns_to_ms(t0 - asked);
  out.extra["lock_held_ms"] = ns_to_ms(now_ns() - t0);
  if (req.mode == "wal")
    out.extra["note"] = "WAL mode: only the main file was copied; commits still in the -wal are not in the copy";
  if (!child)
    out.extra["note_copier"] =
        "the copy opened and closed the database file in the locking process, which dropped its POSIX locks";
  dest.commit();
  out.bytes = dest.bytes();
  return out;
}

const bool registered = register_strategy({
    .name = "exclusive-copy",
    .description = "BEGIN EXCLUSIVE/IMMEDIATE, copy the database file with plain I/O, end the transaction "
                   "(copier=inprocess is UNSAFE: closing the copied file drops the process's POSIX locks)",
    .params = {{"lock", "exclusive", "transaction that holds writers off during the copy", {"exclusive", "immediate"}},
               {"copier", "child", "who copies: a child process (safe) or the locking process itself (UNSAFE)",
                {"child", "inprocess"}}},
    .expected_safe =
        [](const std::string& mode, const Params& p) {
          auto it = p.find("copier");
          return delete_family(mode) && (it == p.end() || it->second == "child");
        },
    .safety_note = "safe only in rollback modes with copier=child; WAL mode misses commits in the -wal; "
                   "copier=inprocess is UNSAFE (drops its own locks)",
    .run = run_exclusive_copy,
});

}  // namespace
}  // namespace bb
