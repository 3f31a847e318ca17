// One trial: fresh database -> load (writers, readers) -> warm-up -> baseline
// window -> each backup in its own process -> cool-down -> stop -> validate the
// snapshots -> one TrialResult.
#pragma once
#include <functional>
#include <string>

#include "driver/fault.h"
#include "driver/load.h"
#include "databases/populate.h"
#include "driver/scenario.h"
#include "results/trial_result.h"

namespace bb {

// What one trial needs, and no more: its cell, its database, its load, its
// phases, its backups, how its snapshots are judged, its fault. A scenario
// makes one per cell (trial_spec); run_trial never sees the scenario.
struct TrialSpec {
  Cell cell;
  DatabaseSpec database;
  // The workers (workload, counts, rates, busy handling, synchronous, ...); the
  // trial fills in the binary, the database and the samples folder.
  LoadSpec load;
  double warmup_s = 0.5, baseline_s = 2, cooldown_s = 0.5;
  double backup_timeout_s = 0;  // 0: scaled with the database (databases/time_limit.h)
  int64_t backups = 1;          // on a schedule while the load continues
  double backup_interval_s = 30;
  std::string integrity_check = "auto";  // auto | full | quick
  FaultOptions fault;
};

// The spec of cell `c` of scenario `s`, its writers paced at `writer_rate`
// (the scenario's, or a capacity probe's).
TrialSpec trial_spec(const Scenario& s, const Cell& c, double writer_rate);

struct TrialEnv {
  std::string run_dir;  // the run folder; trials go to run_dir/trials/<id>
  bool keep_snapshots = false;
  // Called from the watching loop with a short status ("backup 1.2s"), for progress.
  std::function<void(const std::string&)> progress;
};

// Runs one cell. A harness failure (a worker died, ...) throws HarnessError after
// cleaning up; Ctrl-C throws Interrupted.
TrialResult run_trial(const TrialSpec& spec, const TrialEnv& env);

// A trial that failed in the harness: every field present, figures empty.
TrialResult harness_failure(const TrialSpec& spec, const std::string& why);

// The processes holding `db` or its sidecars, as JSON (see core/holders.h).
nlohmann::json holders_json(const std::string& db);

}  // namespace bb
