// The interrupt flag, its signal handler, and the watcher that passes it on
// to SQLite.
#include "core/interrupt.h"

#include <signal.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cstdint>
#include <thread>

#include "core/sqlite_db.h"

namespace bb {

volatile sig_atomic_t g_interrupted = 0;

namespace {

int g_event = -1;  // the handler's wake-up for the watcher (write() is async-signal-safe)

void on_signal(int) {
  g_interrupted = 1;
  if (g_event >= 0) {
    const uint64_t one = 1;
    [[maybe_unused]] auto n = write(g_event, &one, sizeof one);
  }
}

// Blocks until a signal comes, then interrupts every open SQLite connection: a
// long statement ends with SQLITE_INTERRUPT even inside one VM step.
[[noreturn]] void watch() {
  while (true) {
    uint64_t n = 0;
    if (read(g_event, &n, sizeof n) == sizeof n) interrupt_all_connections();
  }
}

}  // namespace

void install_interrupt_handler() {
  if (g_event < 0) {
    g_event = eventfd(0, EFD_CLOEXEC);
    if (g_event >= 0) {
      // The watcher runs with SIGINT/SIGTERM blocked, so the handler always
      // runs on another thread than the one it wakes.
      sigset_t block, old;
      sigemptyset(&block);
      sigaddset(&block, SIGINT);
      sigaddset(&block, SIGTERM);
      pthread_sigmask(SIG_BLOCK, &block, &old);
      std::thread(watch).detach();
      pthread_sigmask(SIG_SETMASK, &old, nullptr);
    }
  }
  on_sigint_sigterm(on_signal);
}

void on_sigint_sigterm(void (*handler)(int)) {
  struct sigaction sa {};
  sa.sa_handler = handler;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

}  // namespace bb
