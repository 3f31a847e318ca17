// `online`: the Online Backup API (sqlite3_backup_init/step/finish). A write from
// another process restarts the copy at the next step, so under load a stepped
// backup may never finish; pin_snapshot holds a read transaction on the source
// across all steps so the snapshot cannot change (and restarts cannot happen).
#include <fmt/format.h>

#include <thread>

#include "harness/clock.h"
#include "harness/sqlite_db.h"
#include "strategies/atomic_dest.h"
#include "strategies/strategy.h"
#include "strategies/write_combining_vfs.h"

namespace bb {
namespace {

BackupOutcome run_online(const BackupRequest& req) {
  BackupOutcome out;
  const int64_t pages = param_int(req.params, "pages");
  const int64_t sleep_ms = param_int(req.params, "sleep_ms");
  const bool pin = param_bool(req.params, "pin_snapshot");
  auto& prog = *req.progress;

  Db src(req.src, SQLITE_OPEN_READWRITE);
  src.busy_timeout(5000);
  // Reading through mmap saves a copy per page (sqlite-facts.md: faster step(-1)).
  src.exec("PRAGMA mmap_size = 1099511627776");
  AtomicDest dest(req.dest);
  {
    // Page writes merged into large writes (see write_combining_vfs.h).
    Db dst(dest.tmp(), SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, write_combining_vfs());
    // The destination is private until renamed: no journal, no syncs (commit()
    // fsyncs once at the end).
    dst.exec("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA locking_mode = EXCLUSIVE");
    const int64_t t0 = now_ns();
    prog.started_ns = t0;
    if (pin) {
      src.exec("BEGIN");
      src.query_int("SELECT count(*) FROM sqlite_schema");  // opens the read transaction
      // The snapshot exists from here on; waiting for the read lock (behind a
      // writer's PENDING lock in rollback mode) was not part of the backup window.
      prog.started_ns = now_ns();
      out.extra["pin_wait_ms"] = ns_to_ms(prog.started_ns - t0);
    }
    sqlite3_backup* b = sqlite3_backup_init(dst.get(), "main", src.get(), "main");
    if (!b) dst.fail(sqlite3_errcode(dst.get()), "backup_init");
    int64_t prev_pos = -1;
    int rc = SQLITE_OK;
    while (true) {
      rc = sqlite3_backup_step(b, int(pages));
      ++out.steps;
      if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) {
        ++out.busy_retries;
        prog.busy_retries = out.busy_retries;
        std::this_thread::sleep_for(std::chrono::milliseconds(std::max<int64_t>(1, sleep_ms)));
        continue;
      }
      if (rc != SQLITE_OK && rc != SQLITE_DONE) break;
      int64_t total = sqlite3_backup_pagecount(b), remaining = sqlite3_backup_remaining(b);
      int64_t pos = total - remaining;
      // A restart copies from page 1 again, so the position makes no progress.
      if (rc == SQLITE_OK && prev_pos >= 0 && pos <= prev_pos) ++out.restarts;
      prev_pos = pos;
      prog.steps = out.steps;
      prog.restarts = out.restarts;
      prog.remaining = remaining;
      prog.pagecount = total;
      if (rc == SQLITE_DONE) break;
      if (sleep_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(sleep_ms));
    }
    prog.finished_ns = now_ns();
    int frc = sqlite3_backup_finish(b);
    if (pin) src.exec("COMMIT");
    out.duration_s = ns_to_s(prog.finished_ns - t0);
    if (rc != SQLITE_DONE) {
      out.status = "failed";
      out.error = fmt::format("backup_step: {}", sqlite3_errstr(rc));
      return out;
    }
    if (frc != SQLITE_OK) dst.fail(frc, "backup_finish");
  }
  dest.commit();
  out.bytes = dest.bytes();
  return out;
}

const bool registered = register_strategy({
    .name = "online",
    .description = "Online Backup API: sqlite3_backup_init/step/finish from a separate connection",
    .params = {{"pages", "-1", "pages copied per step (-1 = all in one step)", {}},
               {"sleep_ms", "0", "pause between steps, in milliseconds", {}},
               {"pin_snapshot", "false", "hold a read transaction on the source across all steps",
                {"true", "false"}}},
    .expected_safe = [](const std::string&, const Params&) { return true; },
    .safety_note = "safe in every mode (may restart or time out under load when stepped)",
    .run = run_online,
});

}  // namespace
}  // namespace bb
