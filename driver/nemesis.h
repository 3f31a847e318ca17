// The nemesis (as Jepsen's): a fault injected into a trial on purpose, relative
// to its backup -- a writer killed mid-transaction, a reader or the backup
// process killed, a writer paused, the destination disk filled, the
// destination's writes or fsyncs failing -- and the checks every faulted trial
// gets: the outcome (a snapshot that is OK, or FAILED with a reason and nothing
// at the destination) and the source (consistent, and holding every transaction
// whose COMMIT returned; a killed writer's transaction in flight may be there or
// not, as in RocksDB's expected state). docs/faults.md.
//
// run_trial calls it at five places: planned_fault() when the trial starts, a
// Nemesis once the trial's folder exists (it mounts the destination's
// filesystem), strike() when the backup process starts, backup_ended() when it
// has ended, after_trial() once the load has stopped and the snapshot is judged.
#pragma once
#include <sys/types.h>

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "core/process.h"
#include "driver/scenario.h"
#include "results/trial_result.h"

namespace bb {

class Load;
class LoopFs;
class FaultFs;
class ShmSegment;

// The fault record a cell starts with (kind, when, target; nothing injected
// yet); nullopt for a cell without a fault.
std::optional<FaultRecord> planned_fault(const Scenario& s, const Cell& c);

class Nemesis {
 public:
  // Prepares the cell's fault: fill-dest mounts a small tmpfs, fail-dest-* a
  // fault-injecting FUSE filesystem (core/fault_fs.h), for the destination.
  Nemesis(const Scenario& s, const Cell& c);
  ~Nemesis();  // stops the strike (resuming a paused writer), unmounts
  Nemesis(const Nemesis&) = delete;
  Nemesis& operator=(const Nemesis&) = delete;

  // Why the fault cannot be injected here (the trial is skipped with it).
  const std::string& cannot() const { return cannot_; }
  // Where the backup writes: `dest`, or the same name on the fault's filesystem.
  std::string destination(const std::string& dest) const;

  // The backup process `backup` has been started: strikes from a thread of its
  // own when the backup reaches the scenario's fault_at (+ fault_delay_ms).
  void strike(Load& load, pid_t backup);
  // The backup process has ended as `ex`; `b` holds its outcome. Names the
  // nemesis in the outcome of a backup it killed, removes that backup's
  // temporaries (as the next backup would), notes what the destination holds.
  void backup_ended(BackupRun& b, const ExitStatus& ex);
  // Whether the nemesis killed the backup process (kill-backup, struck).
  bool killed_backup() const { return backup_killed_; }
  // A snapshot's freshness bounds from the recorded samples, widened by what a
  // killed writer's expected state says (its last samples died with it): its
  // last returned COMMIT, and its transaction in flight.
  FreshnessBounds widen(FreshnessBounds bounds, Load& load) const;
  // After the load stopped and the snapshot was judged: the outcome check and
  // the source check (the live database validated read-only; `scratch` takes a
  // private copy when recovery is needed), into t.fault / outcome_check /
  // source_check.
  void after_trial(TrialResult& t, Load& load, const std::string& db, const std::string& scratch);

 private:
  void run_strike();
  void strike_now();
  bool wait_ms(int64_t ms);  // false when cancelled
  void join();
  // The largest seq whose COMMIT returned, and the seqs one transaction adds.
  std::pair<int64_t, int64_t> committed_and_span(Load& load) const;

  std::string kind_, at_;
  int64_t delay_ms_ = 0, pause_ms_ = 0;
  int writers_ = 0;
  std::string workload_;
  std::string cannot_;
  std::unique_ptr<LoopFs> tmpfs_;
  std::unique_ptr<FaultFs> faultfs_;
  std::string dest_dir_;  // empty: the trial's own folder

  // The strike: its own mapping of the load's segment, so it outlives nothing.
  std::unique_ptr<ShmSegment> seg_;
  Load* load_ = nullptr;
  int target_slot_ = -1;  // kill/pause-writer, kill-reader
  pid_t target_pid_ = 0;
  int target_fd_ = -1;  // a pidfd of the target process (no pid reuse can misdirect a signal)
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool cancel_ = false;
  std::atomic<bool> backup_done_{false}, struck_{false}, paused_{false};
  std::atomic<int64_t> struck_ns_{0};
  std::optional<bool> during_backup_, mid_transaction_;
  std::string strike_detail_;
  int64_t ballast_bytes_ = 0;

  // Noted when the backup ended.
  bool backup_killed_ = false;
  int64_t partials_removed_ = 0;
  std::string dest_left_;  // what a failed backup left at the destination; empty: nothing
};

}  // namespace bb
