// `online`: the Online Backup API (sqlite3_backup_init/step/finish). A write from
// another process restarts the copy at the next step, so under load a stepped
// backup may never finish; pin_snapshot holds a read transaction on the source
// across all steps so the snapshot cannot change (and restarts cannot happen).
#include <fmt/format.h>

#include <thread>

#include "core/sqlite_db.h"
#include "strategies/source_db.h"
#include "strategies/strategy.h"
#include "strategies/write_combining_vfs.h"

namespace bb {
namespace {

void run_online(BackupJob& job) {
  const int64_t pages = job.param_int("pages");
  const int64_t sleep_ms = job.param_int("sleep_ms");
  const bool pin = job.param_bool("pin_snapshot");

  SourceDb src(job);
  src.busy_timeout(5000);
  // Reading through mmap saves a copy per page (sqlite-facts.md: faster step(-1)).
  // The mapped pages count in this process's resident size but are the page
  // cache's, not its own memory (docs/measuring-impact.md, memory).
  src.exec("PRAGMA mmap_size = 1099511627776");
  // Page writes merged into large writes (see write_combining_vfs.h).
  Db dst(job.tmp(), SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, write_combining_vfs());
  // The destination is private until renamed: no journal, no syncs (the runner
  // fsyncs once at the end).
  dst.exec("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA locking_mode = EXCLUSIVE");
  if (pin) {
    src.exec("BEGIN");
    src.query_int("SELECT count(*) FROM sqlite_schema");  // opens the read transaction: the snapshot
    job.reading();
  }
  sqlite3_backup* b = sqlite3_backup_init(dst.get(), "main", src.get(), "main");
  if (!b) dst.fail(sqlite3_errcode(dst.get()), "backup_init");
  int64_t prev_pos = -1;
  int rc = SQLITE_OK;
  while (true) {
    job.reading();
    rc = sqlite3_backup_step(b, int(pages));
    if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) {
      job.busy_retry();
      std::this_thread::sleep_for(std::chrono::milliseconds(std::max<int64_t>(1, sleep_ms)));
      continue;
    }
    if (rc != SQLITE_OK && rc != SQLITE_DONE) break;
    int64_t total = sqlite3_backup_pagecount(b), remaining = sqlite3_backup_remaining(b);
    int64_t pos = total - remaining;
    // A restart copies from page 1 again, so the position makes no progress.
    if (rc == SQLITE_OK && prev_pos >= 0 && pos <= prev_pos) job.restart();
    prev_pos = pos;
    job.step(remaining);
    if (rc == SQLITE_DONE) break;
    if (sleep_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(sleep_ms));
  }
  job.read_done();
  int frc = sqlite3_backup_finish(b);
  if (pin) src.exec("COMMIT");
  if (rc != SQLITE_DONE) throw SqliteError(rc, fmt::format("backup_step: {}", sqlite3_errstr(rc)));
  if (frc != SQLITE_OK) dst.fail(frc, "backup_finish");
}

const bool registered = register_strategy({
    .name = "online",
    .description = "Online Backup API: sqlite3_backup_init/step/finish from a separate connection",
    .params = {{"pages", "-1", "pages copied per step (-1 = all in one step)", {}, 1, 1 << 30, {-1}},
               {"sleep_ms", "0", "pause between steps, in milliseconds", {}, 0, 10'000},
               {"pin_snapshot", "false", "hold a read transaction on the source across all steps",
                {"true", "false"}}},
    .expected_safe = [](const std::string&, const Params&) { return true; },
    .safety_note = "safe in every mode (may restart or time out under load when stepped)",
    .run = run_online,
});

}  // namespace
}  // namespace bb
