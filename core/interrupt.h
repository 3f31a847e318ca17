// The driver's interrupt: SIGINT/SIGTERM set one flag, and every wait the
// driver makes -- on workers, on a backup, inside SQLite, in a file copy or a
// child's output -- looks at it within its bound and unwinds with Interrupted.
// Only `run` installs the handler; other commands and child processes never set
// the flag.
#pragma once
#include <csignal>
#include <stdexcept>

namespace bb {

extern volatile sig_atomic_t g_interrupted;

struct Interrupted : std::runtime_error {
  Interrupted() : std::runtime_error("interrupted") {}
};

inline void throw_if_interrupted() {
  if (g_interrupted) throw Interrupted();
}

// Installs `handler` for SIGINT and SIGTERM, without SA_RESTART (every command
// that cleans up on those signals goes through here).
void on_sigint_sigterm(void (*handler)(int));

// Installs the handler for SIGINT and SIGTERM (sets g_interrupted; no
// SA_RESTART, so a blocking system call returns EINTR and its loop looks).
void install_interrupt_handler();

}  // namespace bb
