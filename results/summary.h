// Summary rows: one per journal mode x label x size x writer count, over the
// repetitions (and, in a trial with several scheduled backups, over its backups:
// verdicts count one per snapshot). Percentiles pool the window samples of every steady repetition
// (read back from the trials' series); every other figure is the median of the
// per-repetition values with their min, max and n. Each figure counts only the
// trials where it exists (docs/measuring-impact.md, "Summary rows"); the run's
// table, the report and compare all read these rows.
#pragma once
#include <functional>
#include <nlohmann/json.hpp>
#include <string>

namespace bb {

// `series_path(trial)`: where that trial's series.json is (empty: none).
nlohmann::json summarize(const nlohmann::json& trials,
                         const std::function<std::string(const nlohmann::json&)>& series_path);

// The grouping key of a trial's summary row, as text ("wal/online", with
// "@64MB" and "w2" appended when the run has several sizes / writer counts).
std::string row_key(const nlohmann::json& row_or_trial);

}  // namespace bb
