// Metrics computed from recorded histories (never inside the workload loop):
// window membership, percentiles with their sample counts, stalls, the health
// of the load before the backup, and what the backup did to it. Every figure in
// results.json that describes writers or readers is computed here, once.
// docs/measuring-impact.md explains each definition.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/samples.h"

namespace bb {

struct Window {
  int64_t begin = 0;  // inclusive, ns
  int64_t end = 0;    // exclusive, ns
  double seconds() const { return double(end - begin) / 1e9; }
  bool contains(int64_t t) const { return t >= begin && t < end; }
};

// The one membership rule of every window: an operation belongs to the window
// in which it was scheduled (its intended start; the actual start when closed
// loop). A backlog built up before a backup belongs to the time that built it.
inline bool member(const Sample& s, const Window& w) { return w.contains(s.intended); }

// Nearest-rank percentile (q in [0,100]) of an ascending vector; 0 when empty.
int64_t percentile(const std::vector<int64_t>& sorted, double q);

// The fewest samples a percentile needs to exist: 1 / (1 - q) (p50: 2, p90: 10,
// p99: 100, p99.9: 1000). Below it the percentile is withheld.
int64_t min_samples(double q);

// Latency percentiles of n samples; a percentile the samples cannot support is
// absent, and max (of the n) is given whenever n > 0.
struct Percentiles {
  int64_t n = 0;
  std::optional<double> p50_ms, p90_ms, p99_ms, p999_ms, max_ms;
};
Percentiles percentiles_of(std::vector<int64_t> latencies_ns);

// Median of a sample (0 when empty); even counts average the middle two.
double median(std::vector<double> v);

struct WindowStats {
  double seconds = 0;
  int64_t ops = 0;          // operations that completed inside the window
  double ops_per_s = 0;     // ops / seconds
  Percentiles response;     // members' latency from their intended start
  Percentiles service;      // members' latency from their actual start
  int64_t busy_errors = 0;  // BUSY retries of the members
};
WindowStats window_stats(const std::vector<Sample>& samples, const Window& w);

// The longest interval in which no operation completed, among the intervals
// between consecutive completions that touch the window. The window's edges
// count as boundaries only when nothing completed before/after it.
int64_t max_stall_ns(const std::vector<Sample>& samples, const Window& w);

// The longest interval inside the window without a completion: the gaps between
// consecutive completions clipped to [begin, end), and from begin to the first
// completion and from the last to end. What happened after the window (a backup
// that held a lock) does not count.
int64_t longest_gap_within_ns(const std::vector<Sample>& samples, const Window& w);

// One worker's open-loop schedule: operation k is due at t0 + offset + k*period.
// period 0: closed loop (no schedule).
struct Schedule {
  int64_t t0 = 0, offset = 0, period = 0;
  // How many operations are due in [w.begin, w.end).
  int64_t due_in(const Window& w) const;
};

// One writer's load before the backup (the baseline window).
struct WriterHealth {
  int worker = 0;
  int64_t scheduled = 0;   // due in the baseline at least one lag limit before its end (open loop); 0 closed loop
  int64_t completed = 0;   // of those, how many completed before the baseline ended
  double longest_gap_ms = 0;  // between its own commits, inside the baseline (clipped to it)
  double lag_ms = 0;       // how far behind schedule it was when the backup started
  bool steady = true;
  std::string reason;      // why not steady
};

struct LoadHealth {
  bool steady = true;
  std::string reason;  // the first unsteady writer's reason, with its index
  std::vector<WriterHealth> writers;
};

// Steadiness limits (docs/measuring-impact.md): a writer completes at least
// kMinCompleted of what was due, never goes kMaxGapPeriods periods (and at least
// kMinGapMs) without a commit, and is at most kMaxLagPeriods periods (plus
// kLagSlackMs) behind when the backup starts. Closed loop: at least
// kMinShare of an even share of the commits, and no gap beyond kClosedMaxGapMs.
constexpr double kMinCompleted = 0.9;
constexpr double kMaxGapPeriods = 10;
constexpr double kMinGapMs = 250;
constexpr double kMaxLagPeriods = 3;
constexpr double kLagSlackMs = 100;
constexpr double kMinShare = 0.25;
constexpr double kClosedMaxGapMs = 500;

// `by_worker[i]`: worker i's samples (any order); schedules[i] its schedule.
LoadHealth load_health(const std::vector<std::vector<Sample>>& by_worker, const std::vector<Schedule>& schedules,
                       const Window& baseline);

// What the backup did to the writers, over the impact window.
struct WriterGap {
  int worker = 0;
  double longest_gap_ms = 0;  // between its own commits, touching the impact window
  double floor_ms = 0;        // the gap its own schedule allows (one period; 0 closed loop)
};
struct Impact {
  double max_stall_ms = 0;             // no writer committed (all writers merged)
  std::vector<WriterGap> writer_gaps;  // per writer
  double max_writer_gap_ms = 0;        // the largest of writer_gaps
  double max_writer_stall_ms = 0;      // the largest gap beyond its floor (gap - floor, at least 0)
  std::optional<double> delay_threshold_ms;  // the baseline's p99 (or max when p99 is withheld)
  int64_t delayed_commits = 0;         // members of the impact window slower than the threshold
  double delayed_extra_ms = 0;         // their latency beyond the threshold, summed
  std::optional<double> recovery_ms;   // from release until every writer is back on schedule
};
Impact impact_of(const std::vector<std::vector<Sample>>& by_worker, const std::vector<Schedule>& schedules,
                 const Window& impact, const Percentiles& baseline, int64_t history_end);

// Samples split by worker index (0..workers-1).
std::vector<std::vector<Sample>> by_worker(const std::vector<Sample>& samples, int workers, int first_worker = 0);

}  // namespace bb
