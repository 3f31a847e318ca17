// Creating a trial's fresh database: pragmas, schema and rows of the workload.
#pragma once
#include <string>


namespace bb {

// What a trial's database is made of: the workload (its schema and rows), or
// the user's database (docs/your-database.md), its page size and seed, and
// whether templates are cached (a scenario gives one: database_spec in
// driver/scenario.h).
struct DatabaseSpec {
  std::string workload = "ledger";  // a registered name, or "file:PATH"
  std::string database;             // the user's database (absolute path); empty: populate
  int64_t page_size = 4096;
  int64_t seed = 1;
  bool template_cache = true;
};

// Creates `path` (removing an old one and its sidecars) in `mode`, populated to
// about `db_mb` MB. The connection is closed before returning, so the caller can
// fork workers.
void create_database(const std::string& path, const DatabaseSpec& s, const std::string& mode, int64_t db_mb,
                     uint64_t seed);

}  // namespace bb
