// The strike every fault kind shares (driver/fault.h): its thread, when it
// strikes, and the signals it sends by pidfd.
#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>

#include "core/clock.h"
#include "driver/fault.h"

namespace bb {
namespace {

int pidfd_open(pid_t pid) { return int(syscall(SYS_pidfd_open, pid, 0)); }
int pidfd_signal(int fd, int sig) { return int(syscall(SYS_pidfd_send_signal, fd, sig, nullptr, 0)); }

// Waits (up to `ms`) until the process behind a pidfd has ended.
bool wait_dead(int fd, int ms) {
  pollfd p{fd, POLLIN, 0};
  return poll(&p, 1, ms) == 1;
}

char proc_state(pid_t pid) {
  std::ifstream in(fmt::format("/proc/{}/stat", pid));
  std::string s;
  if (!std::getline(in, s)) return 0;
  auto rp = s.rfind(')');
  return rp == std::string::npos || rp + 2 >= s.size() ? 0 : s[rp + 2];
}

}  // namespace

Strike::~Strike() {
  {
    std::lock_guard lock(mu_);
    cancel_ = true;
  }
  cv_.notify_all();
  join();
  if (stopped_ && fd_ >= 0) pidfd_signal(fd_, SIGCONT);
  if (fd_ >= 0) close(fd_);
}

bool Strike::arm(const std::string& segment, FaultAim aim, int slot, pid_t pid) {
  seg_ = std::make_unique<ShmSegment>(ShmSegment::attach(segment));
  slot_ = slot;
  pid_ = pid;
  who_ = aim == FaultAim::kDestination ? aim_text(aim) : fmt::format("{} (pid {})", aim_text(aim), pid);
  if (aim == FaultAim::kDestination) return true;
  fd_ = pid > 0 ? pidfd_open(pid) : -1;
  if (fd_ < 0)
    detail = fmt::format("not injected: {} is not running ({})", aim_text(aim), strerror(pid > 0 ? errno : ESRCH));
  return fd_ >= 0;
}

void Strike::start(std::function<void(Strike&)> body) {
  thread_ = std::thread([this, body = std::move(body)] {
    const std::atomic<int64_t>& mark = at_ == "asked" ? state().backup.asked_ns : state().backup.read_begin_ns;
    while (mark.load() == 0) {
      if (backup_done_) {
        detail = fmt::format("not injected: the backup ended before it {}",
                             at_ == "asked" ? "asked for the database" : "read the source");
        return;
      }
      std::unique_lock lock(mu_);
      if (cv_.wait_for(lock, std::chrono::microseconds(50), [&] { return cancel_; })) return;
    }
    if (delay_ms_ > 0 && !wait_ms(delay_ms_)) return;
    body(*this);
  });
}

void Strike::join() {
  if (thread_.joinable()) thread_.join();
}

SharedState& Strike::state() { return *seg_->state(); }

bool Strike::cancelled() {
  std::lock_guard lock(mu_);
  return cancel_;
}

bool Strike::wait_ms(int64_t ms) {
  std::unique_lock lock(mu_);
  return !cv_.wait_for(lock, std::chrono::microseconds(ms * 1000), [&] { return cancel_; });
}

bool Strike::signal(int sig) {
  if (pidfd_signal(fd_, sig) != 0) return false;
  // A target left stopped is resumed when the strike ends, whatever happens.
  if (sig == SIGSTOP) stopped_ = true;
  if (sig == SIGCONT || sig == SIGKILL) stopped_ = false;
  return true;
}

bool Strike::is_stopped() const { return proc_state(pid_) == 'T'; }

bool Strike::wait_stopped() const {
  const int64_t deadline = now_ns() + 1'000'000'000;
  while (!is_stopped()) {
    if (now_ns() >= deadline) return false;
    std::this_thread::yield();
  }
  return true;
}

void Strike::struck() {
  if (!during_backup) during_backup = state().backup.released_ns.load() == 0;
  struck_ns_ = now_ns();
  struck_ = true;
}

std::optional<bool> Strike::stop_in_transaction() {
  // A transaction lasts from well under a millisecond to a few: wait for one to
  // begin, stop the writer, and look at its slot while it cannot move; if it
  // had already finished, let it go on and try again. On a busy machine the
  // probes can keep missing: past a short deadline it gives up.
  SharedState& st = state();
  const WorkerSlot& w = st.workers[slot_];
  const int64_t deadline = now_ns() + 150'000'000;
  auto go_on = [&] { return now_ns() < deadline && !st.stop.load() && !cancelled(); };
  bool inside = false;
  while (!inside && go_on()) {
    while (w.in_tx.load() && go_on()) std::this_thread::yield();  // let the current one end
    while (!w.in_tx.load() && go_on()) std::this_thread::yield();
    if (!go_on() || !signal(SIGSTOP)) break;
    wait_stopped();
    inside = w.in_tx.load() != 0;
    if (!inside) signal(SIGCONT);
  }
  if (!inside && (st.stop.load() || cancelled())) {
    detail = fmt::format("not injected: the load stopped before {} could be caught", who_);
    return std::nullopt;
  }
  mid_transaction = inside;
  during_backup = st.backup.released_ns.load() == 0;
  return inside;
}

bool Strike::hold(int64_t ms) {
  const int64_t until = now_ns() + ms * 1'000'000;
  while (now_ns() < until) {
    if (state().stop.load() || (fd_ >= 0 && wait_dead(fd_, 0))) return false;
    if (!wait_ms(std::min<int64_t>(10, (until - now_ns()) / 1'000'000 + 1))) return false;
  }
  return true;
}

bool Strike::kill() {
  if (!during_backup) during_backup = state().backup.released_ns.load() == 0;
  if (!signal(SIGKILL)) {
    detail = fmt::format("not injected: {} had ended ({})", who_, strerror(errno));
    return false;
  }
  struck();
  wait_dead(fd_, 5000);
  return true;
}

}  // namespace bb
