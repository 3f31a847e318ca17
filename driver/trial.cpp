// The trial runner: the driver's side of one experiment cell, as its phases:
// prepare, load, each backup, stop, judge, record.
#include "driver/trial.h"

#include <fmt/format.h>
#include <unistd.h>

#include <filesystem>
#include <optional>

#include "core/files.h"
#include "core/holders.h"
#include "databases/place.h"
#include "databases/templates.h"
#include "driver/companion.h"
#include "databases/time_limit.h"
#include "driver/trial_steps.h"
#include "results/series.h"
#include "strategies/atomic_dest.h"
#include "workloads/workload.h"

namespace fs = std::filesystem;

namespace bb {
namespace {

std::string sanitize(const std::string& s) {
  std::string o;
  for (char ch : s) o += std::isalnum((unsigned char)ch) || ch == '-' || ch == '_' ? ch : '_';
  return o;
}

// Why a strategy cannot run with these files, as the cell's build sees it.
std::string skip_reason_in(const SqliteBuildRef& build, const StrategyInfo& info, const std::string& mode,
                           const std::string& db, const std::string& dest) {
  if (build.self) return skip_reason_for(info, mode, true, db, dest);
  Captured c = run_capture(build.exe, {"__skip-reason", "--strategy", info.name, "--mode", mode, db, dest});
  std::string why = c.output;
  while (!why.empty() && (why.back() == '\n' || why.back() == ' ')) why.pop_back();
  if (!c.status.ok()) throw HarnessError(fmt::format("{} __skip-reason failed: {}", build.exe, why));
  return why;
}

// The record every trial starts with: the cell, what it runs, its load's shape.
TrialResult start_record(const TrialSpec& spec, const Params& params) {
  TrialResult t;
  t.cell = spec.cell;
  t.params = params;
  t.readers = spec.load.readers;
  t.rate = spec.load.writer_rate;
  t.reader_rate = spec.load.reader_rate;
  t.reader_shape = spec.load.reader_shape;
  t.time_limit_s = spec.backup_timeout_s;  // "auto" (0) is settled once the database exists
  return t;
}

// A trial that does not run: one backup record saying why.
TrialResult skipped(TrialState& ts, const std::string& why) {
  BackupRun& b = ts.t.backups.emplace_back();
  b.backup.strategy = ts.info.name;
  b.backup.params = ts.t.params;
  b.backup.mode = ts.spec.cell.mode;
  b.backup.status = BackupStatus::kSkipped;
  b.backup.error = why;
  b.verdict = no_snapshot(VerdictStatus::kSkipped, why, ts.checks);
  if (!ts.dir.empty()) fs::remove_all(ts.dir);
  return ts.t;
}

// The trial's database, from its template, and the backup's time limit (auto:
// scaled with the database at this filesystem's copy speed).
void prepare_database(TrialState& ts, const Place& place) {
  ts.progress("preparing the database");
  const Instantiated made = instantiate_database(ts.db, ts.spec.database, ts.spec.cell.mode, ts.spec.cell.db_mb);
  TrialResult& t = ts.t;
  t.database = {{"from_cache", made.from_cache}, {"populate_s", made.populate_s}, {"copy_s", made.copy_s},
                {"flush_s", made.flush_s}, {"method", made.method}};
  t.db_bytes = file_size_or_zero(ts.db);
  if (t.time_limit_s <= 0) {
    const double speed = copy_speed_mb_s(ts.spec.cell.filesystem, ts.db, place.dest_dir);
    t.time_limit_s = auto_time_limit_s(t.db_bytes, speed);
    t.database["copy_speed_mb_s"] = speed;
  }
}

// Starts the load and runs it through warm-up and the baseline window.
std::unique_ptr<Load> start_load(TrialState& ts) {
  LoadSpec spec = ts.spec.load;
  spec.exe = ts.build.exe;
  spec.db = ts.db;
  spec.samples_dir = ts.dir;
  ts.progress("starting the load");
  auto load = std::make_unique<Load>(spec);
  load->progress = ts.env.progress;
  ts.phase("start_load");
  ts.t.t0_ns = load->t0();
  load->watch_until(ts.t.t0_ns + s_to_ns(ts.spec.warmup_s), 0, "warm-up");
  ts.phase("warmup");
  ts.t.baseline.begin = now_ns();
  if (ts.companion->takes_fault(ts.spec.cell.fault))
    ts.companion->kill_at(ts.t.baseline.begin + ts.spec.fault.delay_ms * 1'000'000);
  load->watch_until(ts.t.baseline.begin + s_to_ns(ts.spec.baseline_s), 0, "baseline");
  ts.phase("baseline");
  ts.t.holders = holders_json(ts.db);
  return load;
}

// The backups, each in its own process like a real external backup tool, on
// their schedule; then the cool-down and the load's stop.
void backups_and_stop(TrialState& ts, Load& load, Nemesis& nemesis) {
  const int64_t first_due = now_ns();
  int64_t ended = first_due;
  for (int k = 0; k < ts.spec.backups; ++k) run_backup(ts, load, nemesis, k, first_due, ended);
  ts.phase("backups");
  load.watch_until(ended + s_to_ns(ts.spec.cooldown_s), 0, "cool-down");
  ts.phase("cooldown");
  ts.progress("stopping the load");
  load.stop();
  ts.companion->stop();
  compute_figures(ts.t, load);
  if (!load.kinds.empty()) ts.t.workload_kinds = load.kinds;
  ts.phase("stop");
}

// The trial's series file and the peak memory of each kind of process.
void record(TrialState& ts, Load& load) {
  TrialResult& t = ts.t;
  std::vector<Window> impacts, snapshots;
  for (auto& b : t.backups) impacts.push_back(b.impact), snapshots.push_back(b.snapshot);
  write_series(ts.dir + "/series.json", t.t0_ns, load.writer_samples, load.reader_samples, load.sizes,
               {t.baseline, impacts, snapshots});
  t.series = ts.rel + "/series.json";
  ts.phase("series");
  // The driver validated in-process and wrote the series: its peak (VmHWM)
  // includes both, and the samples it held for them.
  if (auto m = memory_of(getpid())) load.mem_driver.add(*m);
  t.memory = {{"driver", load.mem_driver}, {"writers", load.mem_writers}, {"readers", load.mem_readers},
              {"backup", load.mem_backup}};
}

// Whatever happens, a trial's databases do not outlive it unless kept, and a
// backup's temporaries never do. Declared before the Load, so it runs after the
// Load has killed and reaped every process it started.
struct Cleanup {
  const TrialState& ts;
  ~Cleanup() {
    remove_stale_partials(ts.snapshot);
    if (ts.env.keep_snapshots) return;
    remove_db_files(ts.db);
    for (auto& b : ts.t.backups) remove_db_files(b.snapshot_file);
  }
};

}  // namespace

void TrialState::phase(const char* name) {
  const int64_t now = now_ns();
  t.phases_s[name] = t.phases_s.value(name, 0.0) + ns_to_s(now - phase_start);
  phase_start = now;
}

TrialSpec trial_spec(const Scenario& s, const Cell& c, double writer_rate) {
  TrialSpec spec;
  spec.cell = c;
  spec.database = database_spec(s);
  spec.load = LoadSpec{"", "", s.workload, int(c.writers), int(s.readers), writer_rate, s.reader_rate,
                       s.reader_shape, c.seed, s.busy_timeout_ms, s.busy_poll_ms, s.synchronous,
                       s.wal_autocheckpoint, ""};
  spec.warmup_s = s.warmup_s;
  spec.baseline_s = s.baseline_s;
  spec.cooldown_s = s.cooldown_s;
  spec.backup_timeout_s = s.backup_timeout_s;
  spec.backups = s.backups;
  spec.backup_interval_s = s.backup_interval_s;
  spec.integrity_check = s.integrity_check;
  spec.fault = {s.fault_at, s.fault_delay_ms, s.fault_pause_ms, s.fault_write_limit_kb};
  return spec;
}

TrialResult run_trial(const TrialSpec& spec, const TrialEnv& env) {
  const Cell& c = spec.cell;
  const StrategyInfo& info = *find_strategy(c.strategy.name);
  TrialState ts(spec, env, info, resolve_sqlite_build(c.sqlite), make_workload(spec.database.workload)->checks(),
                start_record(spec, resolve_params(info, c.strategy.params)));
  TrialResult& t = ts.t;
  t.expected_safe = info.expected_safe(c.mode, t.params);
  t.sqlite_info = ts.build.info;
  t.fault = planned_fault(spec.fault, c);  // the nemesis (driver/nemesis.h)
  // Paths inside results.json are relative to the run folder, so it can move.
  ts.rel = fmt::format("trials/{:03d}-{}-{}-r{}", c.index, c.mode, sanitize(c.strategy.label), c.repetition);

  // Prepare. Whether the strategy applies depends on the cell's SQLite too
  // (incremental needs sqlite_dbpage): another build is asked below.
  if (auto why = ts.build.self ? info.skip_reason(c.mode, true) : std::string(); !why.empty()) return skipped(ts, why);
  // The database and the destination: in the run folder, or on a fresh
  // filesystem made for this trial (databases/place.h).
  Place place = make_place(c.filesystem, env.run_dir + "/" + ts.rel, c.db_mb);
  if (!place.cannot.empty()) return skipped(ts, place.cannot);
  t.filesystem_info = place.info;
  ts.dir = env.run_dir + "/" + ts.rel;
  fs::create_directories(ts.dir);
  ts.db = place.data_dir + "/db.sqlite";
  Nemesis nemesis(spec.fault, c, spec.database.workload);  // a fault's destination filesystem, before any work
  if (!nemesis.cannot().empty()) return skipped(ts, nemesis.cannot());
  ts.snapshot = nemesis.destination(place.dest_dir + "/snapshot.db");
  ts.dest_dir = fs::path(ts.snapshot).parent_path().string();
  // Where the files are decides too (btrfs-snapshot needs btrfs, ...): before
  // any work is spent on the trial.
  if (auto why = skip_reason_in(ts.build, info, c.mode, ts.db, ts.snapshot); !why.empty()) return skipped(ts, why);
  Cleanup cleanup{ts};
  prepare_database(ts, place);
  ts.phase("prepare");
  // A continuous strategy's replicator: running and ready before any worker
  // starts, for the whole load; stopped before the Cleanup runs.
  Companion companion(info, t.params, ts.db, ts.dest_dir + "/replica", ts.dir + "/companion.log",
                      30 + double(t.db_bytes) / 50e6);
  ts.companion = &companion;

  std::unique_ptr<Load> load = start_load(ts);
  backups_and_stop(ts, *load, nemesis);
  judge_snapshots(ts, *load, nemesis);
  nemesis.after_trial(t, *load, ts.db, ts.dir);
  companion.record(t, load->writer_samples);
  if (!env.keep_snapshots) remove_db_files(ts.snapshot);
  if (auto m = memory_of(getpid())) load->mem_driver.add(*m);
  ts.phase("validate");
  record(ts, *load);
  return t;
}

TrialResult harness_failure(const TrialSpec& spec, const std::string& why) {
  const Cell& c = spec.cell;
  TrialResult t = start_record(spec, c.strategy.params);
  t.harness_error = why;
  BackupRun& b = t.backups.emplace_back();
  b.backup.strategy = c.strategy.name;
  b.backup.params = c.strategy.params;
  b.backup.mode = c.mode;
  b.backup.status = BackupStatus::kFailed;
  b.backup.failure = FailureKind::kInternal;
  b.backup.error = "harness error: " + why;
  std::vector<std::string> checks;
  try {
    if (auto w = make_workload(spec.database.workload)) checks = w->checks();
  } catch (const std::exception&) {
  }
  b.verdict = no_snapshot(VerdictStatus::kFailed, "harness error: " + why, checks);
  t.load.steady = false;
  t.load.reason = "the trial failed in the harness";
  t.errors.push_back(why);
  if (c.fault != "none") {
    t.fault.emplace();
    t.fault->kind = c.fault;
    t.fault->detail = "the trial failed in the harness";
  }
  return t;
}

nlohmann::json holders_json(const std::string& db) {
  nlohmann::json out = nlohmann::json::array();
  for (auto& h : find_holders(db))
    out.push_back({{"pid", h.pid}, {"command", h.command}, {"file", h.file}, {"access", h.access}});
  return out;
}

}  // namespace bb
