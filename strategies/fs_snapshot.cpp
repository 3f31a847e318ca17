// `fs-snapshot`: a SIMULATED crash-consistent image -- not a volume snapshot
// (for a real one, see btrfs-snapshot). In a trial every process holding the
// database is frozen with SIGSTOP; once each is really stopped, the database
// file and its -wal/-journal are copied exactly as they are, then everyone is
// resumed with SIGCONT. The image is what a power cut at that instant would
// leave (minus unsynced-write loss): SQLite's recovery (WAL replay, hot-journal
// rollback) on opening the copy should give a consistent state, and the harness
// checks it. Its verdicts are meaningful; its writer impact is not a volume
// snapshot's: the writers are frozen for the whole copy, which no real snapshot
// does, so the stall it measures is the simulation's.
//
// A frozen worker must never stay frozen: SIGCONT is sent on every path (RAII),
// and a guardian child resumes them too should this process be killed (the
// driver kills a backup that runs past its time limit).
#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <thread>

#include "core/clock.h"
#include "core/files.h"
#include "strategies/file_copy.h"
#include "strategies/strategy.h"

namespace bb {
namespace {

constexpr int64_t kStopDeadlineNs = 5'000'000'000;

// The state letter of /proc/PID/stat ('T' stopped, 'Z' zombie, ...); 0 when the
// process is gone.
char proc_state(pid_t pid) {
  std::ifstream in(fmt::format("/proc/{}/stat", pid));
  std::string s;
  if (!std::getline(in, s)) return 0;
  // "pid (comm) S ...": comm may contain spaces and parentheses; the state
  // follows the last ')'.
  auto rp = s.rfind(')');
  if (rp == std::string::npos || rp + 2 >= s.size()) return 0;
  return s[rp + 2];
}

// Resumes the frozen processes; also forks a guardian that resumes them if this
// process dies before it does (reads a pipe until EOF, which the kernel delivers
// when our end closes, however we exit).
class Freezer {
 public:
  explicit Freezer(std::vector<pid_t> pids) : pids_(std::move(pids)) {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error(fmt::format("pipe: {}", strerror(errno)));
    guardian_ = fork();
    if (guardian_ < 0) {
      close(fds[0]);
      close(fds[1]);
      throw std::runtime_error(fmt::format("fork: {}", strerror(errno)));
    }
    if (guardian_ == 0) {
      // Guardian: async-signal-safe calls only (no SQLite connection is open in
      // this process, and the guardian touches nothing but the pipe and kill()).
      close(fds[1]);
      // It must outlive us: no death signal; EOF on the pipe is its trigger.
      char c;
      while (read(fds[0], &c, 1) < 0 && errno == EINTR) {
      }
      for (pid_t p : pids_) kill(p, SIGCONT);
      _exit(0);
    }
    close(fds[0]);
    pipe_w_ = fds[1];
  }
  ~Freezer() { resume(); }
  Freezer(const Freezer&) = delete;
  Freezer& operator=(const Freezer&) = delete;

  // SIGSTOP everyone, then wait until each is stopped (observed in /proc).
  void freeze() {
    for (pid_t p : pids_)
      if (kill(p, SIGSTOP) != 0 && errno != ESRCH)
        throw std::runtime_error(fmt::format("SIGSTOP {}: {}", p, strerror(errno)));
    frozen_ = true;
    const int64_t deadline = now_ns() + kStopDeadlineNs;
    for (pid_t p : pids_) {
      while (true) {
        char s = proc_state(p);
        if (s == 'T' || s == 't' || s == 'Z' || s == 'X' || s == 0) break;
        if (now_ns() > deadline) throw std::runtime_error(fmt::format("process {} did not stop (state {})", p, s));
        std::this_thread::yield();
      }
    }
  }

  void resume() {
    if (frozen_)
      for (pid_t p : pids_) kill(p, SIGCONT);
    frozen_ = false;
    if (pipe_w_ >= 0) {
      close(pipe_w_);  // the guardian resumes them again (harmless) and exits
      pipe_w_ = -1;
      int st;
      while (waitpid(guardian_, &st, 0) < 0 && errno == EINTR) {
      }
    }
  }

 private:
  std::vector<pid_t> pids_;
  pid_t guardian_ = -1;
  int pipe_w_ = -1;
  bool frozen_ = false;
};

void run_fs_snapshot(BackupJob& job) {
  std::vector<pid_t> pids;
  for (pid_t p : job.holders)
    if (p > 0 && p != getpid()) pids.push_back(p);
  nlohmann::json files = nlohmann::json::array();
  const int64_t asked = now_ns();
  int64_t frozen_at = 0;
  {
    Freezer fz(pids);
    fz.freeze();
    frozen_at = now_ns();
    job.reading();
    // No SQLite connection here: in-process copies lose no lock.
    copy_in_process({job.src, job.tmp(), false});
    files.push_back("db");
    for (std::string_view side : {"-wal", "-journal"}) {
      if (copy_in_process({with_suffix(job.src, side), with_suffix(job.tmp(), side), true}) >= 0) {
        job.companion(side);
        files.push_back(side);
      }
    }
    job.read_done();
    fz.resume();
  }
  job.step();
  job.extra["frozen_pids"] = pids;
  job.extra["files_copied"] = files;
  job.extra["stop_wait_ms"] = ns_to_ms(frozen_at - asked);
  job.extra["freeze_ms"] = ns_to_ms(now_ns() - asked);
}

const bool registered = register_strategy({
    .name = "fs-snapshot",
    .description = "SIMULATED crash-consistent image, not a volume snapshot: freeze (SIGSTOP) every process "
                   "holding the database, copy the database and its -wal/-journal as they are, resume (SIGCONT). "
                   "Its writer impact is the freeze's, not a snapshot's (see btrfs-snapshot)",
    .params = {},
    .skip_reason =
        [](const std::string&, bool in_trial) {
          return in_trial ? std::string()
                          : std::string("fs-snapshot needs a trial: it freezes the processes holding the database");
        },
    .expected_safe = [](const std::string&, const Params&) { return true; },
    .safety_note = "safe in every mode if SQLite recovery makes a crash image consistent (the harness "
                   "checks); its writer impact is the simulation's, not representative of a real snapshot",
    .impact_representative = false,
    .run = run_fs_snapshot,
});

}  // namespace
}  // namespace bb
