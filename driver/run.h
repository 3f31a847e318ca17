// `backup-bench run`: expands a scenario into trials, probes capacity when the
// rate is derived from it, runs the trials, writes the run folder (results.json,
// trials.csv, per-trial series) and prints the summary.
#pragma once
#include <nlohmann/json.hpp>
#include <string>

#include "driver/scenario.h"

namespace bb {

struct RunOptions {
  std::string out;  // run folder; empty: runs/<timestamp> with a runs/latest link
  int shard_k = 0, shard_n = 1;
  std::string shard_engine = "none";  // where K/N came from (cli/cmd_run_shard.h)
  nlohmann::json shard_job = nlohmann::json::object();  // the engine's job identity
  bool keep_snapshots = false;
  std::string command_line;  // as the user typed it, for results.json
  // With rate = auto: take the per-writer rates from this run's capacity probes
  // instead of probing (so two runs compared by `compare` get the same load).
  std::string rates_from;
};

// Returns the process exit code: 0; 1 when an expected-safe strategy produced a
// snapshot that is not OK; 3 when a trial failed in the harness; 130 interrupted.
int run_scenario(const Scenario& s, const RunOptions& opt);

}  // namespace bb
