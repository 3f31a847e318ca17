// Template databases: each (workload, size, page size, journal mode, seed,
// SQLite version) is populated once into a cache folder and every trial starts
// from a fresh copy of it — a reflink where the filesystem has them, else
// copy_file_range. Population is deterministic for a seed (seeded_blob), so a
// copy is byte-identical to a fresh population and results do not depend on the
// cache (docs/templates.md).
#pragma once
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "databases/populate.h"

namespace bb {

// The cache folder: $BB_CACHE_DIR, else $XDG_CACHE_HOME/backup-bench/templates,
// else ~/.cache/backup-bench/templates.
std::string template_cache_dir();

struct Instantiated {
  bool from_cache = false;  // the template was already there
  double populate_s = 0;    // building the template (0 on a cache hit)
  double copy_s = 0;        // copying it to the trial
  double flush_s = 0;       // writing the copy out (fsync) before any load starts
  std::string method;       // "reflink" or "copy"
};

// Creates `path` in `mode` from the cached template (built first when missing).
// With s.template_cache false, populates `path` directly.
Instantiated instantiate_database(const std::string& path, const DatabaseSpec& s, const std::string& mode,
                                  int64_t db_mb);

// Where the template of (s, mode, db_mb) is, or would be, in the cache (for
// estimates: whether a run must build it).
std::string template_path(const DatabaseSpec& s, const std::string& mode, int64_t db_mb);

// How long the template at `path` took to build on this machine, from the note
// written beside it when it was built (`<template>.built`); nullopt when there
// is none (built by an older version, or copied in). For estimates.
std::optional<double> template_build_seconds(const std::string& path);

// Every instantiation this process made (for results.json's `population`):
// template name, whether it was cached, populate and copy seconds.
const nlohmann::json& population_log();

// Removes every cached template; returns how many files were removed.
int clear_template_cache();

}  // namespace bb
