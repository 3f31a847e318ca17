// What a run killed with SIGKILL leaves (it cannot clean up after itself): the
// trial in progress -- its database, sidecars, worker samples and a backup's
// partial file -- in its run folder, and a template being built in the cache.
// The next `run` finds them and removes them before it starts.
#pragma once
#include <string>
#include <vector>

namespace bb {

// Run folders beside `out` (in the same parent) whose lock nobody holds and
// whose results.json is missing or partial: the files of trials they did not
// record, and temporaries of dead processes. Returns one line per folder cleaned.
std::vector<std::string> clean_dead_runs(const std::string& out);

// Templates whose builder died mid-way (`NAME.partial-PID` with PID gone).
std::vector<std::string> clean_dead_templates(const std::string& cache_dir);

}  // namespace bb
