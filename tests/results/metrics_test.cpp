// The measuring layer on synthetic histories with known answers: percentiles and
// when they are withheld, window membership, stalls, the health of a load before
// the backup, and the backup's impact (docs/measuring-impact.md).
#include "results/metrics.h"

#include <gtest/gtest.h>

namespace bb {
namespace {

constexpr int64_t kMs = 1'000'000;

// A closed-loop history: one commit every `gap` from `from` to `to`, each taking `lat`.
std::vector<Sample> regular(int64_t from, int64_t to, int64_t gap, int64_t lat, int worker = 0) {
  std::vector<Sample> v;
  for (int64_t t = from; t < to; t += gap) v.push_back({0, t, t, t + lat, worker, 1});
  return v;
}

// An open-loop writer: operation k due at offset + k*period, served in `service`
// unless the database is locked in [lock_from, lock_to): then it starts at lock_to.
// Operations queue behind each other (one connection).
std::vector<Sample> paced(int worker, int64_t offset, int64_t period, int64_t until, int64_t service,
                          int64_t lock_from = 0, int64_t lock_to = 0) {
  std::vector<Sample> v;
  int64_t free_at = 0;
  for (int64_t k = 0; offset + k * period < until; ++k) {
    int64_t intended = offset + k * period;
    int64_t start = std::max(intended, free_at);
    int64_t end = start + service;
    if (end > lock_from && start < lock_to) end = lock_to + service;  // waits for the lock, then commits
    free_at = end;
    v.push_back({k + 1, intended, start, end, worker, 1});
  }
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

TEST(Percentiles, NeedEnoughSamplesToExist) {
  EXPECT_EQ(min_samples(50), 2);
  EXPECT_EQ(min_samples(90), 10);
  EXPECT_EQ(min_samples(99), 100);
  EXPECT_EQ(min_samples(99.9), 1000);
  // Three samples: the median exists, p90 and above do not; the maximum of the
  // three is given instead, with n.
  auto p = percentiles_of({3 * kMs, 1 * kMs, 40 * kMs});
  EXPECT_EQ(p.n, 3);
  ASSERT_TRUE(p.p50_ms);
  EXPECT_DOUBLE_EQ(*p.p50_ms, 3);
  EXPECT_FALSE(p.p90_ms);
  EXPECT_FALSE(p.p99_ms);
  EXPECT_FALSE(p.p999_ms);
  ASSERT_TRUE(p.max_ms);
  EXPECT_DOUBLE_EQ(*p.max_ms, 40);
  // 99 samples are one short of a p99; 100 have one.
  EXPECT_FALSE(percentiles_of(std::vector<int64_t>(99, kMs)).p99_ms);
  EXPECT_TRUE(percentiles_of(std::vector<int64_t>(100, kMs)).p99_ms);
  // No samples: nothing, not zero.
  auto none = percentiles_of({});
  EXPECT_EQ(none.n, 0);
  EXPECT_FALSE(none.max_ms);
  EXPECT_FALSE(none.p50_ms);
}

TEST(WindowStats, CountsRateAndLatencies) {
  auto s = regular(0, 1000 * kMs, 10 * kMs, 2 * kMs);  // 100 commits/s, 2 ms each
  auto st = window_stats(s, {0, 1000 * kMs});
  EXPECT_EQ(st.ops, 100);
  EXPECT_EQ(st.response.n, 100);
  EXPECT_NEAR(st.ops_per_s, 100, 1e-9);
  EXPECT_DOUBLE_EQ(*st.response.p50_ms, 2);
  EXPECT_DOUBLE_EQ(*st.response.p99_ms, 2);
  EXPECT_DOUBLE_EQ(*st.response.max_ms, 2);
  EXPECT_EQ(st.busy_errors, 0);
}

TEST(WindowStats, BusyRetriesAreCountedPerWindow) {
  auto s = regular(0, 100 * kMs, 10 * kMs, kMs);
  s[3].attempts = 4;  // three BUSY retries, scheduled at 30 ms
  EXPECT_EQ(window_stats(s, {0, 100 * kMs}).busy_errors, 3);
  EXPECT_EQ(window_stats(s, {50 * kMs, 100 * kMs}).busy_errors, 0);
}

TEST(WindowStats, ATransactionBelongsToTheWindowItWasScheduledIn) {
  // Scheduled at 0, stalled across the window 100..200, committed at 500 ms: a
  // backlog from before the window, not something that happened in it.
  std::vector<Sample> s{{1, 0, 0, 500 * kMs, 0, 1}};
  auto during = window_stats(s, {100 * kMs, 200 * kMs});
  EXPECT_EQ(during.response.n, 0);
  EXPECT_FALSE(during.response.max_ms);
  EXPECT_EQ(during.ops, 0);
  auto before = window_stats(s, {0, 100 * kMs});
  EXPECT_EQ(before.response.n, 1);
  EXPECT_DOUBLE_EQ(*before.response.max_ms, 500);
}

// An open-loop schedule (1 tx / 10 ms) stalled for 200 ms: every transaction
// scheduled during the stall waits for it. Response time shows it; service time,
// measured from the late actual start, does not.
TEST(WindowStats, StalledScheduleRaisesResponseButNotServiceTime) {
  auto s = paced(0, 0, 10 * kMs, 1000 * kMs, kMs, 500 * kMs, 700 * kMs);
  for (auto& x : s)  // service time from the moment the lock was granted
    if (x.end == 700 * kMs + kMs) x.start = 700 * kMs;
  auto st = window_stats(s, {0, 1000 * kMs});
  EXPECT_DOUBLE_EQ(*st.service.p99_ms, 1);
  EXPECT_GT(*st.response.p90_ms, 50);  // 20 of 100 transactions were scheduled in the stall
  EXPECT_NEAR(*st.response.max_ms, 201, 1e-9);
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

TEST(LongestGapWithin, IsClippedToTheWindow) {
  auto s = regular(0, 1000 * kMs, 10 * kMs, 0);
  // Nothing completes from 800 ms on (a backup holds a lock past the window's end).
  std::erase_if(s, [](const Sample& x) { return x.end >= 800 * kMs; });
  s.push_back({0, 5000 * kMs, 5000 * kMs, 5000 * kMs, 0, 1});
  EXPECT_EQ(longest_gap_within_ns(s, {0, 900 * kMs}), 110 * kMs);  // 790 -> 900, not 790 -> 5000
  EXPECT_EQ(max_stall_ns(s, {0, 900 * kMs}), 4210 * kMs);          // the stall touching it does go on
  EXPECT_EQ(longest_gap_within_ns({}, {0, 900 * kMs}), 900 * kMs);
}

TEST(Schedule, CountsWhatIsDueInAWindow) {
  Schedule s{1000 * kMs, 5 * kMs, 50 * kMs};  // due at 1005, 1055, 1105, ...
  EXPECT_EQ(s.due_in({1000 * kMs, 1100 * kMs}), 2);
  EXPECT_EQ(s.due_in({1005 * kMs, 1055 * kMs}), 1);  // begin inclusive, end exclusive
  EXPECT_EQ(s.due_in({0, 1005 * kMs}), 0);
  EXPECT_EQ(s.due_in({1000 * kMs, 3000 * kMs}), 40);
  EXPECT_EQ(Schedule{}.due_in({0, 1000 * kMs}), 0);  // closed loop: nothing is due
}

TEST(LoadHealth, TwoWritersOnScheduleAreSteady) {
  const int64_t p = 50 * kMs;
  std::vector<std::vector<Sample>> by{paced(0, 0, p, 3000 * kMs, 2 * kMs), paced(1, 25 * kMs, p, 3000 * kMs, 2 * kMs)};
  std::vector<Schedule> sched{{0, 0, p}, {0, 25 * kMs, p}};
  auto h = load_health(by, sched, {500 * kMs, 2500 * kMs});
  EXPECT_TRUE(h.steady) << h.reason;
  ASSERT_EQ(h.writers.size(), 2u);
  // Due 500..2250 ms (the last lag limit, 3 periods + 100 ms, is not expected
  // to have completed yet): 35, all completed.
  EXPECT_EQ(h.writers[0].scheduled, 35);
  EXPECT_EQ(h.writers[0].completed, 35);
  EXPECT_NEAR(h.writers[0].longest_gap_ms, 50, 1e-9);
  EXPECT_LT(h.writers[1].lag_ms, 50);
}

// The failure issue 9 found: one writer starved by the other writer and a
// scanning reader through SQLite's busy handler in the baseline, its backlog
// landing after the backup started. The load is marked unsteady (naming the
// writer), and none of the backlog is charged to the backup's window.
TEST(LoadHealth, AWriterStarvedBeforeTheBackupIsUnsteadyAndItsBacklogIsNotCharged) {
  const int64_t p = 50 * kMs;
  const Window baseline{500 * kMs, 2500 * kMs}, impact{2500 * kMs, 2560 * kMs};
  auto w0 = paced(0, 0, p, 4000 * kMs, 2 * kMs);
  // Writer 1 gets no lock from 600 ms to 2530 ms: everything scheduled meanwhile
  // commits in a burst afterwards, 2 ms apart.
  auto w1 = paced(1, 25 * kMs, p, 4000 * kMs, 2 * kMs, 600 * kMs, 2530 * kMs);
  int64_t t = 2532 * kMs;
  for (auto& s : w1)
    if (s.end == 2530 * kMs + 2 * kMs) s.end = t, t += 2 * kMs;
  std::vector<std::vector<Sample>> by{w0, w1};
  std::vector<Schedule> sched{{0, 0, p}, {0, 25 * kMs, p}};
  auto h = load_health(by, sched, baseline);
  EXPECT_FALSE(h.steady);
  EXPECT_TRUE(h.writers[0].steady) << h.writers[0].reason;
  EXPECT_FALSE(h.writers[1].steady);
  EXPECT_NE(h.reason.find("writer 1"), std::string::npos) << h.reason;
  EXPECT_LT(h.writers[1].completed, h.writers[1].scheduled / 2);
  EXPECT_GT(h.writers[1].lag_ms, 1000);
  // The backlog (scheduled before the backup) does not enter the impact
  // window's latencies: only the ~2 operations scheduled in it do.
  std::vector<Sample> all = w0;
  all.insert(all.end(), w1.begin(), w1.end());
  auto during = window_stats(all, impact);
  EXPECT_LE(during.response.n, 3);
  EXPECT_LT(*during.response.max_ms, 100);
}

TEST(LoadHealth, AClosedLoopWriterWithNoShareIsUnsteady) {
  std::vector<std::vector<Sample>> by{regular(0, 2000 * kMs, kMs, kMs / 2, 0), {}};
  auto h = load_health(by, {{}, {}}, {0, 2000 * kMs});
  EXPECT_FALSE(h.steady);
  EXPECT_FALSE(h.writers[1].steady);
  EXPECT_TRUE(h.writers[0].steady);
}

// A backup that holds the lock for exactly 300 ms from 1000 ms: the stall, each
// writer's own gap, the delayed commits and the recovery are known.
TEST(Impact, AStallOfKnownLengthInsideTheWindow) {
  const int64_t p = 50 * kMs, lock_from = 1000 * kMs, lock_to = 1300 * kMs;
  std::vector<std::vector<Sample>> by{paced(0, 0, p, 3000 * kMs, 2 * kMs, lock_from, lock_to),
                                      paced(1, 25 * kMs, p, 3000 * kMs, 2 * kMs, lock_from, lock_to)};
  std::vector<Schedule> sched{{0, 0, p}, {0, 25 * kMs, p}};
  const Window impact{lock_from, lock_to};
  std::vector<Sample> all = by[0];
  all.insert(all.end(), by[1].begin(), by[1].end());
  auto base = window_stats(all, {0, lock_from});
  ASSERT_TRUE(base.response.max_ms);
  EXPECT_DOUBLE_EQ(*base.response.max_ms, 2);  // a quiet baseline: every commit takes 2 ms
  auto im = impact_of(by, sched, impact, base.response, 3000 * kMs);
  // Nobody commits from the last commit before the lock (975 + 2 ms) until the
  // first after it (1300 + 2 ms): 325 ms.
  EXPECT_NEAR(im.max_stall_ms, 325, 1e-9);
  // Writer 0: own commits at 952 and 1302 -> 350 ms; writer 1: 977 and 1302 -> 325.
  ASSERT_EQ(im.writer_gaps.size(), 2u);
  EXPECT_NEAR(im.writer_gaps[0].longest_gap_ms, 350, 1e-9);
  EXPECT_NEAR(im.writer_gaps[1].longest_gap_ms, 325, 1e-9);
  EXPECT_NEAR(im.writer_gaps[0].floor_ms, 50, 1e-9);
  EXPECT_NEAR(im.max_writer_gap_ms, 350, 1e-9);
  EXPECT_NEAR(im.max_writer_stall_ms, 300, 1e-9);  // beyond the 50 ms its schedule allows: the lock's 300 ms
  // Scheduled inside the lock: writer 0 at 1000, 1050, ..., 1250 (6), writer 1 at
  // 1025, ..., 1275 (6); all slower than the baseline's 2 ms.
  EXPECT_EQ(im.delayed_commits, 12);
  ASSERT_TRUE(im.delay_threshold_ms);
  EXPECT_DOUBLE_EQ(*im.delay_threshold_ms, 2);  // p99 withheld (n < 100): the baseline's max
  // After the release the queued transactions drain 2 ms apart (writer 0 until
  // 1314 ms); its next one, due at 1350, is on time again and commits at 1352:
  // 52 ms after the release. Writer 1 is back at 1327.
  ASSERT_TRUE(im.recovery_ms);
  EXPECT_NEAR(*im.recovery_ms, 52, 1e-9);
}

TEST(Impact, NoBackupEffectMeansNoDelayedCommitsAndNoRecovery) {
  const int64_t p = 50 * kMs;
  std::vector<std::vector<Sample>> by{paced(0, 0, p, 3000 * kMs, 2 * kMs)};
  auto base = window_stats(by[0], {0, 1000 * kMs});
  auto im = impact_of(by, {{0, 0, p}}, {1000 * kMs, 1300 * kMs}, base.response, 3000 * kMs);
  EXPECT_EQ(im.delayed_commits, 0);
  ASSERT_TRUE(im.recovery_ms);
  EXPECT_DOUBLE_EQ(*im.recovery_ms, 0);
  EXPECT_NEAR(im.max_writer_gap_ms, 50, 1e-9);  // the schedule's own floor
  EXPECT_NEAR(im.max_writer_stall_ms, 0, 1e-9);
}

}  // namespace
}  // namespace bb
