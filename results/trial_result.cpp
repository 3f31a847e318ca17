// Serialising the results model: the one place a trial record's JSON is written.
#include "results/trial_result.h"

#include "core/clock.h"
#include "core/json_optional.h"
#include "results/schema.h"
#include "workloads/workload.h"

namespace bb {

nlohmann::json percentiles_json(const Percentiles& p) {
  return {{"n", p.n},         {"p50_ms", p.p50_ms},   {"p90_ms", p.p90_ms},
          {"p99_ms", p.p99_ms}, {"p999_ms", p.p999_ms}, {"max_ms", p.max_ms}};
}

Percentiles percentiles_from_json(const nlohmann::json& j) {
  auto opt = [&](const char* k) { return j.at(k).get<std::optional<double>>(); };
  return {j.at("n").get<int64_t>(), opt("p50_ms"), opt("p90_ms"), opt("p99_ms"), opt("p999_ms"), opt("max_ms")};
}

WindowStats window_stats_from_json(const nlohmann::json& j, bool writers) {
  WindowStats s;
  s.response = percentiles_from_json(j);
  s.ops = j.at(writers ? "commits" : "queries").get<int64_t>();
  s.ops_per_s = j.at(writers ? "commits_per_s" : "queries_per_s").get<double>();
  s.seconds = j.at("seconds").get<double>();
  s.busy_errors = j.at("busy_errors").get<int64_t>();
  s.service = percentiles_from_json(j.at("service"));
  return s;
}

void to_json(nlohmann::json& j, const WindowFigures& w) {
  const WindowStats& s = w.stats;
  j = percentiles_json(s.response);
  j[w.writers ? "commits" : "queries"] = s.ops;
  j[w.writers ? "commits_per_s" : "queries_per_s"] = s.ops_per_s;
  j["seconds"] = s.seconds;
  j["busy_errors"] = s.busy_errors;
  j["service"] = percentiles_json(s.service);
}

namespace {

// One backup's record: what results.json gives per backup, and at the top level
// for the first.
nlohmann::json backup_json(const TrialResult& t, const BackupRun& b) {
  auto rel = [&](int64_t ns) { return t.t0_ns && ns ? ns_to_s(ns - t.t0_ns) : 0.0; };
  auto window = [&](const Window& w) { return nlohmann::json{{"start_s", rel(w.begin)}, {"end_s", rel(w.end)}}; };
  nlohmann::json backup = b.backup;
  backup["start_s"] = rel(b.impact.begin);
  backup["end_s"] = rel(b.impact.end);
  backup["time_limit_s"] = t.time_limit_s;
  nlohmann::json gaps = nlohmann::json::array();
  for (auto& g : b.writer_impact.writer_gaps)
    gaps.push_back({{"worker", g.worker}, {"longest_gap_ms", g.longest_gap_ms}, {"floor_ms", g.floor_ms}});
  const Impact& im = b.writer_impact;
  return {{"index", b.index},
          {"backup", backup},
          {"windows", {{"impact", window(b.impact)}, {"snapshot", window(b.snapshot)}}},
          {"writers",
           {{"during", WindowFigures{true, b.writers_during}},
            {"max_stall_ms", im.max_stall_ms},
            {"writer_gaps", gaps},
            {"max_writer_gap_ms", im.max_writer_gap_ms},
            {"max_writer_stall_ms", im.max_writer_stall_ms},
            {"delay_threshold_ms", im.delay_threshold_ms},
            {"delayed_commits", im.delayed_commits},
            {"delayed_extra_ms", im.delayed_extra_ms},
            {"recovery_ms", im.recovery_ms}}},
          {"readers", {{"during", WindowFigures{false, b.readers_during}}}},
          {"wal_peak_bytes", b.wal_peak},
          {"wal_at_backup_start_bytes", b.wal_at_start},
          {"wal_growth_bytes", std::max<int64_t>(0, b.wal_peak - b.wal_at_start)},
          {"verdict", to_json(b.verdict)}};
}

nlohmann::json fault_json(const TrialResult& t) {
  if (!t.fault) return nullptr;
  const FaultRecord& f = *t.fault;
  auto opt = [](const std::optional<bool>& b) { return b ? nlohmann::json(*b) : nlohmann::json(nullptr); };
  return {{"kind", f.kind},
          {"at", f.at},
          {"target", f.target},
          {"injected", f.injected},
          {"injected_s", f.injected_ns && t.t0_ns ? nlohmann::json(ns_to_s(f.injected_ns - t.t0_ns)) : nullptr},
          {"during_backup", opt(f.during_backup)},
          {"mid_transaction", opt(f.mid_transaction)},
          {"detail", f.detail},
          {"dest", f.dest},
          {"partials_removed", f.partials_removed}};
}

nlohmann::json check_json(const std::optional<FaultCheck>& c) {
  if (!c) return nullptr;
  nlohmann::json j = c->facts;
  j["ok"] = c->ok;
  j["detail"] = c->detail;
  if (!c->status.empty()) j["status"] = c->status;
  return j;
}

}  // namespace

void to_json(nlohmann::json& j, const TrialResult& t) {
  auto rel = [&](int64_t ns) { return t.t0_ns && ns ? ns_to_s(ns - t.t0_ns) : 0.0; };
  nlohmann::json health{{"steady", t.load.steady}, {"reason", t.load.reason}, {"writers", nlohmann::json::array()}};
  for (auto& w : t.load.writers)
    health["writers"].push_back({{"worker", w.worker},
                                 {"scheduled", w.scheduled},
                                 {"completed", w.completed},
                                 {"longest_gap_ms", w.longest_gap_ms},
                                 {"lag_ms", w.lag_ms},
                                 {"steady", w.steady},
                                 {"reason", w.reason}});
  nlohmann::json backups = nlohmann::json::array();
  for (auto& b : t.backups) backups.push_back(backup_json(t, b));
  const nlohmann::json& first = backups.at(0);
  j = {{"mode", t.cell.mode},
       {"strategy", t.cell.strategy.name},
       {"label", t.cell.strategy.label},
       {"params", t.params},
       {"repetition", t.cell.repetition},
       {"seed", t.cell.seed},
       {"cell", t.cell.index},
       {"db_mb", t.cell.db_mb},
       {"db_bytes", t.db_bytes},
       {"db_bytes_end", t.db_bytes_end},
       {"database", t.database},
       {"writer_count", t.cell.writers},
       {"filesystem", t.cell.filesystem},
       {"filesystem_info", t.filesystem_info},
       {"sqlite", t.cell.sqlite},
       {"sqlite_build", t.sqlite_info},
       {"reader_count", t.readers},
       {"rate", t.rate},
       {"reader_rate", t.reader_rate},
       {"reader_shape", t.reader_shape},
       {"expected_safe", t.expected_safe},
       {"harness_error", t.harness_error},
       {"backup", first["backup"]},
       {"windows",
        {{"baseline", {{"start_s", rel(t.baseline.begin)}, {"end_s", rel(t.baseline.end)}}},
         {"impact", first["windows"]["impact"]},
         {"snapshot", first["windows"]["snapshot"]}}},
       {"load", health},
       {"writers", first["writers"]},
       {"readers", {{"baseline", WindowFigures{false, t.readers_baseline}}, {"during", first["readers"]["during"]}}},
       {"wal_peak_bytes", first["wal_peak_bytes"]},
       {"wal_at_backup_start_bytes", first["wal_at_backup_start_bytes"]},
       {"wal_growth_bytes", first["wal_growth_bytes"]},
       {"holders", t.holders},
       {"workload_kinds", t.workload_kinds},
       {"memory", t.memory},
       {"phases_s", t.phases_s},
       {"verdict", first["verdict"]},
       {"backups", backups},
       {"series", t.series.empty() ? nlohmann::json(nullptr) : nlohmann::json(t.series)},
       {"errors", t.errors},
       {"fault", fault_json(t)},
       {"outcome_check", check_json(t.outcome_check)},
       {"source_check", check_json(t.source_check)},
       {"continuous", t.continuous},
       {"wal_over_trial", t.wal_over_trial}};
  j["row"] = row_key(t.cell);
  j["impact_counts"] = t.impact_counts();
  j["axes"] = cell_axes(t.cell);

  auto& w = j["writers"];
  w["baseline"] = WindowFigures{true, t.writers_baseline};
  w["total_commits"] = t.total_commits;
  w["last_seq"] = t.last_seq;
  w["behind_schedule"] = t.behind_schedule;
  w["max_lag_ms"] = t.max_lag_ms;
}

bool trial_is_finding(const nlohmann::json& t) {
  // A fault's checks hold for every strategy: nothing left at the destination by
  // a failed backup, and the source intact.
  for (auto* k : {"outcome_check", "source_check"})
    if (t.contains(k) && t[k].is_object() && !t[k].value("ok", true)) return true;
  if (!t.value("expected_safe", false)) return false;
  for (auto& b : t["backups"])
    if (wrong_snapshot(b["verdict"]["status"].get<VerdictStatus>())) return true;
  return false;
}

bool TrialResult::impact_counts() const {
  return !harness_error && first().backup.status != BackupStatus::kSkipped && !fault && load.steady;
}

bool impact_counts(const nlohmann::json& t) { return t.at("impact_counts").get<bool>(); }

}  // namespace bb
