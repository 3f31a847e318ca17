// The trial runner: the driver's side of one experiment cell.
#include "driver/trial.h"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>

#include "core/clock.h"
#include "core/files.h"
#include "core/holders.h"
#include "driver/templates.h"
#include "driver/series.h"
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
BackupOutcome read_outcome(const std::string& path, const TrialResult& t, bool timed_out, const ExitStatus& ex,
                           const std::string& log_line) {
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
  o.duration_s = ns_to_s(t.impact.end - t.impact.begin);
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

// Every figure of the trial, from the load's history (driver/metrics.h).
void compute_figures(TrialResult& t, const Load& load, const WalWatch& wal) {
  const Window base{t.baseline.begin, t.impact.begin};
  t.baseline = base;
  const auto writers = by_worker(load.writer_samples, int(t.cell.writers), 0);
  const auto schedules = load.writer_schedules();
  t.load = load_health(writers, schedules, base);
  t.writers_baseline = window_stats(load.writer_samples, base);
  t.writers_during = window_stats(load.writer_samples, t.impact);
  t.readers_baseline = window_stats(load.reader_samples, base);
  t.readers_during = window_stats(load.reader_samples, t.impact);
  int64_t history_end = 0;
  for (auto& s : load.writer_samples) history_end = std::max(history_end, s.end);
  t.writer_impact = impact_of(writers, schedules, t.impact, t.writers_baseline.response, history_end);
  t.total_commits = int64_t(load.writer_samples.size());
  for (auto& s : load.writer_samples) t.last_seq = std::max(t.last_seq, s.seq);
  t.behind_schedule = load.behind;
  t.max_lag_ms = ns_to_ms(load.max_lag_ns);
  t.wal_at_start = std::max<int64_t>(0, wal.at_start);
  t.wal_peak = wal.peak;
  t.db_bytes_end = load.sizes.empty() ? t.db_bytes : load.sizes.back().db;
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
  t.time_limit_s = s.backup_timeout_s;
  t.backup.strategy = info->name;
  t.backup.params = t.params;
  t.backup.mode = c.mode;
  // Paths inside results.json are relative to the run folder, so it can move.
  const std::string rel = fmt::format("trials/{:03d}-{}-{}-r{}", c.index, c.mode, sanitize(c.strategy.label),
                                      c.repetition);
  const std::string dir = env.run_dir + "/" + rel;
  const std::string db = dir + "/db.sqlite", snapshot = dir + "/snapshot.db";
  auto skip = [&](const std::string& why) {
    t.backup.status = BackupStatus::kSkipped;
    t.backup.error = why;
    t.verdict = no_snapshot("SKIPPED", why);
    return t;
  };
  if (auto why = info->skip_reason(c.mode, true); !why.empty()) return skip(why);
  fs::create_directories(dir);
  // Where the files are decides too (btrfs-snapshot needs btrfs, ...): before
  // any work is spent on the trial.
  if (auto why = skip_reason_for(*info, c.mode, true, db, snapshot); !why.empty()) {
    fs::remove_all(dir);
    return skip(why);
  }
  // Whatever happens below, a trial's databases do not outlive it unless kept.
  struct Cleanup {
    const std::string &db, &snapshot;
    bool keep;
    ~Cleanup() {
      if (!keep) remove_db_files(db), remove_db_files(snapshot);
    }
  } cleanup{db, snapshot, env.keep_snapshots};
  if (env.progress) env.progress("preparing the database");
  const Instantiated made = instantiate_database(db, s, c.mode, c.db_mb);
  t.database = {{"from_cache", made.from_cache}, {"populate_s", made.populate_s}, {"copy_s", made.copy_s},
                {"method", made.method}};
  t.db_bytes = file_size_or_zero(db);

  LoadSpec spec{db, s.workload, int(c.writers), int(s.readers), env.writer_rate, s.reader_rate, s.reader_shape,
                c.seed, s.busy_timeout_ms, s.busy_poll_ms, s.synchronous, s.wal_autocheckpoint, dir};
  Load load(spec);
  load.progress = env.progress;
  t.t0_ns = load.t0();
  load.watch_until(t.t0_ns + s_to_ns(s.warmup_s), 0, "warm-up");
  t.baseline.begin = now_ns();
  load.watch_until(t.baseline.begin + s_to_ns(s.baseline_s), 0, "baseline");

  // The backup, in its own process like a real external backup tool.
  t.holders = holders_json(db);
  std::vector<std::string> args{"backup", "--strategy", info->name, "--shm", load.segment(), "--outcome",
                                dir + "/outcome.json", "--in-trial"};
  for (auto& [k, v] : t.params) args.insert(args.end(), {"--opt", k + "=" + v});
  args.insert(args.end(), {db, snapshot});
  const int64_t spawned = now_ns();
  pid_t bpid = spawn(self_exe(), args, {.stdout_path = dir + "/backup.log", .stderr_too = true});
  load.adopt(bpid);
  WalWatch wal;
  auto ex = load.watch_until(spawned + s_to_ns(s.backup_timeout_s), bpid, info->name, &wal);
  int64_t ended = now_ns();
  const bool timed_out = !ex;
  if (timed_out) {
    ex = kill_and_wait(bpid);
    ended = now_ns();
    remove_stale_partials(snapshot);  // a killed backup leaves its temporary, never the destination
  }
  load.forget(bpid);
  const BackupProgress& bp = load.state().backup;
  auto mark = [](int64_t v, int64_t fallback) { return v ? v : fallback; };
  t.impact = {mark(bp.asked_ns.load(), spawned), mark(bp.released_ns.load(), ended)};
  t.snapshot = {mark(bp.read_begin_ns.load(), t.impact.begin), mark(bp.read_end_ns.load(), t.impact.end)};
  if (timed_out) t.impact.end = t.snapshot.end = ended;
  t.snapshot.end = std::max(t.snapshot.end, t.snapshot.begin);
  t.backup = read_outcome(dir + "/outcome.json", t, timed_out, *ex, last_line_of(dir + "/backup.log"));
  t.backup.steps = std::max(t.backup.steps, bp.steps.load());
  t.backup.restarts = std::max(t.backup.restarts, bp.restarts.load());
  t.backup.busy_retries = std::max(t.backup.busy_retries, bp.busy_retries.load());

  load.watch_until(ended + s_to_ns(s.cooldown_s), 0, "cool-down", &wal);
  load.stop();
  compute_figures(t, load, wal);

  if (env.progress) env.progress("validating");
  const FreshnessBounds bounds = freshness_bounds(load.writer_samples, t.snapshot);
  if (t.backup.completed()) {
    auto w = find_workload(s.workload)->make();
    t.verdict = validate_snapshot(snapshot, w.get(), bounds);
  } else if (t.backup.status == BackupStatus::kSkipped) {
    t.verdict = no_snapshot("SKIPPED", t.backup.error);
  } else {
    t.verdict = no_snapshot("FAILED", t.backup.error);
    t.verdict.bounds = bounds;
  }
  write_series(dir + "/series.json", t.t0_ns, load.writer_samples, load.reader_samples, load.sizes,
               {t.baseline, t.impact, t.snapshot});
  t.series = rel + "/series.json";
  return t;
}

}  // namespace bb
