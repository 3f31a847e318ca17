// Small helpers shared by the strategy files (strategies/ only): a lock-retrying
// busy handler and a BUSY-retry loop.
#pragma once
#include <sqlite3.h>

#include <chrono>
#include <cstdint>
#include <thread>

#include "core/clock.h"
#include "core/sqlite_db.h"
#include "strategies/strategy.h"

namespace bb {

// A busy handler that retries a lock every millisecond until a deadline and
// counts the retries in the job. SQLite's own busy_timeout sleeps ever longer (up
// to 100 ms between tries), so under a steady stream of writers in rollback mode
// a backup asking for a lock keeps missing the short gaps between their
// transactions.
class EagerBusy {
 public:
  EagerBusy(sqlite3* db, int64_t timeout_ms, BackupJob& job) : timeout_ns_(timeout_ms * 1'000'000), job_(job) {
    sqlite3_busy_handler(db, &EagerBusy::handler, this);
  }
  EagerBusy(const EagerBusy&) = delete;
  EagerBusy& operator=(const EagerBusy&) = delete;

 private:
  static int handler(void* self, int n) {
    auto* b = static_cast<EagerBusy*>(self);
    const int64_t now = now_ns();
    if (n == 0) b->deadline_ = now + b->timeout_ns_;  // a new wait begins
    if (now >= b->deadline_) return 0;
    b->job_.busy_retry();
    std::this_thread::sleep_for(std::chrono::milliseconds(1));  // lock back-off, not synchronisation
    return 1;
  }
  int64_t timeout_ns_;
  BackupJob& job_;
  int64_t deadline_ = 0;
};

// Lock waits of the strategies that take one: each wait retries every
// millisecond (EagerBusy) for kLockWaitMs; a BUSY that still comes back is
// retried up to kMaxBusyErrors times before the backup fails (kind: locked).
constexpr int kLockWaitMs = 2000;
constexpr int kMaxBusyErrors = 60;

// Runs `attempt` until it returns without a BUSY/LOCKED error, calling
// `after_busy` after each one; other errors, or too many BUSY, propagate.
// Returns how many BUSY errors it absorbed.
template <typename Attempt, typename AfterBusy>
int64_t retry_busy(Attempt&& attempt, AfterBusy&& after_busy) {
  for (int64_t busy_errors = 0;;) {
    try {
      attempt();
      return busy_errors;
    } catch (const SqliteError& e) {
      if (!e.busy() || ++busy_errors > kMaxBusyErrors) throw;
      after_busy();
    }
  }
}

}  // namespace bb
