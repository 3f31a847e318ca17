// What a run will cost before it starts (`run --check`): per shard, the trial
// count, the time (templates to build, capacity probes, every trial's phases)
// and the disk it needs. The model is the trial's own phases: fixed costs plus
// a cost per MB of database, with speeds measured on this machine when a
// cached template or an earlier run is there, else stated defaults.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "driver/scenario.h"

namespace bb {

// A phase's time: fixed_s + mb * s_per_mb.
struct PhaseCost {
  double fixed_s = 0, s_per_mb = 0;
  double at(double mb) const { return fixed_s + mb * s_per_mb; }
};

struct Speeds {
  PhaseCost prepare{0.05, 1.0 / 400};   // copying the template into the trial, flushed
  PhaseCost validate{0.05, 1.0 / 150};  // integrity check and the workload's invariants, per snapshot
  PhaseCost backup{0.05, 1.0 / 150};    // a strategy nothing is known of
  std::map<std::string, PhaseCost> strategy;  // per strategy name, from an earlier run's completed backups
  // Per "strategy/mode": the share of an earlier run's backups that ran to their
  // time limit (one that restarts under load, as the shell's .backup does at a
  // high commit rate). Such a backup costs its limit, not its copy.
  std::map<std::string, double> timeout_share;
  double copy_mb_s = 0;  // a plain copy as the earlier run measured it, for auto time limits (0: from `prepare`)
  double trial_fixed_s = 0.6;   // starting and stopping the workers, the series file
  double skipped_s = 0.05;      // a trial whose strategy does not apply
  double populate_s_per_mb = 1.0 / 25;  // building a template
  bool populate_from_cache = false;     // measured on the cache's own templates (their build notes)
  double probe_fixed_s = 0.5;   // a capacity probe beyond its probe_s and its database copy
  std::vector<std::string> sources;  // what was measured, for the printout
};

struct ShardEstimate {
  int k = 0;
  size_t trials = 0;
  double templates_s = 0, probes_s = 0, trials_s = 0;
  int64_t run_bytes = 0, cache_bytes = 0;  // the run folder's and the template cache's need
  double total_s() const { return templates_s + probes_s + trials_s; }
};

struct EstimateInputs {
  // Whether a (mode, db_mb) template is already in this machine's cache.
  std::function<bool(const std::string& mode, int64_t db_mb)> cached = [](const std::string&, int64_t) {
    return false;
  };
  // Why a cell's strategy is skipped here ("" when it runs).
  std::function<std::string(const Cell&)> skip = [](const Cell&) { return std::string(); };
  bool keep_snapshots = false;
};

// Every shard 0..n-1 of the scenario's matrix. A pure function of its inputs.
std::vector<ShardEstimate> estimate_shards(const Scenario& s, int n, const Speeds& sp, const EstimateInputs& in);

// The seconds one cell's trial takes (no template, no probe).
double trial_seconds(const Scenario& s, const Cell& c, const Speeds& sp);
// The time limit of one backup of the cell (backup_timeout_s, or the auto
// limit at the measured copy speed, as the run sets it: databases/time_limit.h).
double backup_limit_s(const Scenario& s, const Cell& c, const Speeds& sp);

// Speeds on this machine: the per-MB copy speed measured on the largest cached
// template of the scenario (a short copy), and every phase's fixed cost (and,
// when it ran several sizes, its cost per MB) fitted from an earlier run's
// results.json (`earlier`: a run folder; "" for none).
Speeds measure_speeds(const Scenario& s, const std::string& earlier);

// "1h02m", "3m05s", "12s".
std::string duration_text(double seconds);

}  // namespace bb
