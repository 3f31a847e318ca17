// The nemesis (as Jepsen's): a fault of a registered kind (driver/fault.h,
// faults/) injected into a trial relative to its backup, and the checks every
// faulted trial gets: the outcome (a snapshot that is OK, or FAILED with a
// reason and nothing at the destination) and the source (consistent, holding
// every returned COMMIT). docs/faults.md. run_trial calls it at five places, in
// the order below.
#pragma once
#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>

#include "core/process.h"
#include "driver/fault.h"
#include "results/cell.h"

namespace bb {

class Load;

// The fault record a cell starts with (kind, when, target; nothing injected
// yet); nullopt for a cell without a fault.
std::optional<FaultRecord> planned_fault(const FaultOptions& s, const Cell& c);

class Nemesis {
 public:
  // Prepares the cell's fault (its kind's Fault).
  // The snapshots and the source are judged by `workload`'s checks.
  Nemesis(const FaultOptions& s, const Cell& c, const std::string& workload);
  ~Nemesis();  // stops the strike (resuming a stopped target), undoes the preparation
  Nemesis(const Nemesis&) = delete;
  Nemesis& operator=(const Nemesis&) = delete;

  // Why the fault cannot be injected here (the trial is skipped with it).
  const std::string& cannot() const { return cannot_; }
  // Where the backup writes: `dest`, or the same name on the fault's filesystem.
  std::string destination(const std::string& dest) const;

  // The backup process `backup` has been started: strikes from a thread of its
  // own when the backup reaches the scenario's fault_at (+ fault_delay_ms).
  void strike(Load& load, pid_t backup);
  // The backup process has ended as `ex`; `b` holds its outcome. The kind has
  // its say, then what the destination holds is noted.
  void backup_ended(BackupRun& b, const ExitStatus& ex);
  // Whether the nemesis killed the backup process.
  bool killed_backup() const { return fault_ && fault_->killed_backup(); }
  // A snapshot's freshness bounds from the recorded samples, widened by what
  // the fault did to the writers' expected state.
  FreshnessBounds widen(FreshnessBounds bounds, Load& load) const;
  // After the load stopped and the snapshot was judged: the outcome check and
  // the source check (the live database validated read-only; `scratch` takes a
  // private copy when recovery is needed), into t.fault / outcome_check /
  // source_check.
  void after_trial(TrialResult& t, Load& load, const std::string& db, const std::string& scratch);

 private:
  const FaultKind* kind_ = nullptr;  // null: no fault
  int writers_ = 0;
  std::string workload_;
  std::string cannot_;
  std::unique_ptr<Fault> fault_;
  // Declared after the fault, so its thread ends before the fault is undone.
  std::unique_ptr<Strike> hit_;
  std::string dest_left_;  // what a failed backup left at the destination; empty: nothing
};

}  // namespace bb
