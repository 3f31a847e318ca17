// `raw-copy`: a plain file copy with no locking at all, like `cp app.db`, while
// writers run. The unsafe control: the copy may mix old and new pages, and in WAL
// mode the main file alone misses every commit not yet checkpointed. wal=true
// copies the -wal afterwards too (a two-step copy that is still not atomic).
#include "harness/clock.h"
#include "strategies/atomic_dest.h"
#include "strategies/file_copy.h"
#include "strategies/strategy.h"
#include "strategies/strategy_util.h"

namespace bb {
namespace {

BackupOutcome run_raw_copy(const BackupRequest& req) {
  BackupOutcome out;
  auto& prog = *req.progress;
  const bool wal = param_bool(req.params, "wal");
  AtomicDest dest(req.dest);
  // No SQLite connection in this process, so there is no lock to lose.
  const int64_t t0 = now_ns();
  prog.started_ns = t0;
  copy_in_process({req.src, dest.tmp(), false});
  ++out.steps;
  nlohmann::json files = {"db"};
  if (wal) {
    int64_t n = copy_in_process({with_suffix(req.src, "-wal"), with_suffix(dest.tmp(), "-wal"), true});
    ++out.steps;
    if (n >= 0) {
      dest.add_companion("-wal");
      files.push_back("-wal");
    }
  }
  prog.finished_ns = now_ns();
  prog.steps = out.steps;
  out.duration_s = ns_to_s(prog.finished_ns - t0);
  out.extra["files_copied"] = files;
  dest.commit();
  out.bytes = dest.bytes();
  return out;
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
