// Judging a trial once its load has stopped: its figures from the load's
// history, and each backup's snapshot validated against its freshness bounds.
#include <fmt/format.h>

#include "core/files.h"
#include "driver/companion.h"
#include "databases/time_limit.h"
#include "results/continuous.h"
#include "driver/trial_steps.h"
#include "validation/validator.h"

namespace bb {
namespace {

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
  auto j = open == std::string::npos ? nlohmann::json()
                                     : nlohmann::json::parse(c.output.substr(open, close - open + 1), nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("status"))
    throw HarnessError(fmt::format("{} validate gave no verdict (exit {}): {}", exe, c.status.code,
                                   c.output.substr(0, 500)));
  return verdict_from_json(j);
}

// Multi-GB snapshots get quick_check (no index cross-checks) unless asked otherwise.
bool quick_check(const TrialSpec& spec) {
  return spec.integrity_check == "quick" ||
         (spec.integrity_check == "auto" && spec.cell.db_mb > kQuickCheckAboveMb);
}

}  // namespace

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
  t.wal_over_trial = wal_over_trial(load.sizes, t.cell.mode);
}

void judge_snapshots(TrialState& ts, Load& load, Nemesis& nemesis) {
  const TrialSpec& spec = ts.spec;
  const bool quick = quick_check(spec);
  const std::string& workload = spec.database.workload;
  for (auto& b : ts.t.backups) {
    ts.progress(spec.backups > 1 ? fmt::format("validating {}/{}", b.index + 1, spec.backups) : "validating");
    FreshnessBounds bounds = nemesis.widen(freshness_bounds(load.writer_samples, b.snapshot), load);
    if (ts.companion) bounds = ts.companion->judged(bounds);  // a replica trails by its recovery point
    if (b.backup.completed()) {
      // The cell's own SQLite judges its snapshot; a private copy for recovery,
      // if one is needed, goes beside the trial.
      b.verdict = ts.build.self ? validate_snapshot(b.snapshot_file, workload, bounds, ValidateOptions(quick, ts.dir))
                                : validate_with(ts.build.exe, b.snapshot_file, workload, bounds, quick);
    } else if (b.backup.status == BackupStatus::kSkipped) {
      b.verdict = no_snapshot(VerdictStatus::kSkipped, b.backup.error, ts.checks);
    } else {
      b.verdict = no_snapshot(VerdictStatus::kFailed, b.backup.error, ts.checks);
      b.verdict.bounds = bounds;
    }
    if (spec.backups > 1 && !ts.env.keep_snapshots && b.snapshot_file != ts.snapshot)
      remove_db_files(b.snapshot_file);
  }
}

}  // namespace bb
