// pause-backup: SIGSTOP to the backup process (and the processes it started,
// such as cli-backup's sqlite3 shell) for fault_pause_ms, then SIGCONT: a
// backup stalled while it holds the database, as when its VM is paused or it
// is swapped out. In rollback mode the writers wait behind its read lock; in
// WAL mode they should not. The snapshot must still be OK, or FAILED with a
// reason and nothing at the destination (the nemesis's outcome check).
#include <fmt/format.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <vector>

#include "driver/fault.h"

namespace bb {
namespace {

// Stops the children of `pid` (of each of its threads), which is stopped: it
// cannot reap them, so their pids cannot be reused meanwhile.
std::vector<pid_t> stop_children(pid_t pid) {
  std::vector<pid_t> out;
  std::error_code ec;
  for (auto& task : std::filesystem::directory_iterator(fmt::format("/proc/{}/task", pid), ec)) {
    std::ifstream in(task.path() / "children");
    for (pid_t c; in >> c;)
      if (kill(c, SIGSTOP) == 0) out.push_back(c);
  }
  return out;
}

class PauseBackup final : public Fault {
 public:
  explicit PauseBackup(const FaultOptions& s) : pause_ms_(s.pause_ms) {}

  void strike(Strike& s) override {
    // An ended backup is not reaped yet, and a signal to it would "succeed".
    if (s.backup_done() || !s.signal(SIGSTOP)) {
      s.detail = "not injected: the backup had ended";
      return;
    }
    s.struck();
    s.wait_stopped();
    const std::vector<pid_t> children = stop_children(s.pid());
    // Ends early if the backup is killed meanwhile (its time limit).
    const bool full = s.hold(pause_ms_);
    for (pid_t c : children) kill(c, SIGCONT);
    s.signal(SIGCONT);
    s.detail = fmt::format("SIGSTOP to {}{} {}, SIGCONT {}", s.who(),
                           children.empty() ? "" : fmt::format(" and its {} child process(es)", children.size()),
                           *s.during_backup ? "while it held the database" : "after it released the database",
                           full ? fmt::format("{} ms later", pause_ms_) : "early (the backup ended)");
  }

 private:
  int64_t pause_ms_;
};

const bool registered = register_fault({
    .name = "pause-backup",
    .description = "SIGSTOP to the backup process (and its children) while it holds the database, SIGCONT "
                   "fault_pause_ms later",
    .aim = FaultAim::kBackup,
    .make = [](const FaultOptions& s, const Cell&) { return std::make_unique<PauseBackup>(s); },
});

}  // namespace
}  // namespace bb
