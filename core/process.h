// Starting and stopping our own child processes: fork + exec of this binary, so a
// child never inherits an open SQLite connection.
#pragma once
#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

namespace bb {

// Path of the running executable (/proc/self/exe resolved).
std::string self_exe();

struct SpawnOptions {
  std::string stdout_path;  // empty: inherit (or stdout_fd)
  int stdout_fd = -1;       // >= 0: the child's stdout (and stderr with stderr_too) goes here
  bool stderr_too = false;  // send stderr to stdout_path as well
  bool die_with_parent = true;
};

// fork + exec `exe` with `args` (argv[1..]), stdin from /dev/null. Returns the
// child's pid.
pid_t spawn(const std::string& exe, const std::vector<std::string>& args,
            const SpawnOptions& opt = {});

// Exit status of a finished child: exit code, or 128+signal.
struct ExitStatus {
  int code = 0;
  int signal = 0;  // nonzero when killed by a signal
  bool ok() const { return code == 0 && signal == 0; }
};

// How a child ended, for messages: "was killed by signal 9 (SIGKILL)",
// "exited with code 3".
std::string how_it_ended(const ExitStatus& ex);

// Runs `exe` with `args` to completion, capturing stdout and stderr through a
// pipe (nothing touches the disk, so a full disk cannot swallow an error
// message). Keeps the first `max_bytes` of output.
struct Captured {
  ExitStatus status;
  std::string output;
};
Captured run_capture(const std::string& exe, const std::vector<std::string>& args, size_t max_bytes = 64 << 10);

// Kills (SIGKILL) and reaps the child run_capture is running, if any. Async-
// signal-safe: a handler that removes files and exits calls it first, so the
// child cannot go on writing (or hold open) what the handler removes.
void kill_capture_child() noexcept;

// Non-blocking: the status if the child has finished.
std::optional<ExitStatus> try_wait(pid_t pid);
ExitStatus wait_for(pid_t pid);
// Whether no process has this pid any more (a leftover named by a pid can go).
// A pid that exists but is not ours to signal counts as alive.
bool process_gone(pid_t pid);

// SIGKILL and reap. A pid <= 0 (already reaped, never started) is left alone.
ExitStatus kill_and_wait(pid_t pid);

}  // namespace bb
