// How a backup opens its source through SQLite: so that closing it never changes
// the source's files (docs/contract.md, "A backup never changes its source").
//
// When the last connection to a WAL database closes, SQLite checkpoints the -wal
// into the main file and deletes the -wal and -shm. A backup is often that last
// connection (a crashed writer's database, a database at rest), and then the
// backup rewrote its source. SourceDb closes with SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE,
// so the main file and the -wal stay as they were -- except when the backup's own
// open created the -wal and -shm (neither existed before) and the -wal is still
// empty: then a normal close removes what the open created, and its checkpoint
// has nothing to write.
#pragma once
#include <string>

#include "core/sqlite_db.h"

namespace bb {

class BackupJob;

// Which of a database's WAL sidecars exist: taken before the backup touches it.
struct SourceSidecars {
  bool wal = false, shm = false;
  static SourceSidecars of(const std::string& db);
};

// A WAL database can be read only where SQLite can create its -wal and -shm:
// throws BackupFailure (bad input) naming that when the source is in WAL mode,
// one of them is missing and its folder is not writable.
void check_wal_source_folder(const BackupJob& job);

class SourceDb : public Db {
 public:
  // Opens job.src read-write (a read-only filesystem falls back to read-only in
  // SQLite), after check_wal_source_folder.
  explicit SourceDb(const BackupJob& job);
  // `before`: the sidecars as they were before anything of this backup opened
  // the source (cli-backup's shell opens it first).
  SourceDb(const BackupJob& job, SourceSidecars before);
  ~SourceDb();
  SourceDb(SourceDb&&) = delete;

 private:
  std::string path_;
  SourceSidecars before_;
};

// After another process of the backup (the sqlite3 shell) had the source open:
// removes a -wal and -shm that it created and left behind (a shell that exits on
// an error does not close its connection), when `before` had neither, the -wal is
// empty and no other connection has the database open -- the same normal close
// SourceDb makes. Returns whether it removed them.
bool remove_created_sidecars(const BackupJob& job, SourceSidecars before);

}  // namespace bb
