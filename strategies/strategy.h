// A backup strategy: one way to produce a backup file from a live database.
// Each strategy is one file that registers a StrategyInfo under its contract name
// (product.md); the driver, `backup` and `list` work only through this table.
#pragma once
#include <sys/types.h>

#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "harness/shared_state.h"

namespace bb {

struct StrategyParam {
  std::string name;
  std::string default_value;
  std::string help;
  std::vector<std::string> choices;  // empty: any integer (validated by the strategy)
};

using Params = std::map<std::string, std::string>;

struct BackupRequest {
  std::string src;
  std::string dest;
  Params params;                   // complete: defaults filled in, validated
  std::string mode;                // the source's journal mode ("wal", "delete", ...)
  BackupProgress* progress;        // never null: shared memory in a trial, local otherwise
  bool in_trial = false;           // run by the driver while workers hold the database
  std::vector<pid_t> holders;      // in a trial: the worker processes (for fs-snapshot)
};

struct BackupOutcome {
  std::string status = "completed";  // completed | failed | timeout | skipped
  std::string error;                 // empty unless failed/skipped
  double duration_s = 0;
  int64_t bytes = 0;
  int64_t steps = 0;
  int64_t restarts = 0;
  int64_t busy_retries = 0;
  nlohmann::json extra = nlohmann::json::object();  // strategy-specific facts
};

nlohmann::json to_json(const BackupOutcome& o);

struct StrategyInfo {
  std::string name;
  std::string description;
  std::vector<StrategyParam> params;
  // Why the strategy cannot run in this setting; empty when it can.
  std::function<std::string(const std::string& mode, bool in_trial)> skip_reason =
      [](const std::string&, bool) { return std::string(); };
  // Whether a snapshot that is not OK is a finding (exit 1 from `run`).
  std::function<bool(const std::string& mode, const Params&)> expected_safe;
  std::string safety_note;  // one line for `list`: where it is safe
  std::function<BackupOutcome(const BackupRequest&)> run;
};

// Registration: one line in each strategy's file.
bool register_strategy(StrategyInfo info);
const std::vector<StrategyInfo>& strategies();
const StrategyInfo* find_strategy(const std::string& name);

// Fills defaults and checks keys and values; throws UsageError naming the problem.
Params resolve_params(const StrategyInfo& s, const Params& given);
// Parses an integer parameter (already validated by resolve_params).
int64_t param_int(const Params& p, const std::string& key);
bool param_bool(const Params& p, const std::string& key);

}  // namespace bb
