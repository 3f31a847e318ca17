// The user's own database (run --database FILE): checked before any trial,
// described for results.json, and copied for the template cache. FILE and its
// sidecars are only ever read, with plain read-only descriptors: SQLite never
// opens FILE itself (a read-only SQLite open of a WAL database would still
// create or write its -shm). The copy (with the -wal or a hot -journal that
// belongs to it) is what SQLite opens, recovers and inspects.
#pragma once
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "databases/populate.h"
#include <vector>

namespace bb {

struct DatabaseInfo {
  std::string path, name;
  int64_t bytes = 0;      // the database file
  int64_t wal_bytes = 0;  // its -wal, when one is beside it
  int64_t page_size = 0, pages = 0, freelist_pages = 0, tables = 0, indices = 0;
  std::string journal_mode;  // FILE's own (the journal-mode axis still applies to each trial's copy)
  std::string identity;      // changes whenever FILE or its -wal changes (the template cache key)
};
nlohmann::json to_json(const DatabaseInfo& d);

// Copies FILE (and the sidecars SQLite would apply) to `dst` and recovers the
// copy, leaving one file in rollback-journal mode. UsageError, one line: not a
// regular file, not SQLite, encrypted, held locked by another process beyond a
// short wait, or changed while being copied.
void stage_user_database(const std::string& src, const std::string& dst);

// Stages FILE into `scratch` (left there, recovered, for the caller's checks)
// and describes it; UsageError when it fails integrity_check.
DatabaseInfo inspect_user_database(const std::string& src, const std::string& scratch);

// What identifies a scenario's own data in the template cache: the database's
// identity, else the workload file's text; empty for the built-in workloads.
std::string user_data_key(const DatabaseSpec& s);

// Before any trial (and before the run folder exists): checks --database and
// the workload file against each other (every statement prepares, picks return
// rows, invariants already hold), replaces `db_mb` with the database's size, and
// returns what results.json records: {"database": ..., "workload_file": ...}.
// UsageError naming the file, line and statement.
nlohmann::json prepare_user_data(const DatabaseSpec& s, std::vector<int64_t>& db_mb);

}  // namespace bb
