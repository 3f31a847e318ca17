// Facts about the SQLite library this process runs on (which may not be the one
// its code was compiled against: a second build links bb_core's objects with an
// amalgamation, docs/sqlite-versions.md): version, source id, compile options,
// where the library was loaded from, and the optional virtual tables.
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace bb {

struct SqliteBuild {
  std::string version;             // sqlite3_libversion(): the library actually running
  std::string source_id;           // sqlite3_sourceid()
  int version_number = 0;          // sqlite3_libversion_number()
  std::string header_version;      // SQLITE_VERSION of the sqlite3.h the code was compiled against
  std::string library;             // the file sqlite3_libversion() lives in: a shared library or this executable
  bool linked_statically = false;  // the library is part of this executable
  std::vector<std::string> compile_options;
  bool dbpage = false;  // the sqlite_dbpage virtual table works
  bool dbstat = false;  // the dbstat virtual table works
};

// Gathers the facts (opens one in-memory connection).
SqliteBuild sqlite_build();

// Whether sqlite_dbpage is usable, tried on an in-memory database (not inferred
// from the version or the options); computed once per process.
bool has_dbpage();

void to_json(nlohmann::json& j, const SqliteBuild& b);

}  // namespace bb
