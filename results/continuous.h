// Continuous replication beside periodic backups, in the summary: for a
// continuous strategy's row (litestream), its recovery point and restore time
// over the repetitions, and its continuous cost -- the writers' baseline with
// the replicator running against the baselines of the same cell's trials
// without it, in the same run -- and, for every WAL row, the WAL size over the
// whole trial. Computed once here; the console, the report and compare read it.
// docs/litestream.md.
#pragma once
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/samples.h"

namespace bb {

// Adds `continuous` to the rows of continuous strategies and the figures
// `wal_trial_peak_bytes` / `wal_trial_median_bytes` to every row. `series_path`
// as summarize() takes it.
void add_continuous(nlohmann::json& rows, const nlohmann::json& trials,
                    const std::function<std::string(const nlohmann::json&)>& series_path);

// The console's lines for the continuous rows (empty when there are none).
std::string continuous_table(const nlohmann::json& results);

// WAL size over a whole trial (warm-up to stop) from the load's size samples:
// peak, median, mean, last, with the number of samples; null outside WAL mode.
nlohmann::json wal_over_trial(const std::vector<SizeSample>& sizes, const std::string& mode);

}  // namespace bb
