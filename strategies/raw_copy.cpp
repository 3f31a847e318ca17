// `raw-copy`: a plain file copy with no locking at all, like `cp app.db`, while
// writers run. The unsafe control: the copy may mix old and new pages, and in WAL
// mode the main file alone misses every commit not yet checkpointed. wal=true
// copies the -wal afterwards too (a two-step copy that is still not atomic).
#include "core/files.h"
#include "strategies/file_copy.h"
#include "strategies/strategy.h"

namespace bb {
namespace {

void run_raw_copy(BackupJob& job) {
  // No SQLite connection in this process, so there is no lock to lose.
  job.reading();
  copy_in_process({job.src, job.tmp(), false});
  job.step();
  nlohmann::json files = {"db"};
  if (job.param_bool("wal")) {
    int64_t n = copy_in_process({with_suffix(job.src, "-wal"), with_suffix(job.tmp(), "-wal"), true});
    job.step();
    if (n >= 0) {
      job.companion("-wal");
      files.push_back("-wal");
    }
  }
  job.read_done();
  job.extra["files_copied"] = files;
}

const bool registered = register_strategy({
    .name = "raw-copy",
    .description = "plain file copy with no locking at all (cp), while writers run: the unsafe control",
    .params = {{"wal", "false", "copy the -wal file too, after the database file", {"true", "false"}}},
    .expected_safe = [](const std::string&, const Params&) { return false; },
    .safety_note = "unsafe in every mode (the control)",
    .run = run_raw_copy,
});

}  // namespace
}  // namespace bb
