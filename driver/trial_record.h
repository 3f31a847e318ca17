// Everything recorded about one trial, and how it becomes the results.json trial
// record (product.md) and the per-trial time series for charts.
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "driver/metrics.h"
#include "core/samples.h"
#include "driver/scenario.h"
#include "strategies/strategy.h"
#include "validation/validator.h"

namespace bb {

struct SizeSample {
  int64_t t;    // ns
  int64_t wal;  // bytes of -wal (0 when absent)
  int64_t db;   // bytes of the database file
};

struct TrialRecord {
  Cell cell;
  Params params;
  bool expected_safe = false;
  int64_t readers = 0;
  double rate = 0;
  std::string dir;
  std::string series;  // the time series file, relative to the run folder
  int64_t db_bytes = 0;
  int64_t t0_ns = 0;
  Window baseline;  // the baseline window
  Window backup;    // from the strategy's first read to its last
  BackupOutcome outcome;
  Verdict verdict;
  nlohmann::json holders = nlohmann::json::array();
  std::vector<SizeSample> sizes;
  std::vector<Sample> writer_samples, reader_samples;
  int64_t behind = 0, max_lag_ns = 0;
  std::vector<std::string> errors;

  // Fills `outcome` from the backup process's outcome file, or from how it ended.
  void read_outcome(const std::string& path, bool timed_out, int exit_code, const std::string& log_line,
                    double limit_s);
  // Freshness bounds from the recorded commits: the largest seq whose COMMIT had
  // returned before the backup started, and the largest seq of any transaction
  // that had begun before it ended.
  FreshnessBounds freshness_bounds() const;
  void write_series(const std::string& path) const;
  nlohmann::json to_json() const;
};

// The processes holding `db` or its sidecars, as JSON (see core/holders.h).
nlohmann::json holders_json(const std::string& db);

}  // namespace bb
