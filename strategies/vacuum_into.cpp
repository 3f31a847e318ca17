// `vacuum-into`: `VACUUM INTO 'dest'` from a separate connection. SQLite takes only
// a read transaction for it (src/vacuum.c): in WAL mode writers go on (while the
// long read holds back checkpoints), in rollback mode its SHARED lock blocks every
// commit until it finishes. The output is a fresh, vacuumed file, written to
// AtomicDest's temporary name and renamed when complete.
#include <fmt/format.h>

#include <filesystem>

#include "harness/clock.h"
#include "harness/sqlite_db.h"
#include "strategies/atomic_dest.h"
#include "strategies/strategy.h"
#include "strategies/strategy_util.h"

namespace fs = std::filesystem;

namespace bb {
namespace {


BackupOutcome run_vacuum_into(const BackupRequest& req) {
  BackupOutcome out;
  auto& prog = *req.progress;
  Db src(req.src, SQLITE_OPEN_READWRITE);
  EagerBusy busy(src.get(), kLockWaitMs, &prog.busy_retries);
  AtomicDest dest(req.dest);
  // The INTO argument as an SQL string literal (quotes doubled).
  char* lit = sqlite3_mprintf("%Q", dest.tmp().c_str());
  const std::string sql = fmt::format("VACUUM INTO {}", lit);
  sqlite3_free(lit);

  const int64_t t0 = now_ns();
  prog.started_ns = t0;
  const int64_t busy_errors = retry_busy(
      [&] {
        ++out.steps;
        prog.steps = out.steps;
        src.exec(sql);
      },
      [&] {
        // VACUUM INTO needs an absent or empty target: drop what the failed try left.
        for (std::string_view s : {"", "-journal", "-wal"}) fs::remove(with_suffix(dest.tmp(), s));
      });
  prog.finished_ns = now_ns();
  out.busy_retries = busy.retries() + busy_errors;
  out.extra["busy_errors"] = busy_errors;
  out.duration_s = ns_to_s(prog.finished_ns - t0);
  src.close();
  dest.commit();
  out.bytes = dest.bytes();
  return out;
}

const bool registered = register_strategy({
    .name = "vacuum-into",
    .description = "VACUUM INTO a temporary file from a separate connection (a read transaction), then rename",
    .params = {},
    .expected_safe = [](const std::string&, const Params&) { return true; },
    .safety_note = "safe in every mode (rollback mode: blocks writers for the whole copy)",
    .run = run_vacuum_into,
});

}  // namespace
}  // namespace bb
