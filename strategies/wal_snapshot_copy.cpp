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
#include <filesystem>

#include "core/files.h"
#include "core/sqlite_db.h"
#include "strategies/file_copy.h"
#include "strategies/source_db.h"
#include "strategies/strategy.h"
#include "strategies/strategy_util.h"

namespace bb {
namespace {

void run_wal_snapshot_copy(BackupJob& job) {
  SourceDb db(job);
  EagerBusy busy(db.get(), 5000, job);
  if (journal_mode(db) != "wal")
    throw BackupFailure(FailureKind::kBadInput, "wal-snapshot-copy: the source is not in WAL mode");
  db.exec("BEGIN");
  InTransaction tx(db);
  // The first read opens the read transaction and takes a read mark.
  job.extra["snapshot_schema_objects"] = db.query_int("SELECT count(*) FROM sqlite_schema");
  job.reading();
  const std::string wal_dst = with_suffix(job.tmp(), "-wal");
  copy_in_child({{job.src, job.tmp(), false}, {with_suffix(job.src, "-wal"), wal_dst, true}});
  job.step();
  job.read_done();
  tx.commit();
  std::error_code ec;
  if (std::filesystem::exists(wal_dst, ec)) {
    job.companion("-wal");
    job.extra["files_copied"] = {"db", "-wal"};
  } else {
    job.extra["files_copied"] = {"db"};
  }
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
