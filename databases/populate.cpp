// Fresh trial databases.
#include "databases/populate.h"

#include <fmt/format.h>

#include <filesystem>

#include "core/errors.h"
#include "core/sqlite_db.h"
#include "core/files.h"
#include "databases/user_database.h"
#include "workloads/workload.h"

namespace bb {

void create_database(const std::string& path, const DatabaseSpec& s, const std::string& mode, int64_t db_mb,
                     uint64_t seed) {
  remove_db_files(path);
  auto w = make_workload(s.workload);
  if (!w) throw UsageError(fmt::format("unknown workload '{}'", s.workload));
  // The user's database (--database): a recovered copy of it, in its own page
  // size; the workload adds only its own table.
  const bool existing = !s.database.empty();
  if (existing) stage_user_database(s.database, path);
  Db db(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  if (!existing) db.exec(fmt::format("PRAGMA page_size = {}", s.page_size));
  db.exec(fmt::format("PRAGMA journal_mode = {}", mode));
  db.exec("PRAGMA synchronous = OFF");  // population only; workers set their own
  if (existing) w->adopt(db);
  else w->populate(db, PopulateParams{db_mb << 20, seed});
  if (mode == "wal") db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
  std::string got = journal_mode(db);
  if (got != mode) throw std::runtime_error(fmt::format("journal_mode is {} after asking for {}", got, mode));
}

}  // namespace bb
