// The run folder's files: results.json, trials.csv, and the summary table. Files
// are written whole or not at all (temporary name, fsync, rename).
#pragma once
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

#include "results/schema.h"  // kResultsSchema: the version of the results.json written here

namespace bb {

// Writes `text` to `path` atomically; throws std::system_error (ENOSPC: disk full).
void write_file_atomic(const std::string& path, const std::string& text);

void write_results(const std::string& dir, const nlohmann::json& results);
// Flat CSV, one row per trial.
std::string trials_csv(const nlohmann::json& trials);
// The summary table: one row per summary row of results.json, named and with
// figures as stored.
std::string summary_table(const nlohmann::json& results);

}  // namespace bb
