// Decides whether a snapshot is a transactionally consistent, fresh copy, and
// says why not (product.md, Verdicts; docs/validation.md). Used by `validate`
// and by every trial. Never changes the snapshot or the files beside it.
#pragma once
#include <cstdint>
#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "validation/snapshot_files.h"  // SnapshotAccessError

namespace bb {

class Workload;

struct FreshnessBounds {
  std::optional<int64_t> min;  // commits that had returned before the backup started
  std::optional<int64_t> max;  // transactions that had begun before the backup ended
};

struct ValidateOptions {
  // A constructor, so callers that give only `quick` ({true}) stay warning-free.
  ValidateOptions(bool quick_check = false, std::string scratch = {})
      : quick(quick_check), scratch_dir(std::move(scratch)) {}
  bool quick;  // PRAGMA quick_check instead of integrity_check (large files)
  // Where a private copy is made when recovery is needed; empty: $TMPDIR or /tmp.
  // The snapshot's own filesystem allows reflinks (no time, no space).
  std::string scratch_dir;
};

// A snapshot's verdict (docs/validation.md). One string table, here: results.json
// and every reader of it use these names.
enum class VerdictStatus { kOk, kCorrupt, kInconsistent, kStale, kFailed, kSkipped };
NLOHMANN_JSON_SERIALIZE_ENUM(VerdictStatus, {{VerdictStatus::kOk, "OK"},
                                             {VerdictStatus::kCorrupt, "CORRUPT"},
                                             {VerdictStatus::kInconsistent, "INCONSISTENT"},
                                             {VerdictStatus::kStale, "STALE"},
                                             {VerdictStatus::kFailed, "FAILED"},
                                             {VerdictStatus::kSkipped, "SKIPPED"}})
std::string to_string(VerdictStatus s);
// A snapshot exists and is wrong: CORRUPT, INCONSISTENT or STALE (for a strategy
// expected to be safe, a finding).
inline bool wrong_snapshot(VerdictStatus s) {
  return s == VerdictStatus::kCorrupt || s == VerdictStatus::kInconsistent || s == VerdictStatus::kStale;
}

struct Verdict {
  VerdictStatus status = VerdictStatus::kOk;
  int64_t snapshot_seq = 0;
  FreshnessBounds bounds;
  // "integrity", the workload's declared checks, "fresh": and no other.
  nlohmann::json checks = nlohmann::json::object();
  nlohmann::json timings_ms = nlohmann::json::object();
  std::string detail;
  std::string workload;         // whose invariants were checked: a name, "none", or empty (an instance was given)
  std::string workload_source;  // "given", "detected", or "none: <why>"
  bool recovered_copy = false;  // a -wal or hot journal was recovered on a private copy
  nlohmann::json wal;           // what the -wal beside it held and what was done with it; null: none
  nlohmann::json journal;       // the same for a -journal
  bool ok() const { return status == VerdictStatus::kOk; }
};

// Validates the database at `path` as SQLite would see it with the -wal or hot
// -journal beside it recovered (on a private copy; the files are not changed).
// `workload`: a registered name, "auto" (recognised from the snapshot's schema,
// else integrity only) or "none" (integrity only).
// Throws SnapshotAccessError when the snapshot or a sidecar cannot be read (a
// permission or I/O problem, not a verdict), std::invalid_argument for an
// unknown workload name.
Verdict validate_snapshot(const std::string& path, const std::string& workload, const FreshnessBounds& bounds,
                          const ValidateOptions& opt = {});
// The same with a workload instance (null: integrity only).
Verdict validate_snapshot(const std::string& path, Workload* workload, const FreshnessBounds& bounds,
                          const ValidateOptions& opt = {});

// A verdict for a backup that produced no snapshot: every check null, for
// "integrity", the workload's checks (none when empty) and "fresh".
Verdict no_snapshot(VerdictStatus status, const std::string& detail,
                    const std::vector<std::string>& workload_checks = {});

nlohmann::json to_json(const Verdict& v);
// The inverse of to_json (a verdict printed by another build's `validate`).
Verdict verdict_from_json(const nlohmann::json& j);

}  // namespace bb

// Verdicts print as their names ("OK", "STALE", ...).
template <>
struct fmt::formatter<bb::VerdictStatus> : fmt::formatter<std::string_view> {
  auto format(bb::VerdictStatus s, fmt::format_context& ctx) const {
    return fmt::formatter<std::string_view>::format(bb::to_string(s), ctx);
  }
};
