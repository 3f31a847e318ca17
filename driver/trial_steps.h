// The steps of one trial (driver/trial.h), shared by the files that hold them:
// a trial under way is one TrialState; run_trial (trial.cpp) calls the steps in
// order: prepare, load, each backup (trial_backup.cpp), stop, judge
// (trial_judge.cpp), record.
#pragma once
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/sqlite_builds.h"
#include "driver/load.h"
#include "driver/nemesis.h"
#include "driver/trial.h"
#include "strategies/strategy.h"

namespace bb {

class Companion;

// A trial under way: what it runs, its record so far, its folder and files.
struct TrialState {
  TrialState(const TrialSpec& s, const TrialEnv& e, const StrategyInfo& i, SqliteBuildRef b,
             std::vector<std::string> c, TrialResult r)
      : spec(s), env(e), info(i), build(std::move(b)), checks(std::move(c)), t(std::move(r)) {}
  const TrialSpec& spec;
  const TrialEnv& env;
  const StrategyInfo& info;
  SqliteBuildRef build;
  std::vector<std::string> checks;  // the workload's, for a verdict without a snapshot
  TrialResult t;
  std::string rel, dir;              // the trial's folder: relative to the run folder, and absolute
  std::string db, snapshot, dest_dir;  // set once the trial has a place
  Companion* companion = nullptr;      // a continuous strategy's replicator (driver/companion.h)
  int64_t phase_start = now_ns();

  void progress(const std::string& what) const {
    if (env.progress) env.progress(what);
  }
  // Ends phase `name` now (results.json `phases_s`: where a trial's time goes).
  void phase(const char* name);
};

// Runs backup `k` of the trial (due at first_due + k intervals) in its own
// process while the load runs, into t.backups; `ended` is when it ended.
// Throws HarnessError when something outside killed the backup process.
void run_backup(TrialState& ts, Load& load, Nemesis& nemesis, int k, int64_t first_due, int64_t& ended);

// Every figure of the trial, from the load's history (results/metrics.h).
void compute_figures(TrialResult& t, const Load& load);

// Judges every backup's snapshot once the load has stopped (its verdict and
// freshness bounds), removing set-aside snapshots not kept.
void judge_snapshots(TrialState& ts, Load& load, Nemesis& nemesis);

}  // namespace bb
