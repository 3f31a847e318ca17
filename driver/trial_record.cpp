// Turning a trial's raw history into its results record.
#include "driver/trial_record.h"

#include <fmt/format.h>

#include <fstream>

#include "core/clock.h"
#include "core/holders.h"

namespace bb {

nlohmann::json holders_json(const std::string& db) {
  nlohmann::json out = nlohmann::json::array();
  for (auto& h : find_holders(db))
    out.push_back({{"pid", h.pid}, {"command", h.command}, {"file", h.file}, {"access", h.access}});
  return out;
}

void TrialRecord::read_outcome(const std::string& path, bool timed_out, int exit_code, const std::string& log_line,
                               double limit_s) {
  std::ifstream in(path);
  if (!timed_out && exit_code == 0 && in) {
    auto j = nlohmann::json::parse(in, nullptr, false);
    if (!j.is_discarded()) {
      try {
        outcome = j.get<BackupOutcome>();
        return;
      } catch (const nlohmann::json::exception&) {
      }
    }
  }
  outcome.duration_s = ns_to_s(backup.end - backup.begin);
  if (timed_out) {
    outcome.status = BackupStatus::kTimeout;
    outcome.failure = FailureKind::kLocked;
    outcome.error = fmt::format("no snapshot within the {} s time limit", limit_s);
  } else {
    outcome.status = BackupStatus::kFailed;
    outcome.failure = FailureKind::kInternal;
    outcome.error = log_line.empty() ? fmt::format("backup process exited with code {}", exit_code) : log_line;
  }
}

FreshnessBounds TrialRecord::freshness_bounds() const {
  int64_t lo = 0, hi = 0;
  for (auto& s : writer_samples) {
    if (s.end < backup.begin) lo = std::max(lo, s.seq);
    if (s.start < backup.end) hi = std::max(hi, s.seq);
  }
  return {lo, hi};
}

static nlohmann::json window_json(const WindowStats& w, bool writers) {
  nlohmann::json j{{writers ? "commits" : "queries", w.ops},
                   {writers ? "commits_per_s" : "queries_per_s", w.ops_per_s},
                   {"p50_ms", w.p50_ms},
                   {"p90_ms", w.p90_ms},
                   {"p99_ms", w.p99_ms},
                   {"p999_ms", w.p999_ms},
                   {"max_ms", w.max_ms},
                   {"busy_errors", w.busy_errors}};
  return j;
}

void TrialRecord::write_series(const std::string& path) const {
  // Times in ms since t0, on the same clock as the backup window and phases.
  auto ms = [&](int64_t t) { return std::round(double(t - t0_ns) / 1e3) / 1e3; };
  nlohmann::json commits = nlohmann::json::array();
  for (auto& s : writer_samples)
    commits.push_back({ms(s.end), std::round(double(s.end - s.intended) / 1e3) / 1e3,
                       std::round(double(s.end - s.start) / 1e3) / 1e3, s.worker});
  nlohmann::json sizes_j = nlohmann::json::array();
  for (size_t i = 0; i < sizes.size(); i += 4) sizes_j.push_back({ms(sizes[i].t), sizes[i].wal, sizes[i].db});
  nlohmann::json j{{"columns", {{"commits", {"t_ms", "response_ms", "service_ms", "worker"}},
                                {"sizes", {"t_ms", "wal_bytes", "db_bytes"}}}},
                   {"events", {{"baseline_start_ms", ms(baseline.begin)},
                               {"backup_start_ms", ms(backup.begin)},
                               {"backup_end_ms", ms(backup.end)}}},
                   {"commits", commits},
                   {"sizes", sizes_j}};
  std::ofstream(path) << j.dump();
}

nlohmann::json TrialRecord::to_json() const {
  Window base{baseline.begin, backup.begin};
  auto wb = window_stats(writer_samples, base, false);
  auto wd = window_stats(writer_samples, backup, true);
  auto wd_service = window_stats(writer_samples, backup, true, Latency::kService);
  auto rb = window_stats(reader_samples, base, false);
  auto rd = window_stats(reader_samples, backup, true);
  // The WAL may already be large when the backup starts (a reader that is always
  // present keeps checkpoints from resetting it), so growth during the backup is
  // reported beside the peak.
  int64_t wal_peak = 0, wal_at_start = -1, db_end = db_bytes;
  for (auto& s : sizes) {
    if (s.t <= backup.begin) wal_at_start = s.wal;
    if (s.t >= backup.begin && s.t <= backup.end) wal_peak = std::max(wal_peak, s.wal);
    db_end = s.db;
  }
  if (wal_at_start < 0) wal_at_start = 0;
  int64_t last_seq = 0;
  for (auto& s : writer_samples) last_seq = std::max(last_seq, s.seq);
  auto rel = [&](int64_t t) { return t0_ns ? ns_to_s(t - t0_ns) : 0.0; };
  nlohmann::json backup_j = outcome;
  backup_j["start_s"] = rel(backup.begin);
  backup_j["end_s"] = rel(backup.end);
  return {{"mode", cell.mode},
          {"strategy", cell.strategy.name},
          {"label", cell.strategy.label},
          {"params", params},
          {"repetition", cell.repetition},
          {"seed", cell.seed},
          {"cell", cell.index},
          {"db_mb", cell.db_mb},
          {"db_bytes", db_bytes},
          {"db_bytes_end", db_end},
          {"writer_count", cell.writers},
          {"reader_count", readers},
          {"rate", rate},
          {"expected_safe", expected_safe},
          {"backup", backup_j},
          {"writers",
           {{"baseline", window_json(wb, true)},
            {"during", window_json(wd, true)},
            {"during_service", window_json(wd_service, true)},
            {"max_stall_ms", ns_to_ms(max_stall_ns(writer_samples, backup))},
            {"total_commits", int64_t(writer_samples.size())},
            {"last_seq", last_seq},
            {"behind_schedule", behind},
            {"max_lag_ms", ns_to_ms(max_lag_ns)}}},
          {"readers", {{"baseline", window_json(rb, false)}, {"during", window_json(rd, false)}}},
          {"wal_peak_bytes", wal_peak},
          {"wal_at_backup_start_bytes", wal_at_start},
          {"wal_growth_bytes", std::max<int64_t>(0, wal_peak - wal_at_start)},
          {"holders", holders},
          {"verdict", bb::to_json(verdict)},
          {"series", series.empty() ? nlohmann::json(nullptr) : nlohmann::json(series)},
          {"errors", errors}};
}

}  // namespace bb
