// The interrupt flag and its signal handler.
#include "core/interrupt.h"

#include <signal.h>

namespace bb {

volatile sig_atomic_t g_interrupted = 0;

namespace {
void on_signal(int) { g_interrupted = 1; }
}  // namespace

void install_interrupt_handler() {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

}  // namespace bb
