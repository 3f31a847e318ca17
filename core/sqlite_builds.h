// The SQLite build a cell runs on: "system" (this binary, on the library it was
// linked with) or a second build made against an amalgamation
// (docs/sqlite-versions.md), named by its version ("3.50.4") or by the
// amalgamation's folder. The driver runs a cell's workers, backup process and
// validator with that cell's binary, so one run compares SQLite versions.
#pragma once
#include <nlohmann/json.hpp>
#include <string>

namespace bb {

struct SqliteBuildRef {
  std::string label;   // as the scenario names it
  std::string exe;     // the backup-bench binary to run
  bool self = true;    // exe is this binary
  nlohmann::json info; // version, source_id, compile_options, ... (from `exe __sqlite-info`)
};

// Resolves a scenario's `sqlite` entry; builds the second binary with
// scripts/build-sqlite when given an amalgamation folder it was not built for.
// UsageError (before any work) when it cannot be found or built.
SqliteBuildRef resolve_sqlite_build(const std::string& label);

}  // namespace bb
