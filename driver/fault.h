// A fault kind (docs/faults.md): one file in faults/ that registers a FaultKind
// by name, as a strategy does, and makes a Fault for each faulted trial. What
// every kind shares is here (the Strike) and in the nemesis (driver/nemesis.h:
// the outcome and source checks).
#pragma once
#include <sys/types.h>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "core/shared_state.h"
#include "results/trial_result.h"

namespace bb {

class Load;
struct ExitStatus;

// What a kind strikes: the trial's first writer, its first reader, the backup
// process, or the destination (a filesystem; no process is signalled).
enum class FaultAim { kWriter, kReader, kBackup, kDestination };

// A strike, run on a thread of its own once the backup reached fault_at +
// fault_delay_ms: the target, the signals a kind sends it (by pidfd: a reused
// pid is never hit), and the record of what happened.
class Strike {
 public:
  Strike(std::string fault_at, int64_t delay_ms) : at_(std::move(fault_at)), delay_ms_(delay_ms) {}
  ~Strike();  // cancels, joins, and resumes a target it left stopped
  Strike(const Strike&) = delete;
  Strike& operator=(const Strike&) = delete;

  // -- For a kind, on the strike's thread.
  SharedState& state();
  int slot() const { return slot_; }  // the target worker's slot; -1 for the backup or the destination
  pid_t pid() const { return pid_; }
  const std::string& who() const { return who_; }  // "writer 0 (pid 4242)"
  // Sends `sig` to the target; false (errno set) when it has ended.
  bool signal(int sig);
  // Waits (at most a second) until the target is really stopped.
  bool wait_stopped() const;
  bool is_stopped() const;
  // Stops a writer target as a transaction begins (looking at its slot while it
  // cannot move); true: stopped inside one; false: 150 ms of misses, it runs on
  // between transactions; nullopt: the load stopped or the trial was cancelled
  // first (the detail says so).
  std::optional<bool> stop_in_transaction();
  // Waits `ms`, or less when the load stops, the target ends, or the trial is
  // cancelled; true when it waited the full time.
  bool hold(int64_t ms);
  // SIGKILL, then waits (at most 5 s) until the target is gone; records the
  // strike. False when it had already ended (the detail says so).
  bool kill();
  // Records now as the moment of the strike, and whether the backup still held
  // the database then (unless already recorded).
  void struck();
  bool cancelled();
  bool backup_done() const { return backup_done_; }

  // -- The record (read once the strike's thread is joined).
  std::string detail;
  std::optional<bool> during_backup, mid_transaction;
  bool was_struck() const { return struck_; }
  int64_t struck_ns() const { return struck_ns_; }

  // -- For the nemesis.
  // Maps the load's segment and opens the target (process `pid`, worker `slot`
  // or -1; neither for the destination); false when the target is not running
  // (the detail says so).
  bool arm(const std::string& segment, FaultAim aim, int slot, pid_t pid);
  // Runs `body` on the strike's thread once the backup reaches fault_at + delay.
  void start(std::function<void(Strike&)> body);
  void backup_ended() { backup_done_ = true; }
  void join();

 private:
  bool wait_ms(int64_t ms);  // false when cancelled

  std::string at_;
  int64_t delay_ms_ = 0;
  std::unique_ptr<ShmSegment> seg_;  // its own mapping of the load's segment
  int slot_ = -1;
  pid_t pid_ = 0;
  int fd_ = -1;
  std::string who_;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool cancel_ = false;
  std::atomic<bool> backup_done_{false}, struck_{false}, stopped_{false};
  std::atomic<int64_t> struck_ns_{0};
};

// A kind's fault in one trial: its preparation (constructor), undone when the
// trial ends (destructor). The hooks run in this order.
class Fault {
 public:
  virtual ~Fault() = default;
  // Why it cannot be injected here (the trial is skipped with it); empty: it can.
  virtual std::string cannot() const { return {}; }
  // The folder the backup writes into instead of the trial's own; empty: that one.
  virtual std::string dest_dir() const { return {}; }
  // The strike (not called for a kind that holds from the start).
  virtual void strike(Strike&) {}
  // The backup process ended as `ex`; `b` holds its outcome.
  virtual void backup_ended(BackupRun&, const ExitStatus&, Strike&) {}
  // Whether the backup process died of the strike (then its signal is no harness error).
  virtual bool killed_backup() const { return false; }
  // Freshness bounds widened by what the fault did to the writers' expected
  // state (a killed writer's lost samples, its transaction in flight).
  virtual FreshnessBounds widen(FreshnessBounds bounds, Load&) const { return bounds; }
  // After the trial: what the record holds beyond the strike's.
  virtual void after_trial(FaultRecord&, TrialResult&) {}
};

// When and how hard a cell's fault strikes (docs/faults.md); the kind is the
// cell's. A scenario gives them (fault_at, fault_delay_ms, ...).
struct FaultOptions {
  std::string at = "reading";  // asked | reading
  int64_t delay_ms = 0, pause_ms = 200, write_limit_kb = 256;
};

struct FaultKind {
  std::string name;
  std::string description;  // one line for `list faults`
  FaultAim aim = FaultAim::kDestination;
  bool from_start = false;       // a property of the destination from the start: never struck
  // SIGKILLs its target: a worker's death is then expected (Load::expect_death); a
  // continuous strategy's replicator takes the kill (driver/companion.h).
  bool kills = false;
  bool outlives_backup = false;  // its strike may run on after the backup ended (into the cool-down)
  std::function<std::unique_ptr<Fault>(const FaultOptions&, const Cell&)> make;
};

// Registration: one line in each kind's file.
bool register_fault(FaultKind kind);
// By name.
const std::vector<FaultKind>& fault_kinds();
const FaultKind* find_fault(const std::string& name);
// What `faults` accepts: "none" (no fault), then every registered kind.
std::vector<std::string> fault_names();
// "writer 0", "reader 0", "the backup process", "the destination".
std::string aim_text(FaultAim aim);

// The writers' expected state (docs/faults.md): the largest seq whose COMMIT
// returned, over the recorded samples and the first `writers` slots, and the
// seqs one transaction adds (the smallest step between recorded commits).
std::pair<int64_t, int64_t> committed_and_span(Load& load, int writers);

}  // namespace bb
