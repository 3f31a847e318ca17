// The segment's barrier survives the death of any participant: a worker killed
// while it waits at the gate leaves nothing that blocks the driver or the
// workers that come after it (with a process-shared condition variable, the
// next broadcast waited for the dead waiter for ever).
#include "core/shared_state.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <thread>

#include "core/clock.h"
#include "core/process.h"

namespace bb {
namespace {

// A child attached to the segment, waiting at the gate; exits 0 when the gate
// opened, 1 otherwise. (A plain fork: the child runs no SQLite.)
pid_t waiter(const std::string& name) {
  pid_t p = fork();
  if (p == 0) {
    ShmSegment seg = ShmSegment::attach(name);
    _exit(seg.state()->arrive_and_wait(30'000) ? 0 : 1);
  }
  return p;
}

TEST(SharedStateBarrier, AWaiterKilledAtTheGateBlocksNeitherTheReleaseNorTheOthers) {
  ShmSegment seg = ShmSegment::create(make_segment_name());
  SharedState& st = *seg.state();
  pid_t dead = waiter(seg.name());
  pid_t alive = waiter(seg.name());
  ASSERT_TRUE(st.wait_for_arrivals(2, 10'000));
  kill_and_wait(dead);  // SIGKILL while it waits in the futex
  const int64_t t0 = now_ns();
  st.release(now_ns());
  EXPECT_LT(ns_to_s(now_ns() - t0), 0.1) << "release() waited for someone";
  EXPECT_TRUE(wait_for(alive).ok()) << "the live waiter did not pass the gate";
  // One that arrives after the release passes at once.
  EXPECT_TRUE(wait_for(waiter(seg.name())).ok());
}

TEST(SharedStateBarrier, StopReleasesWaitersWithoutOpeningTheGate) {
  ShmSegment seg = ShmSegment::create(make_segment_name());
  SharedState& st = *seg.state();
  pid_t w = waiter(seg.name());
  ASSERT_TRUE(st.wait_for_arrivals(1, 10'000));
  st.request_stop();
  EXPECT_EQ(wait_for(w).code, 1);
}

TEST(SharedStateBarrier, WaitsAreBounded) {
  ShmSegment seg = ShmSegment::create(make_segment_name());
  const int64_t t0 = now_ns();
  EXPECT_FALSE(seg.state()->wait_for_arrivals(1, 100));
  EXPECT_FALSE(seg.state()->arrive_and_wait(100));
  EXPECT_LT(ns_to_s(now_ns() - t0), 2.0);
}

}  // namespace
}  // namespace bb
