// The results model: one C++ type per record of results.json (a trial, its
// windows, the load's health, the backup's impact), serialised one way. Every
// trial is this type, including one that failed in the harness (`harness_error`)
// or was skipped, so every record has every field.
#pragma once
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "results/metrics.h"
#include "results/cell.h"
#include "strategies/strategy.h"
#include "validation/validator.h"

namespace bb {

// Window statistics as results.json gives them: `commits` (writers) or `queries`
// (readers) completed in the window, the rate, and the latency percentiles of the
// window's members with their sample count `n` (a percentile the samples cannot
// support is null; `max_ms` is given whenever n > 0).
struct WindowFigures {
  bool writers = true;
  WindowStats stats;
};
void to_json(nlohmann::json& j, const WindowFigures& w);
WindowStats window_stats_from_json(const nlohmann::json& j, bool writers);
// {n, p50_ms, p90_ms, p99_ms, p999_ms, max_ms}, and back.
nlohmann::json percentiles_json(const Percentiles& p);
Percentiles percentiles_from_json(const nlohmann::json& j);

// One backup of a trial and what it did (a trial runs one, or several on a
// schedule: `backups`, `backup_interval_s`).
struct BackupRun {
  int index = 0;
  BackupOutcome backup;
  Window impact, snapshot;
  int64_t wal_at_start = 0, wal_peak = 0;
  WindowStats writers_during, readers_during;
  Impact writer_impact;
  Verdict verdict;
  std::string snapshot_file;  // where its snapshot waits for validation (not serialised)
};

// What the nemesis injected into a trial (docs/faults.md, driver/nemesis.h).
struct FaultRecord {
  std::string kind;    // a registered fault kind (faults/; never "none": a trial without a fault has no record)
  std::string at;      // when it was to strike: "reading+0ms", or "the destination, from the start"
  std::string target;  // "writer 0", "reader 0", "the backup process", "the destination"
  bool injected = false;
  int64_t injected_ns = 0;              // when it struck (CLOCK_MONOTONIC; 0: it did not)
  std::optional<bool> during_backup;    // the backup had not yet released the database when it struck
  std::optional<bool> mid_transaction;  // a writer target (kill/pause-writer) was inside a transaction
  std::string detail;                   // what happened, in words
  nlohmann::json dest = nullptr;        // fill-dest / fail-dest-*: the destination's filesystem
  int64_t partials_removed = 0;         // a killed backup's temporaries removed after it
};

// One check of a faulted trial: passed or not, and why.
struct FaultCheck {
  bool ok = true;
  std::string status;  // source_check: the source's verdict (OK, CORRUPT, ...)
  std::string detail;
  nlohmann::json facts = nlohmann::json::object();  // merged into the record (bounds, seqs, ...)
};

struct TrialResult {
  Cell cell;
  Params params;
  bool expected_safe = false;
  int64_t readers = 0;
  double rate = 0, reader_rate = 0;
  std::string reader_shape;
  std::optional<std::string> harness_error;  // the trial failed in the harness, not in the strategy
  int64_t db_bytes = 0, db_bytes_end = 0;
  nlohmann::json database = nlohmann::json::object();  // how the trial's database was made (templates.h)
  nlohmann::json filesystem_info = nlohmann::json::object();  // type, mount options, ... (core/loop_fs.h)
  nlohmann::json sqlite_info = nlohmann::json::object();      // the cell's SQLite build (core/sqlite_builds.h)
  int64_t t0_ns = 0;            // the start barrier: every time below is relative to it
  Window baseline;
  double time_limit_s = 0;
  LoadHealth load;
  WindowStats writers_baseline, readers_baseline;
  std::vector<BackupRun> backups;  // at least one; results.json's top-level backup fields are the first
  int64_t total_commits = 0, last_seq = 0, behind_schedule = 0;
  double max_lag_ms = 0;
  nlohmann::json holders = nlohmann::json::array();
  nlohmann::json workload_kinds = nullptr;  // a file workload's kinds: commits and constraint errors per kind
  nlohmann::json memory = nlohmann::json::object();
  nlohmann::json phases_s = nlohmann::json::object();  // seconds per phase: prepare, start_load, warmup, ...  // peak memory per kind of process (core/proc_memory.h)
  std::string series;  // the time series file, relative to the run folder
  std::vector<std::string> errors;
  // Faulted trials only (null otherwise): what was injected, whether the outcome
  // was acceptable (a snapshot that is OK, or FAILED with a reason and nothing
  // at the destination), whether the source was intact afterwards.
  std::optional<FaultRecord> fault;
  std::optional<FaultCheck> outcome_check, source_check;
  // A continuous strategy's companion and recovery point (driver/companion.h);
  // null for every other strategy.
  nlohmann::json continuous = nullptr;
  nlohmann::json wal_over_trial = nullptr;  // WAL size from warm-up to stop (null outside WAL mode)

  BackupRun& first() { return backups.at(0); }
  const BackupRun& first() const { return backups.at(0); }
  // Whether its writer figures describe a backup's impact: it ran in the
  // harness, was not skipped, had no fault injected (a fault's figures measure
  // the fault), and its load was steady (docs/measuring-impact.md). Written
  // into results.json as `impact_counts`.
  bool impact_counts() const;
};
// The trial's record, with what is derived from it: `row` (its summary row's
// key), `impact_counts` and `axes` (results/schema.h).
void to_json(nlohmann::json& j, const TrialResult& t);
// The inverse: a trial record read back (times relative to the start barrier
// come back as nanoseconds after a nominal t0_ns of 1).
void from_json(const nlohmann::json& j, TrialResult& t);

// Whether a trial's non-OK verdict is a finding (`run` exits 1); so is a faulted
// trial whose outcome or source check failed.
bool trial_is_finding(const nlohmann::json& trial);
// A trial record's `impact_counts` (TrialResult::impact_counts(), as written).
bool impact_counts(const nlohmann::json& trial);

}  // namespace bb
