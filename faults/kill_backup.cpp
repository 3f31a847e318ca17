// kill-backup: SIGKILL to the backup process (docs/faults.md). The backup is
// FAILED "killed by the nemesis", and its temporaries are removed as the next
// backup to that destination would remove them; nothing may be left there.
#include <fmt/format.h>
#include <signal.h>

#include "core/process.h"
#include "driver/fault.h"
#include "strategies/atomic_dest.h"

namespace bb {
namespace {

class KillBackup final : public Fault {
 public:
  explicit KillBackup(const FaultOptions& s) : at_(fmt::format("{}+{}ms", s.at, s.delay_ms)) {}

  void strike(Strike& s) override {
    // An ended backup is not reaped yet, and a signal to it would "succeed".
    if (s.backup_done()) {
      s.detail = "not injected: the backup had ended";
      return;
    }
    if (s.kill())
      s.detail = fmt::format("SIGKILL to {}{}", s.who(),
                             *s.during_backup ? " while it held the database" : " after it released the database");
  }

  void backup_ended(BackupRun& b, const ExitStatus& ex, Strike& s) override {
    if (!s.was_struck()) return;
    killed_ = ex.signal == SIGKILL;
    if (!killed_) {
      s.detail += "; the backup had already ended";
      return;
    }
    b.backup.status = BackupStatus::kFailed;
    b.backup.failure = FailureKind::kInternal;
    b.backup.error = fmt::format("killed by the nemesis (SIGKILL at {}{})", at_,
                                 *s.during_backup ? ", while it held the database" : "");
    // What the next backup to this destination does (strategies/atomic_dest.h).
    partials_removed_ = remove_stale_partials(b.snapshot_file);
  }

  bool killed_backup() const override { return killed_; }

  void after_trial(FaultRecord& f, TrialResult&) override {
    f.injected = f.injected && killed_;  // a backup that ended first was not struck
    f.partials_removed = partials_removed_;
  }

 private:
  std::string at_;
  bool killed_ = false;
  int64_t partials_removed_ = 0;
};

const bool registered = register_fault({
    .name = "kill-backup",
    .description = "SIGKILL to the backup process (FAILED, its temporaries removed as the next backup would)",
    .aim = FaultAim::kBackup,
    .kills = true,
    .make = [](const FaultOptions& s, const Cell&) { return std::make_unique<KillBackup>(s); },
});

}  // namespace
}  // namespace bb
