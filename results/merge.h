// Loading the results of one run, given as one or several run folders or
// results.json files (the shards of a run made with `run --shard K/N`): each file
// checked before it is used, the trials concatenated, the summary recomputed.
// `compare` and `report` read runs only through here.
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace bb {

struct MergeOptions {
  // Recompute the summary rows (reads every steady trial's series.json for the
  // pooled percentiles); compare needs only the trials.
  bool summary = true;
  // Every shard 0..N-1 must be there even when one run is given (a folder of
  // shards was given: results/shard_set.h); several runs always must be.
  bool complete = false;
};

// The merged results: the first file's context (host, scenario, SQLite version),
// every file's trials with `series` made absolute (resolved against the folder
// its results.json is in), `shard` = {"n": N, "k": [the shards given]},
// `interrupted` when any shard was, `sources` (the files read), `hosts` and
// `host_differences` (results/shard_set.h), and `summary`.
// Throws UsageError with one line naming the file and the problem: a missing
// path, a folder without results.json, anything but a regular file (a FIFO is
// never opened for reading), damaged or truncated JSON, a field of the wrong
// type, a run with no trials, or files that are not shards of one run (other
// scenarios or builds, a shard twice or missing).
nlohmann::json merge_runs(const std::vector<std::string>& paths, const MergeOptions& opt = {});

// A comma-separated list of paths (how `compare` takes the shards of one run).
std::vector<std::string> split_paths(const std::string& list);

// Writes merged results as a results file at `out`: `series` paths are made
// relative to out's folder again, as in a run's own results.json.
void write_merged(const std::string& out, nlohmann::json merged);

}  // namespace bb
