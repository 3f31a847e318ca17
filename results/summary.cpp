// Summary rows over repetitions.
#include "results/summary.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "core/json_optional.h"
#include "results/continuous.h"
#include "results/metrics.h"
#include "results/series.h"
#include "results/trial_result.h"

namespace bb {
namespace {

// A figure over repetitions: median, min, max of the values that exist, and n.
nlohmann::json spread(std::vector<double> v) {
  if (v.empty()) return {{"median", nullptr}, {"min", nullptr}, {"max", nullptr}, {"n", 0}};
  auto [lo, hi] = std::minmax_element(v.begin(), v.end());
  return {{"median", median(v)}, {"min", *lo}, {"max", *hi}, {"n", v.size()}};
}

std::optional<double> number_at(const nlohmann::json& t, const char* ptr) {
  auto p = nlohmann::json::json_pointer(ptr);
  if (!t.contains(p) || !t[p].is_number()) return std::nullopt;
  return t[p].get<double>();
}

nlohmann::json percentiles_json(const Percentiles& p) {
  return {{"n", p.n},         {"p50_ms", p.p50_ms},   {"p90_ms", p.p90_ms},
          {"p99_ms", p.p99_ms}, {"p999_ms", p.p999_ms}, {"max_ms", p.max_ms}};
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

}  // namespace

// The injected fault's kind ("none" without one): a trial's `fault` is an object,
// a summary row's the kind itself (docs/faults.md).
static std::string fault_kind(const nlohmann::json& r) {
  auto it = r.find("fault");
  if (it == r.end() || it->is_null()) return "none";
  return it->is_string() ? it->get<std::string>() : it->value("kind", "none");
}

std::string row_key(const nlohmann::json& r) {
  const std::string fault = fault_kind(r);
  return fmt::format("{}/{}@{}MB/w{}/{}/{}{}", r.value("mode", "?"), r.value("label", "?"), r.value("db_mb", 0),
                     r.value("writer_count", 0), r.value("filesystem", "host"), r.value("sqlite", "system"),
                     fault == "none" ? "" : "+" + fault);
}

nlohmann::json summarize(const nlohmann::json& trials,
                         const std::function<std::string(const nlohmann::json&)>& series_path) {
  std::vector<std::string> order;
  std::map<std::string, std::vector<const nlohmann::json*>> groups;
  for (auto& t : trials) {
    auto k = row_key(t);
    if (!groups.count(k)) order.push_back(k);
    groups[k].push_back(&t);
  }
  nlohmann::json out = nlohmann::json::array();
  for (auto& key : order) {
    auto& ts = groups[key];
    const nlohmann::json& first = *ts[0];
    nlohmann::json row{{"mode", first["mode"]},
                       {"label", first["label"]},
                       {"strategy", first["strategy"]},
                       {"db_mb", first["db_mb"]},
                       {"writer_count", first["writer_count"]},
                       {"filesystem", first.value("filesystem", "host")},
                       {"sqlite", first.value("sqlite", "system")},
                       {"sqlite_version", first.contains("sqlite_build") && first["sqlite_build"].contains("version")
                                              ? first["sqlite_build"]["version"]
                                              : nlohmann::json(nullptr)},
                       {"fault", fault_kind(first)},
                       {"expected_safe", first.value("expected_safe", false)},
                       {"trials", ts.size()}};
    int harness = 0, skip = 0, unsteady = 0, steady = 0;
    std::map<std::string, int> verdicts, statuses;
    std::map<std::pair<std::string, std::string>, int> failures;
    std::vector<std::string> unsteady_reasons;
    int64_t backups = 0;
    for (auto* t : ts) {
      for (auto& b : (*t)["backups"]) {
        ++backups;
        verdicts[b["verdict"]["status"].get<std::string>()]++;
        statuses[b["backup"]["status"].get<std::string>()]++;
        auto st = b["backup"]["status"].get<std::string>();
        if (st == "failed" || st == "timeout")
          failures[{st, b["backup"]["error"].is_string() ? b["backup"]["error"].get<std::string>() : ""}]++;
      }
      if (harness_failed(*t)) ++harness;
      else if (skipped(*t)) ++skip;
      else if (!(*t)["load"]["steady"].get<bool>()) {
        ++unsteady;
        unsteady_reasons.push_back(fmt::format("r{}: {}", (*t)["repetition"].get<int>(),
                                               (*t)["load"]["reason"].get<std::string>()));
      } else ++steady;
    }
    row["backups"] = backups;
    row["harness_errors"] = harness;
    row["skipped"] = skip;
    row["unsteady"] = unsteady;
    row["steady"] = steady;
    row["unsteady_reasons"] = unsteady_reasons;
    row["verdicts"] = verdicts;
    row["backup_statuses"] = statuses;
    nlohmann::json fl = nlohmann::json::array();
    for (auto& [k, n] : failures) fl.push_back({{"status", k.first}, {"error", k.second}, {"count", n}});
    row["failures"] = fl;
    nlohmann::json figures = nlohmann::json::object();
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
      figures[f.name] = spread(std::move(v));
    }
    row["figures"] = figures;
    // Pooled window percentiles over the steady repetitions.
    WindowLatencies pooled;
    int64_t series_missing = 0;
    for (auto* t : ts) {
      if (!takes(*t, (*t)["backups"][0], From::kSteadyLoads)) continue;
      bool ok = false;
      auto l = read_window_latencies(series_path(*t), &ok);
      if (!ok) {
        ++series_missing;
        continue;
      }
      auto add = [](std::vector<int64_t>& to, const std::vector<int64_t>& from) {
        to.insert(to.end(), from.begin(), from.end());
      };
      add(pooled.writers_baseline, l.writers_baseline);
      add(pooled.writers_during, l.writers_during);
      add(pooled.readers_baseline, l.readers_baseline);
      add(pooled.readers_during, l.readers_during);
    }
    row["writers_baseline"] = percentiles_json(percentiles_of(std::move(pooled.writers_baseline)));
    row["writers_during"] = percentiles_json(percentiles_of(std::move(pooled.writers_during)));
    row["readers_baseline"] = percentiles_json(percentiles_of(std::move(pooled.readers_baseline)));
    row["readers_during"] = percentiles_json(percentiles_of(std::move(pooled.readers_during)));
    row["series_missing"] = series_missing;
    out.push_back(row);
  }
  add_continuous(out, trials, series_path);  // litestream's recovery point and cost (results/continuous.h)
  return out;
}

}  // namespace bb
