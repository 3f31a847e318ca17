// Creating a trial's fresh database: pragmas, schema and rows of the workload.
#pragma once
#include <string>

#include "driver/scenario.h"

namespace bb {

// Creates `path` (removing an old one and its sidecars) in `mode`, populated to
// about `db_mb` MB. The connection is closed before returning, so the caller can
// fork workers.
void create_database(const std::string& path, const Scenario& s, const std::string& mode, int64_t db_mb,
                     uint64_t seed);

}  // namespace bb
