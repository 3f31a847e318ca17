// The run folder before any trial: created and locked (one run per folder),
// proven writable, with room for the largest trial; and how a full disk is
// recognised once the run is under way.
#pragma once
#include <string>
#include <vector>

#include "driver/run.h"
#include "driver/scenario.h"

namespace bb {

// The UTC time now in strftime's `fmt`.
std::string timestamp(const char* fmt);

// Creates the run folder, takes its lock and proves it writable, or fails with
// one clear line (UsageError). The lock is held until the process exits.
std::string prepare_out(const RunOptions& opt);

// Room for the largest trial (database, snapshot and one recovery copy, and
// every scheduled backup's snapshot) in the run folder, and for the templates
// still to be built in the cache: checked before any work (UsageError).
void check_free_space(const Scenario& s, const std::vector<Cell>& cells, const std::string& out);

// Whether the filesystem holding `dir` has (almost) no room left.
bool disk_full(const std::string& dir);
// Whether a trial's failure says a disk filled up (ENOSPC, SQLITE_FULL).
bool says_disk_full(const std::string& what);

}  // namespace bb
