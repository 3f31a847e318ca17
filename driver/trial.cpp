// The trial runner: the driver's side of one experiment cell.
#include "driver/trial.h"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>

#include "core/clock.h"
#include "core/files.h"
#include "core/holders.h"
#include "driver/nemesis.h"
#include "driver/templates.h"
#include "driver/time_limit.h"
#include "driver/builds.h"
#include "driver/place.h"
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

std::string last_line_of(const std::string& path) {
  std::ifstream in(path);
  std::string line, last;
  while (std::getline(in, line))
    if (!line.empty()) last = line;
  return last;
}

// The outcome the backup process wrote, or what its ending says when it wrote none.
BackupOutcome read_outcome(const std::string& path, const TrialResult& t, const BackupRun& b, bool timed_out,
                           const ExitStatus& ex, const std::string& log_line) {
  if (!timed_out && ex.ok()) {
    std::ifstream in(path);
    auto j = nlohmann::json::parse(in, nullptr, false);
    if (!j.is_discarded()) {
      try {
        return j.get<BackupOutcome>();
      } catch (const nlohmann::json::exception&) {
      }
    }
  }
  BackupOutcome o;
  o.strategy = t.cell.strategy.name;
  o.params = t.params;
  o.mode = t.cell.mode;
  o.duration_s = ns_to_s(b.impact.end - b.impact.begin);
  if (timed_out) {
    o.status = BackupStatus::kTimeout;
    o.failure = FailureKind::kLocked;
    o.error = fmt::format("no snapshot within the {:g} s time limit", t.time_limit_s);
  } else {
    o.status = BackupStatus::kFailed;
    o.failure = FailureKind::kInternal;
    o.error = log_line.empty() ? fmt::format("backup process exited with code {}", ex.code) : log_line;
  }
  return o;
}

// Freshness bounds from the recorded commits: the largest seq whose COMMIT had
// returned before the snapshot window opened, and the largest seq of any
// transaction that had begun before it closed.
FreshnessBounds freshness_bounds(const std::vector<Sample>& writers, const Window& snapshot) {
  int64_t lo = 0, hi = 0;
  for (auto& s : writers) {
    if (s.end < snapshot.begin) lo = std::max(lo, s.seq);
    if (s.start < snapshot.end) hi = std::max(hi, s.seq);
  }
  return {lo, hi};
}

// Every figure of the trial, from the load's history (results/metrics.h).
void compute_figures(TrialResult& t, const Load& load) {
  t.baseline.end = t.first().impact.begin;
  const auto writers = by_worker(load.writer_samples, int(t.cell.writers), 0);
  const auto schedules = load.writer_schedules();
  t.load = load_health(writers, schedules, t.baseline);
  t.writers_baseline = window_stats(load.writer_samples, t.baseline);
  t.readers_baseline = window_stats(load.reader_samples, t.baseline);
  int64_t history_end = 0;
  for (auto& s : load.writer_samples) history_end = std::max(history_end, s.end);
  for (auto& b : t.backups) {
    b.writers_during = window_stats(load.writer_samples, b.impact);
    b.readers_during = window_stats(load.reader_samples, b.impact);
    b.writer_impact = impact_of(writers, schedules, b.impact, t.writers_baseline.response, history_end);
  }
  t.total_commits = int64_t(load.writer_samples.size());
  for (auto& s : load.writer_samples) t.last_seq = std::max(t.last_seq, s.seq);
  t.behind_schedule = load.behind;
  t.max_lag_ms = ns_to_ms(load.max_lag_ns);
  t.db_bytes_end = load.sizes.empty() ? t.db_bytes : load.sizes.back().db;
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

// Validates with another build's binary (`validate`), reading its JSON verdict.
Verdict validate_with(const std::string& exe, const std::string& snapshot, const std::string& workload,
                      const FreshnessBounds& bounds, bool quick) {
  std::vector<std::string> args{"validate", "--workload", workload};
  if (quick) args.push_back("--quick");
  if (bounds.min) args.insert(args.end(), {"--committed-min", std::to_string(*bounds.min)});
  if (bounds.max) args.insert(args.end(), {"--committed-max", std::to_string(*bounds.max)});
  args.push_back(snapshot);
  Captured c = run_capture(exe, args, 1 << 20);
  // stdout and stderr share the pipe: the verdict is the JSON object in it.
  const auto open = c.output.find('{'), close = c.output.rfind('}');
  auto j = open == std::string::npos ? nlohmann::json() : nlohmann::json::parse(c.output.substr(open, close - open + 1),
                                                                               nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("status"))
    throw HarnessError(fmt::format("{} validate gave no verdict (exit {}): {}", exe, c.status.code,
                                   c.output.substr(0, 500)));
  return verdict_from_json(j);
}

}  // namespace

nlohmann::json holders_json(const std::string& db) {
  nlohmann::json out = nlohmann::json::array();
  for (auto& h : find_holders(db))
    out.push_back({{"pid", h.pid}, {"command", h.command}, {"file", h.file}, {"access", h.access}});
  return out;
}

TrialResult run_trial(const Scenario& s, const Cell& c, const TrialEnv& env) {
  const StrategyInfo* info = find_strategy(c.strategy.name);
  TrialResult t;
  t.cell = c;
  t.params = resolve_params(*info, c.strategy.params);
  t.expected_safe = info->expected_safe(c.mode, t.params);
  t.readers = s.readers;
  t.rate = env.writer_rate;
  t.reader_rate = s.reader_rate;
  t.reader_shape = s.reader_shape;
  t.time_limit_s = s.backup_timeout_s;  // "auto" (0) is settled once the database exists
  t.fault = planned_fault(s, c);        // the nemesis (driver/nemesis.h)
  // Paths inside results.json are relative to the run folder, so it can move.
  const std::string rel = fmt::format("trials/{:03d}-{}-{}-r{}", c.index, c.mode, sanitize(c.strategy.label),
                                      c.repetition);
  const std::string dir = env.run_dir + "/" + rel;
  const SqliteBuildRef build = resolve_sqlite_build(c.sqlite);
  t.sqlite_info = build.info;
  const std::vector<std::string> checks = make_workload(s.workload)->checks();
  auto skip = [&](const std::string& why) {
    BackupRun& b = t.backups.emplace_back();
    b.backup.strategy = info->name;
    b.backup.params = t.params;
    b.backup.mode = c.mode;
    b.backup.status = BackupStatus::kSkipped;
    b.backup.error = why;
    b.verdict = no_snapshot(VerdictStatus::kSkipped, why, checks);
    return t;
  };
  // Whether the strategy applies depends on the cell's SQLite too (incremental
  // needs sqlite_dbpage): another build is asked.
  if (auto why = build.self ? info->skip_reason(c.mode, true) : std::string(); !why.empty()) return skip(why);
  // The database and the destination: in the run folder, or on a fresh
  // filesystem made for this trial (driver/place.h).
  Place place = make_place(c.filesystem, dir, c.db_mb);
  if (!place.cannot.empty()) return skip(place.cannot);
  t.filesystem_info = place.info;
  fs::create_directories(dir);
  const std::string db = place.data_dir + "/db.sqlite";
  Nemesis nemesis(s, c);  // a fault's destination filesystem, before any work
  if (!nemesis.cannot().empty()) {
    fs::remove_all(dir);
    return skip(nemesis.cannot());
  }
  const std::string snapshot = nemesis.destination(place.dest_dir + "/snapshot.db");
  const std::string dest_dir = std::filesystem::path(snapshot).parent_path().string();
  // Where the files are decides too (btrfs-snapshot needs btrfs, ...): before
  // any work is spent on the trial.
  if (auto why = skip_reason_in(build, *info, c.mode, db, snapshot); !why.empty()) {
    fs::remove_all(dir);
    return skip(why);
  }
  // Whatever happens below, a trial's databases do not outlive it unless kept,
  // and a backup's temporaries never do. Declared before the Load, so it runs
  // after the Load has killed and reaped every process it started.
  struct Cleanup {
    const std::string& db;
    const std::string& snapshot;
    TrialResult& t;
    bool keep;
    ~Cleanup() {
      remove_stale_partials(snapshot);
      if (keep) return;
      remove_db_files(db);
      for (auto& b : t.backups) remove_db_files(b.snapshot_file);
    }
  } cleanup{db, snapshot, t, env.keep_snapshots};
  if (env.progress) env.progress("preparing the database");
  // Where a trial's time goes, phase by phase (results.json `phases_s`): the
  // harness's own cost beside the load's fixed windows.
  int64_t phase_start = now_ns();
  auto phase = [&](const char* name) {
    const int64_t now = now_ns();
    t.phases_s[name] = t.phases_s.value(name, 0.0) + ns_to_s(now - phase_start);
    phase_start = now;
  };
  const Instantiated made = instantiate_database(db, s, c.mode, c.db_mb);
  t.database = {{"from_cache", made.from_cache}, {"populate_s", made.populate_s}, {"copy_s", made.copy_s},
                {"flush_s", made.flush_s}, {"method", made.method}};
  t.db_bytes = file_size_or_zero(db);
  if (t.time_limit_s <= 0) {
    const double speed = copy_speed_mb_s(c.filesystem, db, place.dest_dir);
    t.time_limit_s = auto_time_limit_s(t.db_bytes, speed);
    t.database["copy_speed_mb_s"] = speed;
  }
  // Multi-GB snapshots get quick_check (no index cross-checks) unless asked otherwise.
  const bool quick = s.integrity_check == "quick" || (s.integrity_check == "auto" && c.db_mb > kQuickCheckAboveMb);

  LoadSpec spec{build.exe, db, s.workload, int(c.writers), int(s.readers), env.writer_rate, s.reader_rate, s.reader_shape,
                c.seed, s.busy_timeout_ms, s.busy_poll_ms, s.synchronous, s.wal_autocheckpoint, dir};
  phase("prepare");
  if (env.progress) env.progress("starting the load");
  Load load(spec);
  load.progress = env.progress;
  phase("start_load");
  t.t0_ns = load.t0();
  load.watch_until(t.t0_ns + s_to_ns(s.warmup_s), 0, "warm-up");
  phase("warmup");
  t.baseline.begin = now_ns();
  load.watch_until(t.baseline.begin + s_to_ns(s.baseline_s), 0, "baseline");
  phase("baseline");
  t.holders = holders_json(db);

  // The backups, each in its own process like a real external backup tool. With
  // several, each writes the same destination (an incremental strategy finds
  // its previous backup there) and its snapshot is set aside for validation.
  std::vector<std::string> args{"backup", "--strategy", info->name, "--shm", load.segment(), "--outcome",
                                dir + "/outcome.json", "--in-trial"};
  for (auto& [k, v] : t.params) args.insert(args.end(), {"--opt", k + "=" + v});
  args.insert(args.end(), {db, snapshot});
  const int64_t first_due = now_ns();
  int64_t ended = first_due;
  for (int k = 0; k < s.backups; ++k) {
    BackupRun& b = t.backups.emplace_back();
    b.index = k;
    const int64_t due = first_due + s_to_ns(s.backup_interval_s) * k;
    if (k > 0) load.watch_until(due, 0, fmt::format("waiting for backup {}/{}", k + 1, s.backups));
    BackupProgress& bp = load.state().backup;
    for (auto* m : {&bp.asked_ns, &bp.read_begin_ns, &bp.read_end_ns, &bp.released_ns, &bp.steps, &bp.restarts,
                    &bp.busy_retries, &bp.remaining})
      m->store(0);
    fs::remove(dir + "/outcome.json");
    const int64_t spawned = now_ns();
    pid_t bpid = spawn(build.exe, args, {.stdout_path = dir + "/backup.log", .stderr_too = true});
    load.adopt(bpid);
    nemesis.strike(load, bpid);
    WalWatch wal;
    const std::string what = fmt::format("backup {}{} (time limit {:g}s)", info->name,
                                         s.backups > 1 ? fmt::format(" {}/{}", k + 1, s.backups) : "",
                                         t.time_limit_s);
    auto ex = load.watch_until(spawned + s_to_ns(t.time_limit_s), bpid, what, &wal);
    ended = now_ns();
    const bool timed_out = !ex;
    if (timed_out) {
      ex = kill_and_wait(bpid);
      ended = now_ns();
      remove_stale_partials(snapshot);  // a killed backup leaves its temporary, never the destination
    }
    load.forget(bpid);
    auto mark = [](int64_t v, int64_t fallback) { return v ? v : fallback; };
    b.impact = {mark(bp.asked_ns.load(), spawned), mark(bp.released_ns.load(), ended)};
    b.snapshot = {mark(bp.read_begin_ns.load(), b.impact.begin), mark(bp.read_end_ns.load(), b.impact.end)};
    if (timed_out) b.impact.end = b.snapshot.end = ended;
    b.snapshot.end = std::max(b.snapshot.end, b.snapshot.begin);
    b.wal_at_start = std::max<int64_t>(0, wal.at_start);
    b.wal_peak = wal.peak;
    b.backup = read_outcome(dir + "/outcome.json", t, b, timed_out, *ex, last_line_of(dir + "/backup.log"));
    b.backup.steps = std::max(b.backup.steps, bp.steps.load());
    b.backup.restarts = std::max(b.backup.restarts, bp.restarts.load());
    b.backup.busy_retries = std::max(b.backup.busy_retries, bp.busy_retries.load());
    b.backup.extra["started_late_ms"] = ns_to_ms(std::max<int64_t>(0, spawned - due));
    b.snapshot_file = snapshot;
    nemesis.backup_ended(b, *ex);
    // A backup that a signal ended, when neither the time limit nor the
    // nemesis sent it, was killed from outside: the harness cannot judge it.
    if (ex->signal && !timed_out && !nemesis.killed_backup()) {
      remove_stale_partials(snapshot);
      throw HarnessError(fmt::format("the backup process (pid {}) {}", bpid, how_it_ended(*ex)));
    }
    if (s.backups > 1 && b.backup.completed()) {
      // Set aside (a reflink where the filesystem has them) for validation after
      // the load stops; the destination stays for the next backup.
      b.snapshot_file = fmt::format("{}/snapshot-{}.db", dest_dir, k);
      remove_db_files(b.snapshot_file);
      clone_or_copy(snapshot, b.snapshot_file);
      for (auto side : kSidecars)
        if (fs::exists(with_suffix(snapshot, side))) clone_or_copy(with_suffix(snapshot, side), with_suffix(b.snapshot_file, side));
    }
  }

  phase("backups");
  load.watch_until(ended + s_to_ns(s.cooldown_s), 0, "cool-down");
  phase("cooldown");
  if (env.progress) env.progress("stopping the load");
  load.stop();
  compute_figures(t, load);
  if (!load.kinds.empty()) t.workload_kinds = load.kinds;
  phase("stop");

  for (auto& b : t.backups) {
    if (env.progress) env.progress(s.backups > 1 ? fmt::format("validating {}/{}", b.index + 1, s.backups) : "validating");
    const FreshnessBounds bounds = nemesis.widen(freshness_bounds(load.writer_samples, b.snapshot), load);
    if (b.backup.completed()) {
      // The cell's own SQLite judges its snapshot; a private copy for recovery,
      // if one is needed, goes beside the trial.
      b.verdict = build.self ? validate_snapshot(b.snapshot_file, s.workload, bounds, ValidateOptions(quick, dir))
                             : validate_with(build.exe, b.snapshot_file, s.workload, bounds, quick);
    } else if (b.backup.status == BackupStatus::kSkipped) {
      b.verdict = no_snapshot(VerdictStatus::kSkipped, b.backup.error, checks);
    } else {
      b.verdict = no_snapshot(VerdictStatus::kFailed, b.backup.error, checks);
      b.verdict.bounds = bounds;
    }
    if (s.backups > 1 && !env.keep_snapshots && b.snapshot_file != snapshot) remove_db_files(b.snapshot_file);
  }
  nemesis.after_trial(t, load, db, dir);
  if (!env.keep_snapshots) remove_db_files(snapshot);
  if (auto m = memory_of(getpid())) load.mem_driver.add(*m);
  std::vector<Window> impacts, snapshots;
  for (auto& b : t.backups) impacts.push_back(b.impact), snapshots.push_back(b.snapshot);
  phase("validate");
  write_series(dir + "/series.json", t.t0_ns, load.writer_samples, load.reader_samples, load.sizes,
               {t.baseline, impacts, snapshots});
  t.series = rel + "/series.json";
  phase("series");
  // The driver validated in-process and wrote the series: its peak (VmHWM)
  // includes both, and the samples it held for them.
  if (auto m = memory_of(getpid())) load.mem_driver.add(*m);
  t.memory = {{"driver", load.mem_driver}, {"writers", load.mem_writers}, {"readers", load.mem_readers},
              {"backup", load.mem_backup}};
  return t;
}

TrialResult harness_failure(const Cell& c, const Scenario& s, const std::string& why) {
  TrialResult t;
  t.cell = c;
  t.params = c.strategy.params;
  t.readers = s.readers;
  t.rate = s.rate;
  t.reader_rate = s.reader_rate;
  t.reader_shape = s.reader_shape;
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
    if (auto w = make_workload(s.workload)) checks = w->checks();
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

}  // namespace bb
