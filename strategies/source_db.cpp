// Opening a backup's source so that closing it leaves the source's files alone.
#include "strategies/source_db.h"

#include <fmt/format.h>
#include <unistd.h>

#include <filesystem>

#include "core/files.h"
#include "strategies/strategy.h"

namespace fs = std::filesystem;

namespace bb {
namespace {

bool exists(const std::string& path) {
  std::error_code ec;
  return fs::exists(path, ec);
}

void set_no_checkpoint_on_close(sqlite3* db, bool on) {
  sqlite3_db_config(db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, on ? 1 : 0, nullptr);
}

}  // namespace

SourceSidecars SourceSidecars::of(const std::string& db) {
  return {exists(with_suffix(db, "-wal")), exists(with_suffix(db, "-shm"))};
}

void check_wal_source_folder(const BackupJob& job) {
  if (job.mode != "wal") return;
  const SourceSidecars now = SourceSidecars::of(job.src);
  if (now.wal && now.shm) return;
  fs::path dir = fs::path(job.src).parent_path();
  if (dir.empty()) dir = ".";
  if (access(dir.c_str(), W_OK) == 0) return;
  throw BackupFailure(FailureKind::kBadInput,
                      fmt::format("{} is a WAL database in a folder this process cannot write ({}): SQLite reads a "
                                  "WAL database only where it can create its -wal and -shm beside it; back up a "
                                  "copy in a writable folder, or use raw-copy",
                                  job.src, dir.string()));
}

SourceDb::SourceDb(const BackupJob& job) : SourceDb(job, SourceSidecars::of(job.src)) {}

SourceDb::SourceDb(const BackupJob& job, SourceSidecars before) : path_(job.src), before_(before) {
  check_wal_source_folder(job);
  static_cast<Db&>(*this) = Db(job.src, SQLITE_OPEN_READWRITE);
  // From the start, so no path out of here (an exception, a close by the Db
  // itself) can checkpoint.
  set_no_checkpoint_on_close(get(), true);
}

SourceDb::~SourceDb() {
  if (!get()) return;
  // Only what this open created, and only while it holds nothing: a checkpoint
  // of an empty -wal writes nothing, and the close then deletes the -wal and
  // -shm (when no other connection has the database open; else it leaves them).
  const bool created_by_us = !before_.wal && !before_.shm;
  if (created_by_us && file_size_or_zero(with_suffix(path_, "-wal")) == 0) set_no_checkpoint_on_close(get(), false);
  close();
}

bool remove_created_sidecars(const BackupJob& job, SourceSidecars before) {
  if (before.wal || before.shm) return false;
  const SourceSidecars now = SourceSidecars::of(job.src);
  if (!now.wal && !now.shm) return false;
  {
    SourceDb db(job, before);
    db.query_int("SELECT count(*) FROM sqlite_schema");  // opens the WAL, as the shell's read did
  }
  const SourceSidecars after = SourceSidecars::of(job.src);
  return !after.wal && !after.shm;
}

}  // namespace bb
