// Percentiles, window statistics and stall detection on synthetic histories with
// known answers.
#include "driver/metrics.h"

#include <gtest/gtest.h>

namespace bb {
namespace {

constexpr int64_t kMs = 1'000'000;

// A closed-loop history: one commit every `gap` from `from` to `to`, each taking `lat`.
std::vector<Sample> regular(int64_t from, int64_t to, int64_t gap, int64_t lat) {
  std::vector<Sample> v;
  for (int64_t t = from; t < to; t += gap) v.push_back({0, t, t, t + lat, 0, 1});
  return v;
}

TEST(Percentile, NearestRankOnKnownData) {
  std::vector<int64_t> v;
  for (int i = 1; i <= 1000; ++i) v.push_back(i);
  EXPECT_EQ(percentile(v, 50), 500);
  EXPECT_EQ(percentile(v, 90), 900);
  EXPECT_EQ(percentile(v, 99), 990);
  EXPECT_EQ(percentile(v, 99.9), 999);
  EXPECT_EQ(percentile(v, 100), 1000);
  EXPECT_EQ(percentile(v, 0), 1);
  EXPECT_EQ(percentile({}, 50), 0);
  EXPECT_EQ(percentile({7}, 99.9), 7);
}

TEST(WindowStats, CountsRateAndLatencies) {
  auto s = regular(0, 1000 * kMs, 10 * kMs, 2 * kMs);  // 100 commits/s, 2 ms each
  auto st = window_stats(s, {0, 1000 * kMs}, false);
  EXPECT_EQ(st.ops, 100);
  EXPECT_NEAR(st.ops_per_s, 100, 1e-9);
  EXPECT_DOUBLE_EQ(st.p50_ms, 2);
  EXPECT_DOUBLE_EQ(st.max_ms, 2);
  EXPECT_EQ(st.busy_errors, 0);
}

TEST(WindowStats, BusyRetriesAreCountedPerWindow) {
  auto s = regular(0, 100 * kMs, 10 * kMs, kMs);
  s[3].attempts = 4;  // three BUSY retries
  EXPECT_EQ(window_stats(s, {0, 100 * kMs}, false).busy_errors, 3);
  EXPECT_EQ(window_stats(s, {50 * kMs, 100 * kMs}, false).busy_errors, 0);
}

TEST(WindowStats, OverlapCountsATransactionStalledAcrossTheWindow) {
  // One transaction starts before the window and commits after it.
  std::vector<Sample> s{{1, 0, 0, 500 * kMs, 0, 1}};
  Window w{100 * kMs, 200 * kMs};
  EXPECT_EQ(window_stats(s, w, false).latency_count, 0);
  auto st = window_stats(s, w, true);
  EXPECT_EQ(st.latency_count, 1);
  EXPECT_DOUBLE_EQ(st.max_ms, 500);
  EXPECT_EQ(st.ops, 0);  // it did not complete inside the window
}

// An open-loop schedule (1 tx / 10 ms) stalled for 200 ms: every transaction
// scheduled during the stall waits for it. Response time shows it; service time,
// measured from the late actual start, does not.
TEST(WindowStats, StalledScheduleRaisesResponseButNotServiceTime) {
  std::vector<Sample> s;
  const int64_t stall_from = 500 * kMs, stall_to = 700 * kMs;
  int64_t free_at = 0;
  for (int64_t k = 0; k < 100; ++k) {
    int64_t intended = k * 10 * kMs;
    int64_t start = std::max(intended, free_at);
    if (start >= stall_from && start < stall_to) start = stall_to;
    int64_t end = start + kMs;
    free_at = end;
    s.push_back({k + 1, intended, start, end, 0, 1});
  }
  Window all{0, 1000 * kMs};
  auto resp = window_stats(s, all, false, Latency::kResponse);
  auto serv = window_stats(s, all, false, Latency::kService);
  EXPECT_DOUBLE_EQ(serv.p99_ms, 1);
  EXPECT_DOUBLE_EQ(serv.max_ms, 1);
  EXPECT_GT(resp.p90_ms, 50);  // 20 of 100 transactions were scheduled in the stall
  EXPECT_NEAR(resp.max_ms, 201, 1e-9);
}

TEST(MaxStall, FindsTheLargestGapTouchingTheWindow) {
  auto s = regular(0, 1000 * kMs, 10 * kMs, 0);
  // Remove commits between 400 and 550 ms: a 160 ms gap (390 -> 550).
  std::erase_if(s, [](const Sample& x) { return x.end > 390 * kMs && x.end < 550 * kMs; });
  EXPECT_EQ(max_stall_ns(s, {300 * kMs, 600 * kMs}), 160 * kMs);
  // A window that misses the gap sees only the regular 10 ms rhythm.
  EXPECT_EQ(max_stall_ns(s, {600 * kMs, 900 * kMs}), 10 * kMs);
}

TEST(MaxStall, AStallStartingBeforeTheWindowCountsWhole) {
  auto s = regular(0, 1000 * kMs, 10 * kMs, 0);
  std::erase_if(s, [](const Sample& x) { return x.end > 200 * kMs && x.end < 800 * kMs; });
  // Window 500..600 lies entirely inside the 200 -> 800 gap.
  EXPECT_EQ(max_stall_ns(s, {500 * kMs, 600 * kMs}), 600 * kMs);
}

TEST(MaxStall, NoCommitsAfterTheWindowEndsAtTheWindow) {
  auto s = regular(0, 100 * kMs, 10 * kMs, 0);  // last commit at 90 ms
  EXPECT_EQ(max_stall_ns(s, {50 * kMs, 400 * kMs}), 310 * kMs);
  EXPECT_EQ(max_stall_ns({}, {0, 400 * kMs}), 400 * kMs);
}

TEST(MaxStall, MergesWriters) {
  // Two writers alternating: each has 20 ms gaps, together 10 ms.
  auto a = regular(0, 1000 * kMs, 20 * kMs, 0);
  auto b = regular(10 * kMs, 1000 * kMs, 20 * kMs, 0);
  a.insert(a.end(), b.begin(), b.end());
  EXPECT_EQ(max_stall_ns(a, {100 * kMs, 900 * kMs}), 10 * kMs);
}

}  // namespace
}  // namespace bb
