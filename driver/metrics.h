// Metrics computed from recorded histories (never inside the workload loop):
// percentiles, per-window operation statistics, and the longest stall.
#pragma once
#include <cstdint>
#include <vector>

#include "core/samples.h"

namespace bb {

struct Window {
  int64_t begin = 0;  // inclusive, ns
  int64_t end = 0;    // exclusive, ns
  double seconds() const { return double(end - begin) / 1e9; }
};

// Nearest-rank percentile (q in [0,100]) of an ascending vector; 0 when empty.
int64_t percentile(const std::vector<int64_t>& sorted, double q);

// Median of a sample (0 when empty); even counts average the middle two.
double median(std::vector<double> v);

// Which latency a window reports: response time (from the intended start, so a
// stalled open-loop schedule shows in every transaction scheduled during the stall)
// or service time (from the actual start).
enum class Latency { kResponse, kService };

struct WindowStats {
  int64_t ops = 0;          // operations completed inside the window
  double ops_per_s = 0;
  int64_t latency_count = 0;  // operations whose latency is counted (see stats())
  double p50_ms = 0, p90_ms = 0, p99_ms = 0, p999_ms = 0, max_ms = 0;
  int64_t busy_errors = 0;  // BUSY retries of the counted operations
};

// Statistics for one window. `ops` counts operations that ended in the window.
// Latencies: with `overlap` false, of operations that ended in the window; with
// `overlap` true, of every operation in flight at any time during it (so a
// transaction stalled across the whole window is counted there).
WindowStats window_stats(const std::vector<Sample>& samples, Window w, bool overlap,
                         Latency kind = Latency::kResponse);

// The longest interval in which no operation completed, among the intervals
// between consecutive completions (across all workers) that touch the window.
// The window's edges count as boundaries only when nothing completed after it.
int64_t max_stall_ns(const std::vector<Sample>& samples, Window w);

}  // namespace bb
