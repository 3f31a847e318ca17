// `wal-snapshot-copy` (WAL mode only): hold a read transaction, copy the database
// file and then the -wal file from a child process, end the read.
//
// Why the pair is consistent: while we hold a read lock with a read mark M > 0,
// no writer can restart the WAL (that needs every read-mark lock), so frames
// 1..M stay intact and new commits are only appended after them; a checkpoint
// may write frames <= M into the main file during the copy, but every page it
// writes is also in the copied WAL, and recovery on opening the copy reads the
// newest valid frame of each page. With read mark 0 (WAL fully checkpointed when
// we began), no checkpoint can write the main file at all (backfilling needs
// READ_LOCK(0) exclusively), so the main file is exactly our snapshot; the WAL
// may restart once with a new salt, and recovery then accepts only the frames of
// one generation, up to the last complete commit. Either way the copy opens as a
// committed state at or after our snapshot: possibly newer than it, never torn.
// The copy runs in a child (copy_in_child): closing a descriptor of the database
// in this process would drop our connection's locks.
#include "harness/clock.h"
#include "harness/sqlite_db.h"
#include "strategies/atomic_dest.h"
#include "strategies/file_copy.h"
#include "strategies/strategy.h"
#include "strategies/strategy_util.h"

namespace bb {
namespace {

BackupOutcome run_wal_snapshot_copy(const BackupRequest& req) {
  BackupOutcome out;
  auto& prog = *req.progress;
  Db db(req.src, SQLITE_OPEN_READWRITE);
  EagerBusy busy(db.get(), 5000, &prog.busy_retries);
  if (journal_mode(db) != "wal") throw std::runtime_error("wal-snapshot-copy: the source is not in WAL mode");
  AtomicDest dest(req.dest);

  const int64_t t0 = now_ns();
  prog.started_ns = t0;
  db.exec("BEGIN");
  bool in_txn = true;
  try {
    // The first read opens the read transaction and takes a read mark.
    out.extra["snapshot_schema_objects"] = db.query_int("SELECT count(*) FROM sqlite_schema");
    const std::string wal_dst = with_suffix(dest.tmp(), "-wal");
    out.bytes = copy_in_child({{req.src, dest.tmp(), false}, {with_suffix(req.src, "-wal"), wal_dst, true}});
    out.steps = 1;
    prog.steps = 1;
    prog.finished_ns = now_ns();
    in_txn = false;
    db.exec("COMMIT");
    std::error_code ec;
    if (std::filesystem::exists(wal_dst, ec)) {
      dest.add_companion("-wal");
      out.extra["files_copied"] = {"db", "-wal"};
    } else {
      out.extra["files_copied"] = {"db"};
    }
  } catch (...) {
    if (in_txn) sqlite3_exec(db.get(), "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
  const int64_t t1 = prog.finished_ns.load();
  db.close();
  out.duration_s = ns_to_s(t1 - t0);
  out.busy_retries = busy.retries();
  out.extra["read_held_ms"] = ns_to_ms(now_ns() - t0);
  dest.commit();
  out.bytes = dest.bytes();
  return out;
}

const bool registered = register_strategy({
    .name = "wal-snapshot-copy",
    .description = "WAL mode: hold a read transaction, copy the database file then the -wal from a child "
                   "process, end the read",
    .params = {},
    .skip_reason = [](const std::string& mode, bool) { return mode == "wal" ? std::string() : "WAL mode only"; },
    .expected_safe = [](const std::string& mode, const Params&) { return mode == "wal"; },
    .safety_note = "safe in WAL mode (the copy may be newer than the read snapshot, but consistent)",
    .run = run_wal_snapshot_copy,
});

}  // namespace
}  // namespace bb
