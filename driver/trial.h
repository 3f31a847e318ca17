// One trial: fresh database -> load (writers, readers) -> warm-up -> baseline
// window -> backup in its own process -> cool-down -> stop -> validate the
// snapshot -> one TrialResult.
#pragma once
#include <functional>
#include <string>

#include "driver/load.h"
#include "driver/scenario.h"
#include "results/trial_result.h"

namespace bb {

struct TrialEnv {
  std::string run_dir;  // the run folder; trials go to run_dir/trials/<id>
  bool keep_snapshots = false;
  double writer_rate = 0;  // per-writer rate for this cell (the scenario's, or the capacity probe's)
  // Called from the watching loop with a short status ("backup 1.2s"), for progress.
  std::function<void(const std::string&)> progress;
};

// Runs one cell. A harness failure (a worker died, ...) throws HarnessError after
// cleaning up; Ctrl-C throws Interrupted.
TrialResult run_trial(const Scenario& s, const Cell& c, const TrialEnv& env);

// A trial that failed in the harness: every field present, figures empty.
TrialResult harness_failure(const Cell& c, const Scenario& s, const std::string& why);

// The processes holding `db` or its sidecars, as JSON (see core/holders.h).
nlohmann::json holders_json(const std::string& db);

}  // namespace bb
