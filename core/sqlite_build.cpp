// SQLite build facts, read from the running library.
#include "core/sqlite_build.h"

#include <dlfcn.h>
#include <sqlite3.h>

#include <filesystem>

#include "core/sqlite_db.h"

namespace bb {
namespace {

// Whether `sql` prepares and runs on an in-memory database: a virtual table that
// was not compiled in fails to prepare ("no such table").
bool works(const char* sql) {
  try {
    Db db(":memory:", SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_MEMORY);
    db.exec(sql);
    return true;
  } catch (const SqliteError&) {
    return false;
  }
}

std::string canonical(const std::string& p) {
  std::error_code ec;
  auto c = std::filesystem::canonical(p, ec);
  return ec ? p : c.string();
}

}  // namespace

SqliteBuild sqlite_build() {
  SqliteBuild b;
  b.version = sqlite3_libversion();
  b.source_id = sqlite3_sourceid();
  b.version_number = sqlite3_libversion_number();
  b.header_version = SQLITE_VERSION;
  for (int i = 0; const char* o = sqlite3_compileoption_get(i); ++i) b.compile_options.emplace_back(o);
  // The object sqlite3_libversion lives in: this executable (an amalgamation
  // linked in) or a shared library.
  Dl_info lib{}, self{};
  if (dladdr(reinterpret_cast<void*>(&sqlite3_libversion), &lib) &&
      dladdr(reinterpret_cast<void*>(&sqlite_build), &self)) {
    b.linked_statically = lib.dli_fbase == self.dli_fbase;
    b.library = b.linked_statically ? canonical("/proc/self/exe") : canonical(lib.dli_fname ? lib.dli_fname : "");
  }
  b.dbpage = has_dbpage();
  b.dbstat = works("SELECT 1 FROM dbstat LIMIT 0");
  return b;
}

bool has_dbpage() {
  static const bool yes = works("SELECT 1 FROM sqlite_dbpage LIMIT 0");
  return yes;
}

void to_json(nlohmann::json& j, const SqliteBuild& b) {
  j = {{"version", b.version},
       {"source_id", b.source_id},
       {"version_number", b.version_number},
       {"header_version", b.header_version},
       {"library", b.library},
       {"linked_statically", b.linked_statically},
       {"compile_options", b.compile_options},
       {"dbpage", b.dbpage},
       {"dbstat", b.dbstat}};
}

}  // namespace bb
