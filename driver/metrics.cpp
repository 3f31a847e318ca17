// Percentiles, window statistics and stall detection over sample histories.
#include "driver/metrics.h"

#include <algorithm>
#include <cmath>

namespace bb {

int64_t percentile(const std::vector<int64_t>& sorted, double q) {
  if (sorted.empty()) return 0;
  // Nearest rank: the smallest value with at least q% of the data at or below it.
  // The epsilon keeps 99.9% of 1000 at rank 999 despite binary rounding.
  double rank = std::ceil(q * double(sorted.size()) / 100.0 - 1e-9);
  size_t idx = rank < 1 ? 0 : size_t(rank) - 1;
  return sorted[std::min(idx, sorted.size() - 1)];
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

WindowStats window_stats(const std::vector<Sample>& samples, Window w, bool overlap,
                         Latency kind) {
  WindowStats st;
  std::vector<int64_t> lat;
  for (const auto& s : samples) {
    bool ended_in = s.end >= w.begin && s.end < w.end;
    if (ended_in) ++st.ops;
    bool counted = overlap ? (s.intended < w.end && s.end >= w.begin) : ended_in;
    if (!counted) continue;
    int64_t from = kind == Latency::kResponse ? s.intended : s.start;
    lat.push_back(s.end - from);
    st.busy_errors += s.attempts > 1 ? s.attempts - 1 : 0;
  }
  double secs = w.seconds();
  st.ops_per_s = secs > 0 ? double(st.ops) / secs : 0;
  st.latency_count = int64_t(lat.size());
  std::sort(lat.begin(), lat.end());
  auto ms = [](int64_t ns) { return double(ns) / 1e6; };
  st.p50_ms = ms(percentile(lat, 50));
  st.p90_ms = ms(percentile(lat, 90));
  st.p99_ms = ms(percentile(lat, 99));
  st.p999_ms = ms(percentile(lat, 99.9));
  st.max_ms = lat.empty() ? 0 : ms(lat.back());
  return st;
}

int64_t max_stall_ns(const std::vector<Sample>& samples, Window w) {
  std::vector<int64_t> t;
  t.reserve(samples.size());
  for (const auto& s : samples) t.push_back(s.end);
  std::sort(t.begin(), t.end());
  // The last completion before the window (or its start) opens the first gap; the
  // first completion after it (or its end, if none) closes the last.
  auto first_in = std::lower_bound(t.begin(), t.end(), w.begin);
  int64_t prev = first_in == t.begin() ? w.begin : *(first_in - 1);
  int64_t best = 0;
  for (auto it = first_in; it != t.end(); ++it) {
    best = std::max(best, *it - prev);
    prev = *it;
    if (*it >= w.end) return best;
  }
  return std::max(best, w.end - prev);
}

}  // namespace bb
