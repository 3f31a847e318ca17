// pause-writer: SIGSTOP to writer 0 inside a transaction, so it holds its
// locks, and SIGCONT fault_pause_ms later (docs/faults.md): a writer stalled
// mid-transaction, which lock-taking strategies must wait out or give up on.
#include <fmt/format.h>
#include <signal.h>

#include <cerrno>
#include <cstring>

#include "driver/fault.h"

namespace bb {
namespace {

class PauseWriter final : public Fault {
 public:
  explicit PauseWriter(const FaultOptions& s) : pause_ms_(s.pause_ms) {}

  void strike(Strike& s) override {
    const std::optional<bool> inside = s.stop_in_transaction();
    if (!inside) return;
    if (!*inside && !s.signal(SIGSTOP)) {
      s.detail = fmt::format("not injected: {} had ended ({})", s.who(), strerror(errno));
      return;
    }
    s.struck();
    // The pause ends early when the load stops (a stopped writer would hold up
    // the end of the trial) or the trial is cancelled.
    const bool full = s.hold(pause_ms_);
    // Someone else may have resumed it meanwhile (fs-snapshot resumes every
    // process it froze).
    const bool still_stopped = s.is_stopped();
    s.signal(SIGCONT);
    s.detail = fmt::format("SIGSTOP to {} {}, SIGCONT {}{}", s.who(),
                           *inside ? "inside a transaction (holding its locks)" : "between transactions",
                           full ? fmt::format("{} ms later", pause_ms_) : "early (the trial ended)",
                           still_stopped ? "" : "; it had been resumed before that by another process");
  }

 private:
  int64_t pause_ms_;
};

const bool registered = register_fault({
    .name = "pause-writer",
    .description = "SIGSTOP to writer 0 inside a transaction (holding its locks), SIGCONT fault_pause_ms later",
    .aim = FaultAim::kWriter,
    .outlives_backup = true,  // the pause may run on into the cool-down
    .make = [](const FaultOptions& s, const Cell&) { return std::make_unique<PauseWriter>(s); },
});

}  // namespace
}  // namespace bb
