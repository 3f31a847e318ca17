// The nemesis's checker: what a faulted trial's outcome and source must be
// (docs/faults.md), from the expected state the writers keep in shared memory.
#include <fmt/format.h>

#include <algorithm>

#include "core/shared_state.h"
#include "driver/load.h"
#include "driver/nemesis.h"
#include "validation/validator.h"

namespace bb {
namespace {

// A snapshot that is OK, or FAILED with a reason and nothing at the
// destination; never a wrong snapshot from a strategy expected to be safe.
// `left`: what the backup left at the destination.
FaultCheck outcome_check(const TrialResult& t, const std::string& left) {
  FaultCheck out;
  const BackupRun& b = t.first();
  if (b.backup.status == BackupStatus::kSkipped) {
    out.detail = "skipped: " + b.backup.error;
  } else if (b.backup.completed()) {
    if (!left.empty()) {
      out.ok = false;
      out.detail = "the backup completed but left temporaries: " + left;
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
  } else if (!left.empty()) {
    out.ok = false;
    out.detail = fmt::format("the backup failed ({}) but left {} at the destination", b.backup.error, left);
  } else {
    const nlohmann::json kind = b.backup.failure;
    out.detail = fmt::format("{} ({}): {}; nothing at the destination",
                             b.backup.status == BackupStatus::kTimeout ? "timed out" : "failed",
                             kind.is_string() ? kind.get<std::string>() : "?", b.backup.error);
  }
  return out;
}

// Every transaction whose COMMIT returned is in the live database `db`, and
// nothing else but what `bounds` allow beyond that (a killed writer's
// transaction in flight: either way is fine).
FaultCheck source_check(const std::string& db, const std::string& workload, const std::string& scratch,
                        int64_t committed, FreshnessBounds bounds) {
  const bool in_flight = bounds.max != committed;
  FaultCheck src;
  src.facts = {{"committed_min", committed},
               {"committed_max", bounds.max ? nlohmann::json(*bounds.max) : nullptr},
               {"in_flight", in_flight},
               {"source_seq", nullptr}};
  try {
    Verdict v = validate_snapshot(db, workload, bounds, ValidateOptions(false, scratch));
    src.ok = v.ok();
    src.status = to_string(v.status);
    src.facts["source_seq"] = v.snapshot_seq;
    src.facts["checks"] = v.checks;
    src.facts["recovered_copy"] = v.recovered_copy;
    if (!v.ok()) {
      src.detail = v.detail;
    } else {
      src.detail =
          fmt::format("consistent, and holds every transaction whose COMMIT returned (up to seq {})", committed);
      if (in_flight)
        src.detail += v.snapshot_seq > committed ? "; the killed writer's transaction in flight committed"
                                                 : "; the killed writer's transaction in flight was rolled back";
    }
  } catch (const std::exception& e) {
    src.ok = false;
    src.status = "ERROR";
    src.detail = fmt::format("the source could not be checked: {}", e.what());
  }
  return src;
}

}  // namespace

std::pair<int64_t, int64_t> committed_and_span(Load& load, int writers) {
  std::vector<int64_t> seqs;
  for (auto& smp : load.writer_samples) seqs.push_back(smp.seq);
  for (int i = 0; i < writers; ++i) {
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

void Nemesis::after_trial(TrialResult& t, Load& load, const std::string& db, const std::string& scratch) {
  if (!kind_) return;
  hit_->join();
  if (!t.fault) {
    t.fault.emplace();
    t.fault->kind = kind_->name;
  }
  FaultRecord& f = *t.fault;
  f.injected = hit_->was_struck();
  f.injected_ns = hit_->struck_ns();
  f.during_backup = hit_->during_backup;
  f.mid_transaction = hit_->mid_transaction;
  f.detail = hit_->detail;
  fault_->after_trial(f, t);
  if (!f.injected) f.injected_ns = 0;
  t.outcome_check = outcome_check(t, dest_left_);
  // The source's bounds: exactly the returned commits, unless the fault says
  // otherwise (the same widening as a snapshot's).
  const int64_t committed = committed_and_span(load, writers_).first;
  t.source_check = source_check(db, workload_, scratch, committed, fault_->widen({committed, committed}, load));
}

}  // namespace bb
