// The nemesis's checker: what a faulted trial's outcome and source must be
// (docs/faults.md), from the expected state the writers keep in shared memory.
#include <fmt/format.h>

#include <algorithm>

#include "core/fault_fs.h"
#include "core/loop_fs.h"
#include "core/shared_state.h"
#include "driver/load.h"
#include "driver/nemesis.h"
#include "validation/validator.h"

namespace bb {

std::pair<int64_t, int64_t> Nemesis::committed_and_span(Load& load) const {
  std::vector<int64_t> seqs;
  for (auto& smp : load.writer_samples) seqs.push_back(smp.seq);
  for (int i = 0; i < writers_; ++i) {
    const int64_t last = load.state().workers[i].last_committed_seq.load();
    if (last > 0) seqs.push_back(last);
  }
  std::sort(seqs.begin(), seqs.end());
  seqs.erase(std::unique(seqs.begin(), seqs.end()), seqs.end());
  // Every transaction of a workload adds the same number of seqs: the smallest
  // step between recorded commits.
  int64_t span = 0;
  for (size_t i = 1; i < seqs.size(); ++i)
    if (span == 0 || seqs[i] - seqs[i - 1] < span) span = seqs[i] - seqs[i - 1];
  if (span == 0 && !seqs.empty()) span = seqs.front();
  return {seqs.empty() ? 0 : seqs.back(), span};
}

FreshnessBounds Nemesis::widen(FreshnessBounds bounds, Load& load) const {
  if (kind_ != "kill-writer" || !struck_ || !load.deaths().count(0)) return bounds;
  const WorkerSlot& w = load.state().workers[0];
  const int64_t last = w.last_committed_seq.load();
  // Its lost samples are all at or below its last returned COMMIT; a
  // transaction in flight, if it committed, is above every recorded one.
  int64_t hi = std::max(bounds.max.value_or(0), last);
  if (w.in_tx.load()) {
    const auto [committed, span] = committed_and_span(load);
    hi = std::max(hi, committed + span);
  }
  bounds.max = hi;
  return bounds;
}

void Nemesis::after_trial(TrialResult& t, Load& load, const std::string& db, const std::string& scratch) {
  if (kind_ == "none") return;
  join();
  if (!t.fault) {
    t.fault.emplace();
    t.fault->kind = kind_;
  }
  FaultRecord& f = *t.fault;
  f.injected = struck_ && (kind_ != "kill-backup" || backup_killed_);
  f.injected_ns = f.injected ? struck_ns_.load() : 0;
  f.during_backup = during_backup_;
  f.mid_transaction = mid_transaction_;
  f.detail = strike_detail_;
  f.partials_removed = partials_removed_;
  if (kind_ == "kill-writer" && f.injected && !t.load.steady)
    t.load.reason += "; writer 0 was killed by the nemesis, and its samples not yet written with it";
  if (tmpfs_) f.dest = tmpfs_->info();
  if (faultfs_) {
    auto errors = faultfs_->injected();
    f.dest = faultfs_->info();
    f.dest["errors"] = errors.size();
    f.injected = !errors.empty();
    f.during_backup = f.injected ? std::optional<bool>(true) : std::nullopt;
    f.detail = errors.empty()
                   ? "not injected: no write or fsync reached the faulty destination"
                   : fmt::format("{} error(s) returned to the backup; the first: {}", errors.size(), errors.front());
  }

  // The outcome: a snapshot that is OK, or FAILED with a reason and nothing at
  // the destination; never a wrong snapshot from a strategy expected to be safe.
  FaultCheck out;
  const BackupRun& b = t.first();
  if (b.backup.status == BackupStatus::kSkipped) {
    out.detail = "skipped: " + b.backup.error;
  } else if (b.backup.completed()) {
    if (!dest_left_.empty()) {
      out.ok = false;
      out.detail = "the backup completed but left temporaries: " + dest_left_;
    } else if (b.verdict.ok()) {
      out.detail = "completed; the snapshot is OK";
    } else if (t.expected_safe) {
      out.ok = false;
      out.detail = fmt::format("a wrong snapshot from a strategy expected to be safe: {}: {}", b.verdict.status,
                               b.verdict.detail);
    } else {
      out.detail = fmt::format("completed; the snapshot is {} (the strategy is not expected to be safe here): {}",
                               b.verdict.status, b.verdict.detail);
    }
  } else if (b.backup.error.empty()) {
    out.ok = false;
    out.detail = "the backup failed without a reason";
  } else if (!dest_left_.empty()) {
    out.ok = false;
    out.detail = fmt::format("the backup failed ({}) but left {} at the destination", b.backup.error, dest_left_);
  } else {
    const nlohmann::json kind = b.backup.failure;
    out.detail = fmt::format("{} ({}): {}; nothing at the destination",
                             b.backup.status == BackupStatus::kTimeout ? "timed out" : "failed",
                             kind.is_string() ? kind.get<std::string>() : "?", b.backup.error);
  }
  t.outcome_check = out;

  // The source: every transaction whose COMMIT returned is there, and nothing
  // else but a killed writer's transaction in flight (either way is fine).
  const auto [lo, span] = committed_and_span(load);
  const bool in_flight = kind_ == "kill-writer" && load.deaths().count(0) && load.state().workers[0].in_tx.load() != 0;
  FreshnessBounds bounds{lo, std::nullopt};
  if (!in_flight)
    bounds.max = lo;
  else if (span > 0)
    bounds.max = lo + span;
  FaultCheck src;
  src.facts = {{"committed_min", lo},
               {"committed_max", bounds.max ? nlohmann::json(*bounds.max) : nullptr},
               {"in_flight", in_flight},
               {"source_seq", nullptr}};
  try {
    Verdict v = validate_snapshot(db, workload_, bounds, ValidateOptions(false, scratch));
    src.ok = v.ok();
    src.status = to_string(v.status);
    src.facts["source_seq"] = v.snapshot_seq;
    src.facts["checks"] = v.checks;
    src.facts["recovered_copy"] = v.recovered_copy;
    if (!v.ok()) {
      src.detail = v.detail;
    } else {
      src.detail = fmt::format("consistent, and holds every transaction whose COMMIT returned (up to seq {})", lo);
      if (in_flight)
        src.detail += v.snapshot_seq > lo ? "; the killed writer's transaction in flight committed"
                                          : "; the killed writer's transaction in flight was rolled back";
    }
  } catch (const std::exception& e) {
    src.ok = false;
    src.status = "ERROR";
    src.detail = fmt::format("the source could not be checked: {}", e.what());
  }
  t.source_check = src;
}

}  // namespace bb
