// Continuous replication's figures in the summary (results/continuous.h).
#include "results/continuous.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <optional>

#include "core/json_optional.h"
#include "results/metrics.h"
#include "results/series.h"
#include "results/trial_result.h"

namespace bb {
namespace {

nlohmann::json spread(std::vector<double> v) {
  if (v.empty()) return {{"median", nullptr}, {"min", nullptr}, {"max", nullptr}, {"n", 0}};
  auto [lo, hi] = std::minmax_element(v.begin(), v.end());
  return {{"median", median(v)}, {"min", *lo}, {"max", *hi}, {"n", v.size()}};
}

std::optional<double> number(const nlohmann::json& j, const char* ptr) {
  auto p = nlohmann::json::json_pointer(ptr);
  if (!j.contains(p) || !j[p].is_number()) return std::nullopt;
  return j[p].get<double>();
}

bool continuous(const nlohmann::json& t) { return t.contains("continuous") && t["continuous"].is_object(); }

// The same load: mode, size, writers, filesystem, SQLite build, no fault.
bool same_cell(const nlohmann::json& a, const nlohmann::json& r) {
  auto fault = [](const nlohmann::json& j) {
    if (!j.contains("fault") || j["fault"].is_null()) return std::string("none");
    return j["fault"].is_string() ? j["fault"].get<std::string>() : j["fault"].value("kind", "none");
  };
  return a["mode"] == r["mode"] && a["db_mb"] == r["db_mb"] && a["writer_count"] == r["writer_count"] &&
         a.value("filesystem", "host") == r.value("filesystem", "host") &&
         a.value("sqlite", "system") == r.value("sqlite", "system") && fault(a) == fault(r);
}

bool row_of(const nlohmann::json& t, const nlohmann::json& r) { return same_cell(t, r) && t["label"] == r["label"]; }

// The writers' baseline of `trials`, pooled: percentiles with n, and the
// commit rate over the repetitions.
nlohmann::json baseline_of(const std::vector<const nlohmann::json*>& trials,
                           const std::function<std::string(const nlohmann::json&)>& series_path) {
  std::vector<int64_t> pooled;
  std::vector<double> rates;
  std::vector<std::string> labels;
  int used = 0;
  for (auto* t : trials) {
    bool ok = false;
    auto l = read_window_latencies(series_path(*t), &ok);
    if (!ok) continue;
    ++used;
    pooled.insert(pooled.end(), l.writers_baseline.begin(), l.writers_baseline.end());
    if (auto r = number(*t, "/writers/baseline/commits_per_s")) rates.push_back(*r);
    const std::string label = (*t)["label"].get<std::string>();
    if (std::find(labels.begin(), labels.end(), label) == labels.end()) labels.push_back(label);
  }
  const Percentiles p = percentiles_of(std::move(pooled));
  return {{"trials", used}, {"labels", labels}, {"n", p.n}, {"p50_ms", p.p50_ms}, {"p90_ms", p.p90_ms},
          {"p99_ms", p.p99_ms}, {"p999_ms", p.p999_ms}, {"max_ms", p.max_ms}, {"commits_per_s", spread(rates)}};
}

nlohmann::json difference(const nlohmann::json& with, const nlohmann::json& without, const char* key) {
  if (!with[key].is_number() || !without[key].is_number()) return nullptr;
  return with[key].get<double>() - without[key].get<double>();
}

std::string ms(const nlohmann::json& v) { return v.is_number() ? fmt::format("{:.1f}", v.get<double>()) : "n/a"; }

}  // namespace

void add_continuous(nlohmann::json& rows, const nlohmann::json& trials,
                    const std::function<std::string(const nlohmann::json&)>& series_path) {
  for (auto& r : rows) {
    std::vector<double> peak, med;
    // Steady trials only: an unsteady or faulted one measures something else.
    std::vector<const nlohmann::json*> with, others;
    for (auto& t : trials) {
      if (!same_cell(t, r) || !impact_counts(t)) continue;
      if (row_of(t, r)) {
        with.push_back(&t);
        if (auto x = number(t, "/wal_over_trial/peak_bytes")) peak.push_back(*x);
        if (auto x = number(t, "/wal_over_trial/median_bytes")) med.push_back(*x);
      } else if (!continuous(t)) {
        others.push_back(&t);
      }
    }
    r["figures"]["wal_trial_peak_bytes"] = spread(peak);
    r["figures"]["wal_trial_median_bytes"] = spread(med);

    std::vector<const nlohmann::json*> own;
    for (auto& t : trials)
      if (row_of(t, r) && continuous(t)) own.push_back(&t);
    if (own.empty()) continue;
    std::vector<double> tx, age, restore, replica;
    nlohmann::json companion = (*own[0])["continuous"];
    for (auto* t : own)
      for (auto& b : (*t)["continuous"]["backups"]) {
        if (b["recovery_point"].is_object()) {
          tx.push_back(b["recovery_point"]["missing_tx"].get<double>());
          age.push_back(b["recovery_point"]["age_ms"].get<double>());
        }
        if (b["restore_s"].is_number()) restore.push_back(b["restore_s"].get<double>());
      }
    for (auto* t : own)
      if (auto x = number(*t, "/continuous/replica_bytes")) replica.push_back(*x);
    // The continuous cost: its own steady trials' baselines (the replicator
    // running the whole time) against every other steady trial of the cell's.
    nlohmann::json w = baseline_of(with, series_path), wo = baseline_of(others, series_path);
    nlohmann::json cost{{"with", w},
                        {"without", wo},
                        {"p50_delta_ms", difference(w, wo, "p50_ms")},
                        {"p99_delta_ms", difference(w, wo, "p99_ms")},
                        {"max_delta_ms", difference(w, wo, "max_ms")},
                        {"commits_per_s_delta", w["commits_per_s"]["median"].is_number() &&
                                                        wo["commits_per_s"]["median"].is_number()
                                                    ? nlohmann::json(w["commits_per_s"]["median"].get<double>() -
                                                                     wo["commits_per_s"]["median"].get<double>())
                                                    : nlohmann::json(nullptr)}};
    if (w["trials"] == 0 || wo["trials"] == 0)
      cost["withheld"] = w["trials"] == 0 ? "no steady trial of this strategy to measure"
                                          : "no steady trial without a companion in this cell (run another strategy "
                                            "beside it, e.g. --strategies online,litestream)";
    // WAL over the trial without the companion, beside its own.
    std::vector<double> opeak, omed;
    for (auto* t : others) {
      if (auto x = number(*t, "/wal_over_trial/peak_bytes")) opeak.push_back(*x);
      if (auto x = number(*t, "/wal_over_trial/median_bytes")) omed.push_back(*x);
    }
    r["continuous"] = {{"companion", companion["companion"]},
                       {"version", companion["version"]},
                       {"settings", companion["settings"]},
                       {"recovery_point_tx", spread(tx)},
                       {"recovery_point_ms", spread(age)},
                       {"restore_s", spread(restore)},
                       {"replica_bytes", spread(replica)},
                       {"cost", cost},
                       {"wal_without", {{"peak_bytes", spread(opeak)}, {"median_bytes", spread(omed)}}}};
  }
}

std::string continuous_table(const nlohmann::json& results) {
  std::string out;
  // The row's name, not its label: a run of several sizes (or writer counts,
  // filesystems, builds) has a continuous row per cell.
  size_t width = 16;
  for (auto& r : results["summary"])
    if (r.contains("continuous")) width = std::max(width, r["name"].get<std::string>().size());
  for (auto& r : results["summary"]) {
    if (!r.contains("continuous")) continue;
    const auto& c = r["continuous"];
    const auto& cost = c["cost"];
    if (out.empty())
      out = "\ncontinuous replication (recovery point: committed transactions the restored copy lacks, and their age; "
            "cost: writers' baseline with the replicator running vs the same cell's trials without it)\n";
    auto med = [](const nlohmann::json& s) { return s["median"]; };
    out += fmt::format(
        "{:<7} {:<{}} recovery point {} tx / {} ms (n={})  restore {} s  base_p99 {} ms (n={}) vs {} ms without "
        "(n={}, {})  tx/s {} vs {}{}\n",
        r["mode"].get<std::string>(), r["name"].get<std::string>(), width, med(c["recovery_point_tx"]).is_number() ? fmt::format("{:.0f}", med(c["recovery_point_tx"]).get<double>()) : "n/a",
        ms(med(c["recovery_point_ms"])), c["recovery_point_tx"]["n"].get<int>(), ms(med(c["restore_s"])),
        ms(cost["with"]["p99_ms"]), cost["with"]["n"].get<int64_t>(), ms(cost["without"]["p99_ms"]),
        cost["without"]["n"].get<int64_t>(), fmt::format("{}", fmt::join(cost["without"]["labels"], ",")),
        ms(med(cost["with"]["commits_per_s"])), ms(med(cost["without"]["commits_per_s"])),
        cost.contains("withheld") ? "  (" + cost["withheld"].get<std::string>() + ")" : "");
  }
  return out;
}

nlohmann::json wal_over_trial(const std::vector<SizeSample>& sizes, const std::string& mode) {
  if (mode != "wal" || sizes.empty()) return nullptr;
  std::vector<double> v;
  v.reserve(sizes.size());
  for (auto& s : sizes) v.push_back(double(s.wal));
  const double peak = *std::max_element(v.begin(), v.end());
  double sum = 0;
  for (double x : v) sum += x;
  return {{"peak_bytes", peak}, {"median_bytes", median(v)}, {"mean_bytes", sum / double(v.size())},
          {"last_bytes", v.back()}, {"n", v.size()}};
}

}  // namespace bb
