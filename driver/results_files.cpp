// results.json, trials.csv, summary rows and the summary table.
#include "driver/results_files.h"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <map>

#include "driver/metrics.h"

namespace bb {
namespace {


// Value at a JSON pointer as double; 0 when absent or not a number.
double num(const nlohmann::json& j, const std::string& ptr) {
  auto p = nlohmann::json::json_pointer(ptr);
  if (!j.contains(p)) return 0;
  auto& v = j[p];
  return v.is_number() ? v.get<double>() : 0;
}

// Metrics summarised over repetitions: name -> pointer into a trial.
const std::vector<std::pair<std::string, std::string>> kMetrics{
    {"backup_duration_s", "/backup/duration_s"},
    {"backup_mb_per_s", "/backup/mb_per_s"},
    {"backup_restarts", "/backup/restarts"},
    {"baseline_commits_per_s", "/writers/baseline/commits_per_s"},
    {"during_commits_per_s", "/writers/during/commits_per_s"},
    {"baseline_p99_ms", "/writers/baseline/p99_ms"},
    {"during_p99_ms", "/writers/during/p99_ms"},
    {"during_max_ms", "/writers/during/max_ms"},
    {"max_stall_ms", "/writers/max_stall_ms"},
    {"during_busy_errors", "/writers/during/busy_errors"},
    {"reader_during_p99_ms", "/readers/during/p99_ms"},
    {"wal_peak_bytes", "/wal_peak_bytes"},
    {"wal_growth_bytes", "/wal_growth_bytes"},
};

}  // namespace

nlohmann::json summarize(const nlohmann::json& trials) {
  std::vector<std::pair<std::string, std::string>> order;
  std::map<std::pair<std::string, std::string>, std::vector<const nlohmann::json*>> groups;
  for (auto& t : trials) {
    auto key = std::make_pair(t["mode"].get<std::string>(), t["label"].get<std::string>());
    if (!groups.count(key)) order.push_back(key);
    groups[key].push_back(&t);
  }
  nlohmann::json out = nlohmann::json::array();
  for (auto& key : order) {
    auto& ts = groups[key];
    nlohmann::json row{{"mode", key.first}, {"label", key.second}, {"strategy", (*ts[0])["strategy"]},
                       {"trials", ts.size()}, {"expected_safe", ts[0]->value("expected_safe", false)}};
    for (auto& [name, ptr] : kMetrics) {
      std::vector<double> v;
      for (auto* t : ts)
        if ((*t)["backup"]["status"] != "skipped") v.push_back(num(*t, ptr));
      row[name] = median(v);
      if (!v.empty()) row[name + "_range"] = {*std::min_element(v.begin(), v.end()), *std::max_element(v.begin(), v.end())};
    }
    nlohmann::json verdicts = nlohmann::json::object();
    std::map<std::string, int> statuses;
    for (auto* t : ts) {
      verdicts[(*t)["verdict"]["status"].get<std::string>()] =
          verdicts.value((*t)["verdict"]["status"].get<std::string>(), 0) + 1;
      statuses[(*t)["backup"]["status"].get<std::string>()]++;
    }
    row["verdicts"] = verdicts;
    row["backup_statuses"] = statuses;
    out.push_back(row);
  }
  return out;
}

std::string trials_csv(const nlohmann::json& trials) {
  std::vector<std::pair<std::string, std::string>> cols{
      {"mode", "/mode"}, {"strategy", "/strategy"}, {"label", "/label"}, {"repetition", "/repetition"},
      {"seed", "/seed"}, {"db_mb", "/db_mb"}, {"db_bytes", "/db_bytes"}, {"writers", "/writer_count"},
      {"readers", "/reader_count"}, {"rate", "/rate"}, {"backup_status", "/backup/status"},
      {"backup_duration_s", "/backup/duration_s"}, {"backup_bytes", "/backup/bytes"},
      {"backup_mb_per_s", "/backup/mb_per_s"}, {"backup_steps", "/backup/steps"},
      {"backup_restarts", "/backup/restarts"}, {"backup_busy_retries", "/backup/busy_retries"}};
  for (auto w : {"baseline", "during"})
    for (auto m : {"commits", "commits_per_s", "p50_ms", "p90_ms", "p99_ms", "p999_ms", "max_ms", "busy_errors"})
      cols.push_back({fmt::format("writers_{}_{}", w, m), fmt::format("/writers/{}/{}", w, m)});
  cols.push_back({"max_stall_ms", "/writers/max_stall_ms"});
  for (auto w : {"baseline", "during"})
    for (auto m : {"queries_per_s", "p99_ms"})
      cols.push_back({fmt::format("readers_{}_{}", w, m), fmt::format("/readers/{}/{}", w, m)});
  cols.insert(cols.end(), {{"wal_peak_bytes", "/wal_peak_bytes"}, {"wal_growth_bytes", "/wal_growth_bytes"},
                           {"verdict", "/verdict/status"},
                           {"snapshot_seq", "/verdict/snapshot_seq"},
                           {"committed_before_start", "/verdict/committed_before_start"},
                           {"committed_before_end", "/verdict/committed_before_end"},
                           {"detail", "/verdict/detail"}});
  std::string out;
  for (size_t i = 0; i < cols.size(); ++i) out += (i ? "," : "") + cols[i].first;
  out += "\n";
  for (auto& t : trials) {
    for (size_t i = 0; i < cols.size(); ++i) {
      auto p = nlohmann::json::json_pointer(cols[i].second);
      std::string cell;
      if (t.contains(p)) {
        auto& v = t[p];
        cell = v.is_string() ? v.get<std::string>() : v.is_null() ? "" : v.dump();
      }
      if (cell.find_first_of(",\"\n") != std::string::npos) {
        std::string q = "\"";
        for (char ch : cell) q += ch == '"' ? std::string("\"\"") : std::string(1, ch);
        cell = q + "\"";
      }
      out += (i ? "," : "") + cell;
    }
    out += "\n";
  }
  return out;
}

void write_results(const std::string& dir, const nlohmann::json& results) {
  std::ofstream(dir + "/results.json") << results.dump(2) << "\n";
  std::ofstream(dir + "/trials.csv") << trials_csv(results["trials"]);
}

void print_summary(FILE* out, const nlohmann::json& results) {
  fmt::print(out, "\nbackup-bench  SQLite {}  scenario {}\n", results["sqlite_version"].get<std::string>(),
             results["scenario"]["name"].get<std::string>());
  fmt::print(out, "{:<7} {:<24} {:>6} {:>9} {:>8} {:>10} {:>10} {:>10} {:>11}  {}\n", "mode", "strategy", "trials",
             "backup_s", "MB/s", "base_p99", "during_p99", "stall_ms", "wal_peak", "verdicts");
  for (auto& r : results["summary"]) {
    std::string verdicts;
    for (auto& [k, v] : r["verdicts"].items()) verdicts += fmt::format("{}{}={}", verdicts.empty() ? "" : " ", k, v.get<int>());
    fmt::print(out, "{:<7} {:<24} {:>6} {:>9.3f} {:>8.1f} {:>10.2f} {:>10.2f} {:>10.1f} {:>10.1f}M  {}\n",
               r["mode"].get<std::string>(), r["label"].get<std::string>(), r["trials"].get<int>(),
               r["backup_duration_s"].get<double>(), r["backup_mb_per_s"].get<double>(),
               r["baseline_p99_ms"].get<double>(), r["during_p99_ms"].get<double>(),
               r["max_stall_ms"].get<double>(), r["wal_peak_bytes"].get<double>() / 1e6, verdicts);
  }
}

}  // namespace bb
