// Shared-memory segment: creation, attachment, the start barrier, cleanup.
#include "core/shared_state.h"

#include <fmt/format.h>
#include <signal.h>
#include <unistd.h>

#include <linux/futex.h>
#include <sys/syscall.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <climits>
#include <ctime>
#include <filesystem>

#include "core/clock.h"
#include "core/process.h"

namespace bb {

namespace bip = boost::interprocess;

static constexpr const char* kPrefix = "backup-bench-";
// The longest single futex wait: a waiter re-checks its conditions this often.
static constexpr int64_t kSliceNs = 20'000'000;

void futex_wait_for(std::atomic<int>& word, int expected, int64_t timeout_ns) {
  static_assert(sizeof(std::atomic<int>) == sizeof(int) && std::atomic<int>::is_always_lock_free);
  if (timeout_ns <= 0) return;
  timespec ts{time_t(timeout_ns / 1'000'000'000), long(timeout_ns % 1'000'000'000)};
  // Not FUTEX_PRIVATE: the word lives in a mapping shared between processes.
  syscall(SYS_futex, reinterpret_cast<int*>(&word), FUTEX_WAIT, expected, &ts, nullptr, 0);
}

void futex_wake_all(std::atomic<int>& word) {
  syscall(SYS_futex, reinterpret_cast<int*>(&word), FUTEX_WAKE, INT32_MAX, nullptr, nullptr, 0);
}

bool SharedState::arrive_and_wait(int64_t timeout_ms) {
  arrived.fetch_add(1);
  futex_wake_all(arrived);
  const int64_t deadline = now_ns() + timeout_ms * 1'000'000;
  while (true) {
    const int g = gate.load();
    if (g == kGateOpen) return true;
    if (g == kGateStopped || stop.load()) return false;
    const int64_t left = deadline - now_ns();
    if (left <= 0) return false;
    futex_wait_for(gate, g, std::min(left, kSliceNs));
  }
}

bool SharedState::wait_for_arrivals(int expected, int64_t timeout_ms) {
  const int64_t deadline = now_ns() + timeout_ms * 1'000'000;
  while (true) {
    const int n = arrived.load();
    if (n >= expected) return true;
    const int64_t left = deadline - now_ns();
    if (left <= 0) return false;
    futex_wait_for(arrived, n, std::min(left, kSliceNs));
  }
}

void SharedState::release(int64_t t0) {
  t0_ns.store(t0);
  gate.store(kGateOpen);
  futex_wake_all(gate);
}

void SharedState::request_stop() {
  stop.store(true);
  int closed = kGateClosed;
  gate.compare_exchange_strong(closed, kGateStopped);
  futex_wake_all(gate);
}

ShmSegment ShmSegment::create(const std::string& name) {
  bip::shared_memory_object::remove(name.c_str());
  bip::shared_memory_object shm(bip::create_only, name.c_str(), bip::read_write);
  shm.truncate(sizeof(SharedState));
  ShmSegment seg;
  seg.name_ = name;
  seg.owner_ = true;
  seg.region_ = bip::mapped_region(shm, bip::read_write);
  seg.state_ = new (seg.region_.get_address()) SharedState();
  return seg;
}

ShmSegment ShmSegment::attach(const std::string& name) {
  bip::shared_memory_object shm(bip::open_only, name.c_str(), bip::read_write);
  ShmSegment seg;
  seg.name_ = name;
  seg.region_ = bip::mapped_region(shm, bip::read_write);
  seg.state_ = static_cast<SharedState*>(seg.region_.get_address());
  return seg;
}

ShmSegment::ShmSegment(ShmSegment&& o) noexcept
    : name_(std::move(o.name_)), owner_(o.owner_), region_(std::move(o.region_)), state_(o.state_) {
  o.owner_ = false;
  o.state_ = nullptr;
}

ShmSegment::~ShmSegment() { remove(); }

void ShmSegment::remove() {
  if (owner_) bip::shared_memory_object::remove(name_.c_str());
  owner_ = false;
}

std::string make_segment_name() {
  static std::atomic<int> counter{0};
  return fmt::format("{}{}-{}", kPrefix, getpid(), counter++);
}

void remove_stale_segments() {
  std::error_code ec;
  for (auto& e : std::filesystem::directory_iterator("/dev/shm", ec)) {
    std::string n = e.path().filename().string();
    if (n.rfind(kPrefix, 0) != 0) continue;
    int pid = std::atoi(n.c_str() + std::char_traits<char>::length(kPrefix));
    if (process_gone(pid)) bip::shared_memory_object::remove(n.c_str());
  }
}

}  // namespace bb
