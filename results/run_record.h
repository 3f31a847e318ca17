// The run record: results.json's top level, one type with a writer and a
// reader. `run` builds it as trials finish (written after each, `partial`
// until the summary is in); `report`, `compare` and `merge` read it. Trials
// and the summary keep their own records (results/trial_result.h,
// results/summary.h), held here as they are written.
#pragma once
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "results/schema.h"

namespace bb {

struct RunRecord {
  std::string schema = kResultsSchema;
  nlohmann::json verdicts = verdict_table();  // which verdicts are wrong snapshots (results/schema.h)
  nlohmann::json tool = nlohmann::json::object();  // name, version, commit
  std::string sqlite_version;
  std::string started_at, finished_at;  // UTC, ISO 8601; finished_at empty until the run ends
  std::string command_line;
  nlohmann::json host = nlohmann::json::object();      // core/context.h
  nlohmann::json scenario = nlohmann::json::object();  // the scenario as run
  nlohmann::json database = nullptr, workload_file = nullptr;  // the user's own (docs/your-database.md)
  nlohmann::json strategies = nlohmann::json::object();        // the registry's facts per strategy
  nlohmann::json sqlite_builds = nlohmann::json::object();
  int64_t shard_k = 0, shard_n = 1;
  // Where K/N came from ("none", "flag", "BB_SHARD", "gitlab", "kubernetes",
  // "slurm") and the job engine's identity of the job that ran this shard.
  std::string shard_engine = "none";
  nlohmann::json shard_job = nlohmann::json::object();
  int64_t cells_total = 0;  // cells of the whole matrix (every shard's)
  nlohmann::json probes = nlohmann::json::array();  // capacity probes run or borrowed (--rates-from)
  std::optional<std::string> rates_from;
  nlohmann::json trials = nlohmann::json::array();  // one TrialResult each
  // Set when the run ends: the summary rows, what building databases cost.
  std::optional<nlohmann::json> summary, population;
  bool interrupted = false, stopped_disk_full = false;

  // Whether the run has ended (results.json says `partial` until then).
  bool finished() const { return summary.has_value(); }
};

void to_json(nlohmann::json& j, const RunRecord& r);
// Reads a record `to_json` wrote; nlohmann::json::exception names a missing or
// mistyped field.
void from_json(const nlohmann::json& j, RunRecord& r);

}  // namespace bb
