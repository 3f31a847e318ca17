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
#include "core/clock.h"
#include "core/sqlite_db.h"
#include "strategies/file_copy.h"
#include "strategies/source_db.h"
#include "strategies/strategy.h"
#include "strategies/strategy_util.h"

namespace bb {
namespace {

void run_exclusive_copy(BackupJob& job) {
  const std::string lock = job.params.at("lock");
  const bool child = job.params.at("copier") == "child";
  SourceDb db(job);
  EagerBusy busy(db.get(), kLockWaitMs, job);
  const int64_t asked = now_ns();
  const int64_t busy_errors =
      retry_busy([&] { db.exec(lock == "immediate" ? "BEGIN IMMEDIATE" : "BEGIN EXCLUSIVE"); }, [] {});
  const int64_t locked = now_ns();
  job.reading();
  {
    InTransaction tx(db);  // rolled back if the copy throws
    const CopyItem item{job.src, job.tmp(), false};
    if (child) copy_in_child({item});
    else copy_in_process(item);
    job.step();
    job.read_done();
    tx.commit();
  }
  job.extra["busy_errors"] = busy_errors;
  job.extra["lock"] = lock;
  job.extra["copier"] = child ? "child" : "inprocess";
  job.extra["files_copied"] = {"db"};
  job.extra["lock_wait_ms"] = ns_to_ms(locked - asked);
  job.extra["lock_held_ms"] = ns_to_ms(now_ns() - locked);
  if (job.mode == "wal")
    job.extra["note"] = "WAL mode: only the main file was copied; commits still in the -wal are not in the copy";
  if (!child)
    job.extra["note_copier"] =
        "the copy opened and closed the database file in the locking process, which dropped its POSIX locks";
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
