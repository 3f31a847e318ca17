// Reading a trial record of results.json back into the results model: the
// inverse of to_json(TrialResult) (results/trial_result.cpp).
#include <optional>

#include "core/clock.h"
#include "core/json_optional.h"
#include "results/trial_result.h"

namespace bb {
namespace {

using json = nlohmann::json;

// Times in results.json are seconds after the start barrier (0: never); the
// model keeps CLOCK_MONOTONIC nanoseconds. Read back, the barrier is at kT0.
constexpr int64_t kT0 = 1;
int64_t at(const json& seconds) {
  const double s = seconds.get<double>();
  return s == 0 ? 0 : kT0 + s_to_ns(s);
}
Window window(const json& w) { return {at(w.at("start_s")), at(w.at("end_s"))}; }

Impact impact_from(const json& w) {
  Impact im;
  im.max_stall_ms = w.at("max_stall_ms").get<double>();
  for (auto& g : w.at("writer_gaps"))
    im.writer_gaps.push_back({g.at("worker").get<int>(), g.at("longest_gap_ms").get<double>(),
                              g.at("floor_ms").get<double>()});
  im.max_writer_gap_ms = w.at("max_writer_gap_ms").get<double>();
  im.max_writer_stall_ms = w.at("max_writer_stall_ms").get<double>();
  im.delay_threshold_ms = w.at("delay_threshold_ms").get<std::optional<double>>();
  im.delayed_commits = w.at("delayed_commits").get<int64_t>();
  im.delayed_extra_ms = w.at("delayed_extra_ms").get<double>();
  im.recovery_ms = w.at("recovery_ms").get<std::optional<double>>();
  return im;
}

BackupRun backup_from(const json& b) {
  BackupRun r;
  r.index = b.at("index").get<int>();
  r.backup = b.at("backup").get<BackupOutcome>();
  r.impact = window(b.at("windows").at("impact"));
  r.snapshot = window(b.at("windows").at("snapshot"));
  r.wal_at_start = b.at("wal_at_backup_start_bytes").get<int64_t>();
  r.wal_peak = b.at("wal_peak_bytes").get<int64_t>();
  r.writers_during = window_stats_from_json(b.at("writers").at("during"), true);
  r.readers_during = window_stats_from_json(b.at("readers").at("during"), false);
  r.writer_impact = impact_from(b.at("writers"));
  r.verdict = verdict_from_json(b.at("verdict"));
  return r;
}

LoadHealth load_from(const json& l) {
  LoadHealth h;
  h.steady = l.at("steady").get<bool>();
  h.reason = l.at("reason").get<std::string>();
  for (auto& w : l.at("writers"))
    h.writers.push_back({w.at("worker").get<int>(), w.at("scheduled").get<int64_t>(),
                         w.at("completed").get<int64_t>(), w.at("longest_gap_ms").get<double>(),
                         w.at("lag_ms").get<double>(), w.at("steady").get<bool>(), w.at("reason").get<std::string>()});
  return h;
}

std::optional<FaultRecord> fault_from(const json& f) {
  if (f.is_null()) return std::nullopt;
  FaultRecord r;
  r.kind = f.at("kind").get<std::string>();
  r.at = f.at("at").get<std::string>();
  r.target = f.at("target").get<std::string>();
  r.injected = f.at("injected").get<bool>();
  r.injected_ns = f.at("injected_s").is_null() ? 0 : at(f["injected_s"]);
  r.during_backup = f.at("during_backup").get<std::optional<bool>>();
  r.mid_transaction = f.at("mid_transaction").get<std::optional<bool>>();
  r.detail = f.at("detail").get<std::string>();
  r.dest = f.at("dest");
  r.partials_removed = f.at("partials_removed").get<int64_t>();
  return r;
}

std::optional<FaultCheck> check_from(const json& c) {
  if (c.is_null()) return std::nullopt;
  FaultCheck r;
  r.ok = c.at("ok").get<bool>();
  r.detail = c.at("detail").get<std::string>();
  r.status = c.value("status", "");
  r.facts = c;
  for (auto* k : {"ok", "detail", "status"}) r.facts.erase(k);
  return r;
}

Cell cell_from(const json& j) {
  Cell c;
  c.index = j.at("cell").get<int>();
  c.mode = j.at("mode").get<std::string>();
  c.strategy = {j.at("strategy").get<std::string>(), j.at("label").get<std::string>(), j.at("params").get<Params>()};
  c.db_mb = j.at("db_mb").get<int64_t>();
  c.writers = j.at("writer_count").get<int64_t>();
  c.filesystem = j.at("filesystem").get<std::string>();
  c.sqlite = j.at("sqlite").get<std::string>();
  c.repetition = j.at("repetition").get<int>();
  c.seed = j.at("seed").get<uint64_t>();
  c.fault = j.at("axes").at("fault").get<std::string>();
  return c;
}

}  // namespace

void from_json(const json& j, TrialResult& t) {
  t = TrialResult{};
  t.cell = cell_from(j);
  t.params = t.cell.strategy.params;
  t.expected_safe = j.at("expected_safe").get<bool>();
  t.readers = j.at("reader_count").get<int64_t>();
  t.rate = j.at("rate").get<double>();
  t.reader_rate = j.at("reader_rate").get<double>();
  t.reader_shape = j.at("reader_shape").get<std::string>();
  t.harness_error = j.at("harness_error").get<std::optional<std::string>>();
  t.db_bytes = j.at("db_bytes").get<int64_t>();
  t.db_bytes_end = j.at("db_bytes_end").get<int64_t>();
  t.database = j.at("database");
  t.filesystem_info = j.at("filesystem_info");
  t.sqlite_info = j.at("sqlite_build");
  t.t0_ns = kT0;
  t.baseline = window(j.at("windows").at("baseline"));
  t.time_limit_s = j.at("backup").at("time_limit_s").get<double>();
  t.load = load_from(j.at("load"));
  const json& w = j.at("writers");
  t.writers_baseline = window_stats_from_json(w.at("baseline"), true);
  t.readers_baseline = window_stats_from_json(j.at("readers").at("baseline"), false);
  for (auto& b : j.at("backups")) t.backups.push_back(backup_from(b));
  t.total_commits = w.at("total_commits").get<int64_t>();
  t.last_seq = w.at("last_seq").get<int64_t>();
  t.behind_schedule = w.at("behind_schedule").get<int64_t>();
  t.max_lag_ms = w.at("max_lag_ms").get<double>();
  t.holders = j.at("holders");
  t.workload_kinds = j.at("workload_kinds");
  t.memory = j.at("memory");
  t.phases_s = j.at("phases_s");
  t.series = j.at("series").is_string() ? j["series"].get<std::string>() : "";
  t.errors = j.at("errors").get<std::vector<std::string>>();
  t.fault = fault_from(j.at("fault"));
  t.outcome_check = check_from(j.at("outcome_check"));
  t.source_check = check_from(j.at("source_check"));
  // Files older than continuous strategies lack both (null: none ran).
  t.continuous = j.value("continuous", json());
  t.wal_over_trial = j.value("wal_over_trial", json());
}

}  // namespace bb
