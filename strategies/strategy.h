// A backup strategy: one way to produce a backup file from a live database.
// Each strategy is one file that registers a StrategyInfo under its contract name;
// the driver, `backup` and `list` work only through this table. A strategy only
// copies the source to the temporary destination its BackupJob names and marks
// when its reads begin and end; the runner (runner.h) does the timing, the atomic
// destination, bytes, progress, the outcome and error handling.
#pragma once
#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "core/shared_state.h"

namespace bb {

struct StrategyParam {
  std::string name;
  std::string default_value;
  std::string help;
  std::vector<std::string> choices;  // empty: an integer in [min, max] (or `special`)
  int64_t min = 0;
  int64_t max = std::numeric_limits<int32_t>::max();
  std::vector<int64_t> special = {};  // integers allowed outside [min, max] (e.g. pages = -1)
};

using Params = std::map<std::string, std::string>;

enum class BackupStatus { kCompleted, kFailed, kTimeout, kSkipped };
NLOHMANN_JSON_SERIALIZE_ENUM(BackupStatus, {{BackupStatus::kCompleted, "completed"},
                                            {BackupStatus::kFailed, "failed"},
                                            {BackupStatus::kTimeout, "timeout"},
                                            {BackupStatus::kSkipped, "skipped"}})

// Why a backup failed, as one kind (exit codes and reports depend on it, never
// on message text).
enum class FailureKind { kNone, kBadInput, kDiskFull, kLocked, kInternal };
NLOHMANN_JSON_SERIALIZE_ENUM(FailureKind, {{FailureKind::kNone, nullptr},
                                           {FailureKind::kBadInput, "bad_input"},
                                           {FailureKind::kDiskFull, "disk_full"},
                                           {FailureKind::kLocked, "locked"},
                                           {FailureKind::kInternal, "internal"}})

// A failure a strategy can name itself (e.g. "no sqlite3 on PATH": internal;
// "the source is not in WAL mode": bad input).
struct BackupFailure : std::runtime_error {
  BackupFailure(FailureKind k, const std::string& what) : std::runtime_error(what), kind(k) {}
  FailureKind kind;
};

// What one backup did. Written by the backup process (outcome file or stdout),
// read back by the driver: one type, one serialisation.
struct BackupOutcome {
  std::string strategy;
  Params params;
  std::string mode;  // the source's journal mode
  BackupStatus status = BackupStatus::kCompleted;
  FailureKind failure = FailureKind::kNone;
  std::string error;       // empty unless failed, timed out or skipped
  double duration_s = 0;   // impact window: asked .. released
  double read_s = 0;       // snapshot window: first .. last read of the source
  double commit_s = 0;     // fsync + rename of the destination, after release
  int64_t bytes = 0;
  int64_t steps = 0, restarts = 0, busy_retries = 0;
  int64_t asked_ns = 0, read_begin_ns = 0, read_end_ns = 0, released_ns = 0;  // CLOCK_MONOTONIC
  nlohmann::json extra = nlohmann::json::object();  // strategy-specific facts

  bool completed() const { return status == BackupStatus::kCompleted; }
  // bytes / duration; 0 unless completed with a positive duration.
  double mb_per_s() const;
};
void to_json(nlohmann::json& j, const BackupOutcome& o);
void from_json(const nlohmann::json& j, BackupOutcome& o);

class AtomicDest;

// What the runner hands a strategy: the source, where to write, the parameters,
// and the marks and counters it reports through.
class BackupJob {
 public:
  BackupJob(std::string src, AtomicDest& dest, Params params, std::string mode, bool in_trial,
            std::vector<pid_t> holders, BackupProgress& progress);

  const std::string src;
  const std::string& tmp() const;  // the temporary destination (renamed by the runner)
  const std::string& dest() const;  // the final destination (read-only: e.g. the previous backup)
  const Params params;             // complete: defaults filled in, validated
  const std::string mode;          // the source's journal mode ("wal", "delete", ...)
  const bool in_trial;             // run by the driver while workers hold the database
  const std::vector<pid_t> holders;  // in a trial: the worker processes
  nlohmann::json extra = nlohmann::json::object();

  int64_t param_int(const std::string& key) const;
  bool param_bool(const std::string& key) const;

  // The snapshot window: the first read of the source begins / the last ended.
  // The first call of reading() counts; read_done() may be called again later.
  void reading();
  void read_done();
  // Counters, mirrored into shared memory as they change.
  void step(int64_t remaining_pages = -1);
  void restart();
  void busy_retry();
  int64_t steps() const { return progress_.steps.load(); }
  int64_t restarts() const { return progress_.restarts.load(); }
  int64_t busy_retries() const { return progress_.busy_retries.load(); }
  // A file written at tmp() + suffix that belongs to the backup (e.g. "-wal").
  void companion(std::string_view suffix);

 private:
  AtomicDest& dest_;
  BackupProgress& progress_;
};

// A process that runs beside the load for a whole trial (continuous replication:
// `litestream replicate`): started before the load, stopped after it. The
// strategy's `run` then produces the snapshot from what it replicated.
struct CompanionSpec {
  std::string name;     // "litestream replicate", for messages
  std::string exe;      // the program (fork + exec)
  std::vector<std::string> args;
  std::string version;  // what it reports about itself
  std::string ready_text;  // a line of its output holding this: it is ready (empty: ready at once)
  std::string fail_text;   // a line holding this before it is ready: it will not be (e.g. its replica fails)
  std::vector<std::string> files;  // files and folders it makes, removed after the trial
  nlohmann::json facts = nlohmann::json::object();  // its settings, for results.json
};

struct StrategyInfo {
  std::string name;
  std::string description;
  std::vector<StrategyParam> params;
  // Why the strategy cannot run in this setting; empty when it can.
  std::function<std::string(const std::string& mode, bool in_trial)> skip_reason =
      [](const std::string&, bool) { return std::string(); };
  // Why it cannot run with the source's and the destination's folders on the
  // filesystems they are on (btrfs-snapshot needs btrfs, reflink-copy a clone
  // between the two); empty when it can. May write and remove a scratch file in
  // dest_dir; never opens the database.
  std::function<std::string(const std::string& src_dir, const std::string& dest_dir)> fs_skip_reason =
      [](const std::string&, const std::string&) { return std::string(); };
  // Whether a snapshot that is not OK is a finding (exit 1 from `run`).
  std::function<bool(const std::string& mode, const Params&)> expected_safe;
  std::string safety_note;  // one line for `list`: where it is safe
  std::string needs = "";   // what it needs beyond SQLite (a filesystem, a build option); empty: nothing
  // Whether its writers' figures describe a real backup's impact (fs-snapshot's
  // describe the freeze that simulates one); results.json says so per strategy.
  bool impact_representative = true;
  // Copies job.src to job.tmp(); throws on failure (BackupFailure, SqliteError,
  // std::system_error, ...: the runner turns each into one failure kind).
  std::function<void(BackupJob&)> run;
  // Continuous strategies only: the companion for the trial's database `db`,
  // with its replica in the folder `replica_dir` (made by the strategy). Its
  // snapshot trails the source by a recovery point, which is measured, not
  // judged: freshness checks that it holds nothing from the future.
  std::function<CompanionSpec(const std::string& db, const std::string& replica_dir, const Params&)> companion =
      nullptr;
};

// Why a backup of `src` to `dest` is skipped (skip_reason, then fs_skip_reason
// for their folders); empty when it runs.
std::string skip_reason_for(const StrategyInfo& s, const std::string& mode, bool in_trial, const std::string& src,
                            const std::string& dest);

// Registration: one line in each strategy's file.
bool register_strategy(StrategyInfo info);
// In the contract's order (docs/contract.md), then by name.
const std::vector<StrategyInfo>& strategies();
const StrategyInfo* find_strategy(const std::string& name);
// The registry as JSON for results.json: name, description, safety note, needs,
// impact_representative, parameters (so reports need no list of their own).
nlohmann::json strategies_json();

// Fills defaults and checks keys, values and ranges; throws UsageError naming the
// problem.
Params resolve_params(const StrategyInfo& s, const Params& given);

// The rollback-journal family: every journal mode but WAL keeps the whole
// committed state in the main database file between transactions.
inline bool delete_family(const std::string& mode) { return mode != "wal"; }

}  // namespace bb
