// One clock for every process: CLOCK_MONOTONIC is system-wide, so timestamps taken
// by writers, readers, the backup and the driver share one timeline.
#pragma once
#include <cstdint>
#include <ctime>

namespace bb {

inline int64_t now_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// Sleeps until an absolute CLOCK_MONOTONIC time (open-loop pacing, not sync).
inline void sleep_until_ns(int64_t t) {
  timespec ts{time_t(t / 1'000'000'000), long(t % 1'000'000'000)};
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) != 0) {
  }
}

constexpr double ns_to_ms(int64_t ns) { return double(ns) / 1e6; }
constexpr double ns_to_s(int64_t ns) { return double(ns) / 1e9; }
constexpr int64_t s_to_ns(double s) { return int64_t(s * 1e9); }

}  // namespace bb
