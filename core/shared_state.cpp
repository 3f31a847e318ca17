// Shared-memory segment: creation, attachment, the start barrier, cleanup.
#include "core/shared_state.h"

#include <fmt/format.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <boost/date_time/posix_time/posix_time_types.hpp>
#include <boost/interprocess/sync/scoped_lock.hpp>
#include <filesystem>

namespace bb {

namespace bip = boost::interprocess;
using Lock = bip::scoped_lock<bip::interprocess_mutex>;

static constexpr const char* kPrefix = "backup-bench-";

void SharedState::arrive_and_wait() {
  Lock lock(mutex);
  ++arrived;
  cond.notify_all();
  while (!released && !stop.load()) cond.wait(lock);
}

bool SharedState::wait_for_arrivals(int64_t timeout_ms) {
  Lock lock(mutex);
  auto deadline = boost::posix_time::microsec_clock::universal_time() +
                  boost::posix_time::milliseconds(timeout_ms);
  while (arrived < expected) {
    if (!cond.timed_wait(lock, deadline)) return arrived >= expected;
  }
  return true;
}

void SharedState::release(int64_t t0) {
  Lock lock(mutex);
  t0_ns.store(t0);
  released = true;
  cond.notify_all();
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
    if (pid > 0 && kill(pid, 0) != 0 && errno == ESRCH) bip::shared_memory_object::remove(n.c_str());
  }
}

}  // namespace bb
