// Worker process main loop. Timing wraps the workload's transaction here, so the
// workload contains no timing code.
#include "harness/worker.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "harness/clock.h"
#include "harness/samples.h"
#include "harness/shared_state.h"
#include "workloads/workload.h"

namespace bb {
namespace {

void report_failure(WorkerSlot& slot, const std::string& msg) {
  std::strncpy(slot.error, msg.c_str(), sizeof slot.error - 1);
  slot.failed = 1;
}

template <typename Op>
int loop(SharedState& st, WorkerSlot& slot, const WorkerArgs& a, Op&& op, SampleLog& log) {
  Rng rng(a.seed);
  const int64_t period = a.rate > 0 ? int64_t(1e9 / a.rate) : 0;
  const int64_t t0 = st.t0_ns.load();
  for (int64_t k = 0; !st.stop.load(std::memory_order_relaxed); ++k) {
    int64_t intended;
    if (period) {
      // Open loop: transaction k is due at t0 + k*period whatever happened before,
      // so time lost in a stall is charged to every transaction scheduled in it.
      intended = t0 + a.offset_ns + k * period;
      int64_t now = now_ns();
      if (now < intended) {
        sleep_until_ns(intended);
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
    if (!done) break;
    log.record({seq, intended, start, now_ns(), int32_t(a.slot), attempts});
    slot.ops.fetch_add(1, std::memory_order_relaxed);
  }
  return 0;
}

}  // namespace

int worker_main(const WorkerArgs& a) {
  ShmSegment seg = ShmSegment::attach(a.shm);
  SharedState& st = *seg.state();
  WorkerSlot& slot = st.workers[a.slot];
  slot.pid = getpid();
  slot.role = a.role == "writer" ? int(Role::kWriter) : int(Role::kReader);
  SampleLog log;
  int rc = 0;
  try {
    auto info = find_workload(a.workload);
    if (!info) throw std::runtime_error("unknown workload " + a.workload);
    auto workload = info->make();
    Db db(a.db, SQLITE_OPEN_READWRITE);
    db.busy_timeout(a.busy_timeout_ms);
    db.exec(fmt::format("PRAGMA synchronous = {}; PRAGMA wal_autocheckpoint = {}", a.synchronous,
                        a.wal_autocheckpoint));
    if (a.role == "writer") {
      auto tx = workload->writer(db, a.slot);
      st.arrive_and_wait();
      rc = loop(st, slot, a, [&](Rng& r) { return tx->run(r); }, log);
    } else {
      auto tx = workload->reader(db, a.slot);
      st.arrive_and_wait();
      rc = loop(st, slot, a, [&](Rng& r) { tx->run(r); return int64_t(0); }, log);
    }
  } catch (const std::exception& e) {
    report_failure(slot, e.what());
    rc = 3;
  }
  try {
    log.write(a.samples);
  } catch (const std::exception& e) {
    report_failure(slot, e.what());
    rc = 3;
  }
  return rc;
}

}  // namespace bb
