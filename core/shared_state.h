// The shared-memory segment through which the driver coordinates its worker and
// backup processes: start barrier, stop flag, per-process counters and the
// backup's progress. Lives in a Boost.Interprocess segment; the driver owns it and
// removes it on every exit path (ShmSegment's destructor, and signal handling in
// the driver's loop).
//
// Any process attached to it may die at any instruction (a nemesis, the OOM
// killer, a user's kill -9). So the segment holds atomics only: no mutex a dead
// process could hold, no condition variable whose waiter group a dead waiter
// leaves unconfirmed (a process-shared pthread_cond_broadcast then blocks for
// ever). Waiting is a futex wait with a timeout on a word the waker changes, so
// every wait has a bound and a dead party only ever costs a timeout.
#pragma once
#include <sys/types.h>

#include <atomic>
#include <boost/interprocess/mapped_region.hpp>
#include <boost/interprocess/shared_memory_object.hpp>
#include <cstdint>
#include <string>

namespace bb {

constexpr int kMaxWorkers = 64;
// How long the driver waits for every worker to reach the start barrier (a
// worker opens its connection and prepares its statements first), and how long
// a worker waits there for the gate to open.
constexpr int64_t kBarrierTimeoutMs = 60'000;

// One slot per worker process; the worker writes, the driver reads.
struct WorkerSlot {
  std::atomic<int> pid{0};
  std::atomic<int64_t> busy_errors{0};  // SQLITE_BUSY/LOCKED returned to the worker
  std::atomic<int64_t> behind{0};       // open-loop: transactions started late
  std::atomic<int64_t> max_lag_ns{0};   // open-loop: worst lateness behind schedule
  // Writers' expected state, which survives a SIGKILL (samples stream in
  // chunks, so a killed writer loses its last ones): the seq of the last
  // transaction whose COMMIT returned, when it returned, and whether a
  // transaction is under way (set before it begins, cleared after its COMMIT
  // returned and last_committed_seq was stored).
  std::atomic<int64_t> last_committed_seq{0};
  std::atomic<int64_t> last_commit_ns{0};
  std::atomic<int> in_tx{0};
  std::atomic<int> failed{0};           // nonzero: the worker hit a fatal error
  char error[200] = {};                 // its message, written before `failed`
};

// What the backup process reports while it runs, so a killed (timed-out) backup
// still leaves its progress behind. The four marks bound the backup's two
// windows (docs/measuring-impact.md): impact = asked..released, snapshot =
// read_begin..read_end. 0 = not reached yet.
struct BackupProgress {
  std::atomic<int64_t> asked_ns{0};       // began asking for the database (before any lock wait)
  std::atomic<int64_t> read_begin_ns{0};  // first read of the source
  std::atomic<int64_t> read_end_ns{0};    // last read of the source
  std::atomic<int64_t> released_ns{0};    // every lock and connection on the source released
  std::atomic<int64_t> steps{0};
  std::atomic<int64_t> restarts{0};
  std::atomic<int64_t> busy_retries{0};
  std::atomic<int64_t> remaining{0};      // pages left, when the strategy knows
};

// The start gate's states (SharedState::gate, a futex word).
enum GateState : int { kGateClosed = 0, kGateOpen = 1, kGateStopped = 2 };

struct SharedState {
  std::atomic<int> arrived{0};                // workers at the barrier (a futex word: the driver waits on it)
  std::atomic<int> gate{kGateClosed};         // a futex word: workers wait on it
  std::atomic<int64_t> t0_ns{0};              // common start of every schedule
  std::atomic<bool> stop{false};
  WorkerSlot workers[kMaxWorkers];
  BackupProgress backup;

  // Worker side: announce readiness, then wait until the gate opens (true) or
  // the load is stopped or `timeout_ms` passes (false). Each futex wait is
  // short, so a driver that died is noticed through `parent_alive`.
  bool arrive_and_wait(int64_t timeout_ms);
  // Driver side: waits up to `timeout_ms` until `expected` workers arrived.
  bool wait_for_arrivals(int expected, int64_t timeout_ms);
  // Driver side: sets t0 and opens the gate for every worker at once. Never
  // blocks, whoever has died.
  void release(int64_t t0);
  // Driver side: sets the stop flag and wakes anyone still at the gate.
  void request_stop();
};

// Waits while `*word == expected`, at most `timeout_ns` (a shared futex: works
// across processes mapping the same segment). Returns at once when the value
// differs; spurious wake-ups are the caller's loop's business.
void futex_wait_for(std::atomic<int>& word, int expected, int64_t timeout_ns);
// Wakes every process waiting on `word`.
void futex_wake_all(std::atomic<int>& word);

// Owns (creator) or attaches to (worker) a named segment holding one SharedState.
class ShmSegment {
 public:
  // Creates a fresh segment; removes a stale one with the same name first.
  static ShmSegment create(const std::string& name);
  static ShmSegment attach(const std::string& name);
  ShmSegment(ShmSegment&&) noexcept;
  ~ShmSegment();  // the owner removes the segment

  SharedState* state() const { return state_; }
  const std::string& name() const { return name_; }
  // Removes the segment name now (idempotent); the mapping stays valid.
  void remove();

 private:
  ShmSegment() = default;
  std::string name_;
  bool owner_ = false;
  boost::interprocess::mapped_region region_;
  SharedState* state_ = nullptr;
};

// A unique segment name for this driver process.
std::string make_segment_name();
// Removes segments left by drivers that were killed (their pid no longer exists).
void remove_stale_segments();

}  // namespace bb
