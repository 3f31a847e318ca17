// Summary rows over repetitions, and their JSON.
#include "results/summary.h"

#include <fmt/format.h>

#include <algorithm>

#include "core/json_optional.h"
#include "results/continuous.h"
#include "results/metrics.h"
#include "results/series.h"
#include "results/trial_result.h"

namespace bb {

Spread spread_of(std::vector<double> v) {
  if (v.empty()) return {};
  auto [lo, hi] = std::minmax_element(v.begin(), v.end());
  return {median(v), *lo, *hi, int64_t(v.size())};
}

namespace {

std::optional<double> number_at(const nlohmann::json& t, const char* ptr) {
  auto p = nlohmann::json::json_pointer(ptr);
  if (!t.contains(p) || !t[p].is_number()) return std::nullopt;
  return t[p].get<double>();
}

// Which trials a figure is taken from.
enum class From { kCompletedBackups, kSteadyLoads, kSteadyWal };

// A figure is read from each backup's record (`backups[]`: a trial's own
// backups are samples like repetitions) or once per trial.
struct Figure {
  const char* name;
  const char* ptr;
  From from;
  bool per_backup = true;
};
const Figure kFigures[] = {
    {"backup_duration_s", "/backup/duration_s", From::kCompletedBackups},
    {"backup_read_s", "/backup/read_s", From::kCompletedBackups},
    {"backup_mb_per_s", "/backup/mb_per_s", From::kCompletedBackups},
    {"backup_restarts", "/backup/restarts", From::kCompletedBackups},
    {"max_stall_ms", "/writers/max_stall_ms", From::kSteadyLoads},
    {"max_writer_gap_ms", "/writers/max_writer_gap_ms", From::kSteadyLoads},
    {"max_writer_stall_ms", "/writers/max_writer_stall_ms", From::kSteadyLoads},
    {"delayed_commits", "/writers/delayed_commits", From::kSteadyLoads},
    {"delayed_extra_ms", "/writers/delayed_extra_ms", From::kSteadyLoads},
    {"recovery_ms", "/writers/recovery_ms", From::kSteadyLoads},
    {"during_commits_per_s", "/writers/during/commits_per_s", From::kSteadyLoads},
    {"during_busy_errors", "/writers/during/busy_errors", From::kSteadyLoads},
    {"wal_peak_bytes", "/wal_peak_bytes", From::kSteadyWal},
    {"wal_growth_bytes", "/wal_growth_bytes", From::kSteadyWal},
    {"baseline_commits_per_s", "/writers/baseline/commits_per_s", From::kSteadyLoads, false},
    {"rate", "/rate", From::kSteadyLoads, false},
};

bool harness_failed(const nlohmann::json& t) { return !t["harness_error"].is_null(); }
bool skipped(const nlohmann::json& t) { return t["backup"]["status"] == "skipped"; }

// Whether backup `b` of trial `t` gives figures of kind `f`.
bool takes(const nlohmann::json& t, const nlohmann::json& b, From f) {
  if (harness_failed(t) || skipped(t)) return false;
  switch (f) {
    case From::kCompletedBackups: return b["backup"]["status"] == "completed";
    case From::kSteadyLoads: return impact_counts(t);
    case From::kSteadyWal: return impact_counts(t) && t["mode"] == "wal";
  }
  return false;
}

using Trials = std::vector<const nlohmann::json*>;

// The row's identity, from its first trial.
SummaryRow row_of(const nlohmann::json& first, size_t trials) {
  SummaryRow r;
  r.key = first["row"].get<std::string>();
  r.mode = first["mode"].get<std::string>();
  r.label = first["label"].get<std::string>();
  r.strategy = first["strategy"].get<std::string>();
  r.db_mb = first["db_mb"].get<int64_t>();
  r.writer_count = first["writer_count"].get<int64_t>();
  r.filesystem = first.value("filesystem", "host");
  r.sqlite = first.value("sqlite", "system");
  if (first.contains("sqlite_build") && first["sqlite_build"].contains("version"))
    r.sqlite_version = first["sqlite_build"]["version"].get<std::string>();
  r.fault = first["axes"].value("fault", "none");
  r.expected_safe = first.value("expected_safe", false);
  r.trials = int64_t(trials);
  return r;
}

// Verdicts (one per snapshot), backup statuses, failures, and which trials ran.
void count(SummaryRow& r, const Trials& ts) {
  std::map<std::pair<std::string, std::string>, int64_t> failures;
  for (auto* t : ts) {
    for (auto& b : (*t)["backups"]) {
      ++r.backups;
      r.verdicts[b["verdict"]["status"].get<std::string>()]++;
      auto st = b["backup"]["status"].get<std::string>();
      r.backup_statuses[st]++;
      if (st == "failed" || st == "timeout")
        failures[{st, b["backup"]["error"].is_string() ? b["backup"]["error"].get<std::string>() : ""}]++;
    }
    if (harness_failed(*t)) ++r.harness_errors;
    else if (skipped(*t)) ++r.skipped;
    else if (!(*t)["load"]["steady"].get<bool>()) {
      ++r.unsteady;
      r.unsteady_reasons.push_back(fmt::format("r{}: {}", (*t)["repetition"].get<int>(),
                                               (*t)["load"]["reason"].get<std::string>()));
    } else ++r.steady;
  }
  for (auto& [k, n] : failures) r.failures.push_back({k.first, k.second, n});
}

void figures(SummaryRow& r, const Trials& ts) {
  for (auto& f : kFigures) {
    std::vector<double> v;
    for (auto* t : ts) {
      if (!f.per_backup) {
        if (takes(*t, (*t)["backups"][0], f.from))
          if (auto x = number_at(*t, f.ptr)) v.push_back(*x);
        continue;
      }
      for (auto& b : (*t)["backups"])
        if (takes(*t, b, f.from))
          if (auto x = number_at(b, f.ptr)) v.push_back(*x);
    }
    r.figures[f.name] = spread_of(std::move(v));
  }
}

// Pooled window percentiles over the steady repetitions.
void pooled(SummaryRow& r, const Trials& ts, const std::function<std::string(const nlohmann::json&)>& series_path) {
  WindowLatencies all;
  for (auto* t : ts) {
    if (!takes(*t, (*t)["backups"][0], From::kSteadyLoads)) continue;
    bool ok = false;
    auto l = read_window_latencies(series_path(*t), &ok);
    if (!ok) {
      ++r.series_missing;
      continue;
    }
    auto add = [](std::vector<int64_t>& to, const std::vector<int64_t>& from) {
      to.insert(to.end(), from.begin(), from.end());
    };
    add(all.writers_baseline, l.writers_baseline);
    add(all.writers_during, l.writers_during);
    add(all.readers_baseline, l.readers_baseline);
    add(all.readers_during, l.readers_during);
  }
  r.writers_baseline = percentiles_of(std::move(all.writers_baseline));
  r.writers_during = percentiles_of(std::move(all.writers_during));
  r.readers_baseline = percentiles_of(std::move(all.readers_baseline));
  r.readers_during = percentiles_of(std::move(all.readers_during));
}

nlohmann::json spread_json(const Spread& s) {
  return {{"median", s.median}, {"min", s.min}, {"max", s.max}, {"n", s.n}};
}

}  // namespace

void to_json(nlohmann::json& j, const SummaryRow& r) {
  nlohmann::json failures = nlohmann::json::array(), figures = nlohmann::json::object();
  for (auto& f : r.failures) failures.push_back({{"status", f.status}, {"error", f.error}, {"count", f.count}});
  for (auto& [k, s] : r.figures) figures[k] = spread_json(s);
  j = {{"key", r.key},
       {"name", r.name},
       {"name_parts", r.name_parts},
       {"mode", r.mode},
       {"label", r.label},
       {"strategy", r.strategy},
       {"db_mb", r.db_mb},
       {"writer_count", r.writer_count},
       {"filesystem", r.filesystem},
       {"sqlite", r.sqlite},
       {"sqlite_version", r.sqlite_version},
       {"fault", r.fault},
       {"expected_safe", r.expected_safe},
       {"trials", r.trials},
       {"backups", r.backups},
       {"harness_errors", r.harness_errors},
       {"skipped", r.skipped},
       {"unsteady", r.unsteady},
       {"steady", r.steady},
       {"unsteady_reasons", r.unsteady_reasons},
       {"verdicts", r.verdicts},
       {"backup_statuses", r.backup_statuses},
       {"failures", failures},
       {"figures", figures},
       {"writers_baseline", percentiles_json(r.writers_baseline)},
       {"writers_during", percentiles_json(r.writers_during)},
       {"readers_baseline", percentiles_json(r.readers_baseline)},
       {"readers_during", percentiles_json(r.readers_during)},
       {"series_missing", r.series_missing}};
}

void from_json(const nlohmann::json& j, SummaryRow& r) {
  r = SummaryRow{};
  j.at("key").get_to(r.key);
  j.at("name").get_to(r.name);
  r.name_parts = j.at("name_parts");
  for (auto [k, to] : {std::pair{"mode", &r.mode}, {"label", &r.label}, {"strategy", &r.strategy},
                       {"filesystem", &r.filesystem}, {"sqlite", &r.sqlite}, {"fault", &r.fault}})
    j.at(k).get_to(*to);
  r.sqlite_version = j.at("sqlite_version").get<std::optional<std::string>>();
  for (auto [k, to] : {std::pair{"db_mb", &r.db_mb}, {"writer_count", &r.writer_count}, {"trials", &r.trials},
                       {"backups", &r.backups}, {"harness_errors", &r.harness_errors}, {"skipped", &r.skipped},
                       {"unsteady", &r.unsteady}, {"steady", &r.steady}, {"series_missing", &r.series_missing}})
    j.at(k).get_to(*to);
  j.at("expected_safe").get_to(r.expected_safe);
  j.at("unsteady_reasons").get_to(r.unsteady_reasons);
  j.at("verdicts").get_to(r.verdicts);
  j.at("backup_statuses").get_to(r.backup_statuses);
  for (auto& f : j.at("failures")) r.failures.push_back({f.at("status"), f.at("error"), f.at("count")});
  for (auto& [k, s] : j.at("figures").items())
    r.figures[k] = {s.at("median").get<std::optional<double>>(), s.at("min").get<std::optional<double>>(),
                    s.at("max").get<std::optional<double>>(), s.at("n").get<int64_t>()};
  r.writers_baseline = percentiles_from_json(j.at("writers_baseline"));
  r.writers_during = percentiles_from_json(j.at("writers_during"));
  r.readers_baseline = percentiles_from_json(j.at("readers_baseline"));
  r.readers_during = percentiles_from_json(j.at("readers_during"));
}

nlohmann::json summarize(const nlohmann::json& trials,
                         const std::function<std::string(const nlohmann::json&)>& series_path) {
  std::vector<std::string> order;
  std::map<std::string, Trials> groups;
  for (auto& t : trials) {
    auto k = t["row"].get<std::string>();
    if (!groups.count(k)) order.push_back(k);
    groups[k].push_back(&t);
  }
  nlohmann::json out = nlohmann::json::array();
  for (auto& key : order) {
    const Trials& ts = groups[key];
    SummaryRow row = row_of(*ts[0], ts.size());
    count(row, ts);
    figures(row, ts);
    pooled(row, ts, series_path);
    out.push_back(row);
  }
  add_continuous(out, trials, series_path);  // litestream's recovery point and cost (results/continuous.h)
  name_rows(out);
  return out;
}

}  // namespace bb
