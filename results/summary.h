// Summary rows: one per journal mode x label x size x writer count x filesystem
// x SQLite build x fault, over the repetitions (and, in a trial with several
// scheduled backups, over its backups: verdicts count one per snapshot).
// Percentiles pool the window samples of every steady repetition (read back from
// the trials' series); every other figure is the median of the per-repetition
// values with their min, max and n. Each figure counts only the trials where it
// exists (docs/measuring-impact.md, "Summary rows"); the run's table, the report
// and compare all read these rows.
#pragma once
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "results/metrics.h"
#include "results/schema.h"

namespace bb {

// A figure over repetitions: median, min and max of the values that exist, and n.
struct Spread {
  std::optional<double> median, min, max;
  int64_t n = 0;
};
Spread spread_of(std::vector<double> values);

// One summary row of results.json (its writer and reader).
struct SummaryRow {
  std::string key;   // row_key(): what a trial's `row` names
  std::string name;  // as `run` prints it (name_rows(): it depends on every row)
  nlohmann::json name_parts = nlohmann::json::array();
  std::string mode, label, strategy;
  int64_t db_mb = 0, writer_count = 0;
  std::string filesystem = "host", sqlite = "system", fault = "none";
  std::optional<std::string> sqlite_version;
  bool expected_safe = false;
  int64_t trials = 0, backups = 0, harness_errors = 0, skipped = 0, unsteady = 0, steady = 0;
  std::vector<std::string> unsteady_reasons;
  std::map<std::string, int64_t> verdicts, backup_statuses;
  struct Failure {
    std::string status, error;
    int64_t count = 0;
  };
  std::vector<Failure> failures;
  std::map<std::string, Spread> figures;
  Percentiles writers_baseline, writers_during, readers_baseline, readers_during;
  int64_t series_missing = 0;
};
void to_json(nlohmann::json& j, const SummaryRow& r);
void from_json(const nlohmann::json& j, SummaryRow& r);

// `series_path(trial)`: where that trial's series.json is (empty: none).
nlohmann::json summarize(const nlohmann::json& trials,
                         const std::function<std::string(const nlohmann::json&)>& series_path);

}  // namespace bb
