// Decides whether a snapshot is a transactionally consistent, fresh copy, and
// says why not (product.md, Verdicts). Used by `validate` and by every trial.
#pragma once
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace bb {

class Workload;

struct FreshnessBounds {
  std::optional<int64_t> min;  // commits that had returned before the backup started
  std::optional<int64_t> max;  // transactions that had begun before the backup ended
};

struct ValidateOptions {
  bool quick = false;  // PRAGMA quick_check instead of integrity_check (large files)
};

struct Verdict {
  std::string status = "OK";  // OK | CORRUPT | INCONSISTENT | STALE | FAILED | SKIPPED
  int64_t snapshot_seq = 0;
  FreshnessBounds bounds;
  nlohmann::json checks = nlohmann::json::object();
  nlohmann::json timings_ms = nlohmann::json::object();
  std::string detail;
  bool ok() const { return status == "OK"; }
};

// Validates the database at `path` (with a -wal or -journal beside it, what SQLite
// sees once it has recovered them). `workload` null: integrity only.
Verdict validate_snapshot(const std::string& path, Workload* workload, const FreshnessBounds& bounds,
                          const ValidateOptions& opt = {});

// A verdict for a backup that produced no snapshot.
Verdict no_snapshot(const std::string& status, const std::string& detail);

nlohmann::json to_json(const Verdict& v);

}  // namespace bb
