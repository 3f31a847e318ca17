// The schema of results.json (docs/results.schema.json, docs/contract.md): its
// version, the values every reader takes from the file instead of recomputing
// them (which verdicts are wrong snapshots; a trial's summary row, whether it
// counts for writer figures, its axes; a summary row's key and name), and how a
// file of the previous version is read.
#pragma once
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "results/cell.h"

namespace bb {

inline constexpr const char* kResultsSchema = "backup-bench/2";
inline constexpr const char* kResultsSchemaV1 = "backup-bench/1";

// results.json's "verdicts": [{status, wrong_snapshot, snapshot}] for every
// verdict, so that no reader keeps a list of its own.
nlohmann::json verdict_table();

// A summary row's key: "wal/online@8MB/w2/host/system", with "+kill-writer"
// when a fault was injected. A trial's `row` is the key of its summary row.
std::string row_key(const std::string& mode, const std::string& label, int64_t db_mb, int64_t writers,
                    const std::string& filesystem, const std::string& sqlite, const std::string& fault);
std::string row_key(const Cell& c);
// The same from a trial or a summary row as JSON (a file of the previous version).
std::string row_key(const nlohmann::json& row_or_trial);

// A trial's `axes`: the fields beyond mode, label, size and writers that tell
// its cell apart ({filesystem, sqlite, fault}); compare keys cells by them.
nlohmann::json cell_axes(const Cell& c);

// Names summary rows as `run` prints them: `name` is the label, "+fault" when
// one was injected, then the size, writer count, filesystem and SQLite version
// where the rows differ in them (the filesystem and version also when they are
// not host/system); `name_parts` is [[dimension, text], ...], whose texts
// joined are the name (a chart that shows a dimension otherwise leaves it out).
void name_rows(nlohmann::json& rows);

// Reads a results file of the previous version (backup-bench/1) as this one:
// the derived values it lacks are computed by the rules above and written in,
// and `upgraded_from` says so. A file of this version is left as it is.
void upgrade_v1(nlohmann::json& results);

}  // namespace bb
