// Worker process main loop. Timing wraps the workload's transaction here, so the
// workload contains no timing code.
#include "workloads/worker.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "core/clock.h"
#include "core/samples.h"
#include "core/shared_state.h"
#include "workloads/workload.h"

namespace bb {
namespace {

// A paced worker sleeps at most this long at a time, so the stop flag is seen
// within it whatever the rate.
constexpr int64_t kMaxSleepNs = 20'000'000;

void report_failure(WorkerSlot& slot, const std::string& msg) {
  std::strncpy(slot.error, msg.c_str(), sizeof slot.error - 1);
  slot.failed = 1;
}

// The workers' busy handler. By default it waits as SQLite's own busy_timeout
// does (1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50, then 100 ms between tries: what
// a real application with a busy timeout does, lock fairness included), with
// `poll_ms` > 0 it retries at that fixed interval. Unlike SQLite's handler it
// also gives up when the stop flag is set, so a stopped worker never sleeps on.
struct BusyWait {
  const SharedState& st;
  int64_t poll_ns, timeout_ns;
  int64_t deadline = 0;
  static int handler(void* self, int n) {
    static constexpr int64_t kBackoffMs[] = {1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50, 100};
    auto* b = static_cast<BusyWait*>(self);
    const int64_t now = now_ns();
    if (n == 0) b->deadline = now + b->timeout_ns;
    if (now >= b->deadline || b->st.stop.load(std::memory_order_relaxed)) return 0;
    int64_t step = b->poll_ns;
    if (step <= 0) step = kBackoffMs[std::min<size_t>(size_t(n), std::size(kBackoffMs) - 1)] * 1'000'000;
    // Sleeps in short slices so the stop flag is seen within kMaxSleepNs.
    const int64_t until = std::min(b->deadline, now + step);
    while (now_ns() < until && !b->st.stop.load(std::memory_order_relaxed))
      sleep_until_ns(std::min(until, now_ns() + kMaxSleepNs));
    return 1;
  }
};

// Sleeps until `t` or until the stop flag is set; false when stopped.
bool sleep_until_or_stop(const SharedState& st, int64_t t) {
  while (!st.stop.load(std::memory_order_relaxed)) {
    int64_t now = now_ns();
    if (now >= t) return true;
    sleep_until_ns(std::min(t, now + kMaxSleepNs));
  }
  return false;
}

// The start barrier: true when the gate opened; false when the load was
// stopped first (nothing to do). A gate that never opens is a failure.
bool wait_at_gate(SharedState& st) {
  if (st.arrive_and_wait(kBarrierTimeoutMs)) return true;
  if (st.stop.load()) return false;
  throw std::runtime_error(fmt::format("the start gate did not open within {} s", kBarrierTimeoutMs / 1000));
}

template <typename Op>
void loop(SharedState& st, WorkerSlot& slot, const WorkerArgs& a, Op&& op, SampleWriter& log) {
  Rng rng(a.seed);
  const int64_t period = a.rate > 0 ? int64_t(1e9 / a.rate) : 0;
  const int64_t t0 = st.t0_ns.load();
  for (int64_t k = 0; !st.stop.load(std::memory_order_relaxed); ++k) {
    int64_t intended = 0;
    if (period) {
      // Open loop: operation k is due at t0 + k*period whatever happened before,
      // so time lost in a stall is charged to every operation scheduled in it.
      intended = t0 + a.offset_ns + k * period;
      int64_t now = now_ns();
      if (now < intended) {
        if (!sleep_until_or_stop(st, intended)) break;
      } else if (now - intended > period) {
        slot.behind.fetch_add(1, std::memory_order_relaxed);
        if (now - intended > slot.max_lag_ns.load(std::memory_order_relaxed)) slot.max_lag_ns = now - intended;
      }
    }
    int64_t start = now_ns();
    if (!period) intended = start;
    int32_t attempts = 1;
    int64_t seq = 0;
    bool done = false;
    slot.in_tx = 1;
    while (!done) {
      try {
        seq = op(rng);
        done = true;
      } catch (const SqliteError& e) {
        if (!e.busy()) throw;
        slot.busy_errors.fetch_add(1, std::memory_order_relaxed);
        ++attempts;
        if (st.stop.load(std::memory_order_relaxed)) break;
      }
    }
    const int64_t end = now_ns();
    if (done && seq > 0) {
      // COMMIT returned: the expected state in shared memory, before in_tx clears.
      slot.last_committed_seq = seq;
      slot.last_commit_ns = end;
    }
    slot.in_tx = 0;
    if (!done) break;
    if (seq < 0) continue;  // rolled back by the workload (a constraint error): no commit to record
    log.record({seq, intended, start, end, int32_t(a.slot), attempts});
  }
}

}  // namespace

int worker_main(const WorkerArgs& a) {
  ShmSegment seg = ShmSegment::attach(a.shm);
  SharedState& st = *seg.state();
  WorkerSlot& slot = st.workers[a.slot];
  slot.pid = getpid();
  int rc = 0;
  try {
    SampleWriter log(a.samples);
    try {
      auto workload = make_workload(a.workload);
      if (!workload) throw std::runtime_error("unknown workload " + a.workload);
      Db db(a.db, SQLITE_OPEN_READWRITE);
      BusyWait busy{st, int64_t(a.busy_poll_ms) * 1'000'000, int64_t(a.busy_timeout_ms) * 1'000'000};
      sqlite3_busy_handler(db.get(), &BusyWait::handler, &busy);
      db.exec(fmt::format("PRAGMA synchronous = {}; PRAGMA wal_autocheckpoint = {}", a.synchronous,
                          a.wal_autocheckpoint));
      if (a.role == "writer") {
        auto tx = workload->writer(db, a.slot);
        if (!wait_at_gate(st)) return 0;
        loop(st, slot, a, [&](Rng& r) { return tx->run(r); }, log);
        tx->write_stats(a.samples + ".kinds.json");
      } else {
        auto tx = workload->reader(db, a.slot, parse_reader_shape(a.reader_shape));
        if (!wait_at_gate(st)) return 0;
        loop(st, slot, a, [&](Rng& r) { tx->run(r); return int64_t(0); }, log);
      }
    } catch (const std::exception& e) {
      report_failure(slot, e.what());
      rc = 3;
    }
    log.close();
  } catch (const std::exception& e) {
    report_failure(slot, e.what());
    rc = 3;
  }
  return rc;
}

}  // namespace bb
