// `vacuum-into`: `VACUUM INTO 'dest'` from a separate connection. SQLite takes only
// a read transaction for it (src/vacuum.c): in WAL mode writers go on (while the
// long read holds back checkpoints), in rollback mode its SHARED lock blocks every
// commit until it finishes. The output is a fresh, vacuumed file.
#include <fmt/format.h>

#include <filesystem>

#include "core/files.h"
#include "core/sqlite_db.h"
#include "strategies/source_db.h"
#include "strategies/strategy.h"
#include "strategies/strategy_util.h"

namespace bb {
namespace {

void run_vacuum_into(BackupJob& job) {
  SourceDb src(job);
  EagerBusy busy(src.get(), kLockWaitMs, job);
  // The INTO argument as an SQL string literal (quotes doubled).
  char* lit = sqlite3_mprintf("%Q", job.tmp().c_str());
  const std::string sql = fmt::format("VACUUM INTO {}", lit);
  sqlite3_free(lit);
  const int64_t busy_errors = retry_busy(
      [&] {
        job.step();
        job.reading();
        src.exec(sql);
      },
      [&] {
        // VACUUM INTO needs an absent or empty target: drop what the failed try left.
        std::filesystem::remove(job.tmp());
        for (auto s : kSidecars) std::filesystem::remove(with_suffix(job.tmp(), s));
      });
  job.read_done();
  job.extra["busy_errors"] = busy_errors;
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
