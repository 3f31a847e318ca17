// Percentiles, windows, stalls, load health and impact over sample histories.
#include "results/metrics.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace bb {
namespace {

double ms(int64_t ns) { return double(ns) / 1e6; }

}  // namespace

int64_t percentile(const std::vector<int64_t>& sorted, double q) {
  if (sorted.empty()) return 0;
  // Nearest rank: the smallest value with at least q% of the data at or below it.
  // The epsilon keeps 99.9% of 1000 at rank 999 despite binary rounding.
  double rank = std::ceil(q * double(sorted.size()) / 100.0 - 1e-9);
  size_t idx = rank < 1 ? 0 : size_t(rank) - 1;
  return sorted[std::min(idx, sorted.size() - 1)];
}

int64_t min_samples(double q) { return int64_t(std::ceil(100.0 / (100.0 - q) - 1e-9)); }

Percentiles percentiles_of(std::vector<int64_t> lat) {
  Percentiles p;
  p.n = int64_t(lat.size());
  if (lat.empty()) return p;
  std::sort(lat.begin(), lat.end());
  auto at = [&](double q) -> std::optional<double> {
    if (p.n < min_samples(q)) return std::nullopt;
    return ms(percentile(lat, q));
  };
  p.p50_ms = at(50);
  p.p90_ms = at(90);
  p.p99_ms = at(99);
  p.p999_ms = at(99.9);
  p.max_ms = ms(lat.back());
  return p;
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

WindowStats window_stats(const std::vector<Sample>& samples, const Window& w) {
  WindowStats st;
  st.seconds = w.seconds();
  std::vector<int64_t> resp, serv;
  for (const auto& s : samples) {
    if (s.end >= w.begin && s.end < w.end) ++st.ops;
    if (!member(s, w)) continue;
    resp.push_back(s.end - s.intended);
    serv.push_back(s.end - s.start);
    st.busy_errors += s.attempts > 1 ? s.attempts - 1 : 0;
  }
  st.ops_per_s = st.seconds > 0 ? double(st.ops) / st.seconds : 0;
  st.response = percentiles_of(std::move(resp));
  st.service = percentiles_of(std::move(serv));
  return st;
}

int64_t max_stall_ns(const std::vector<Sample>& samples, const Window& w) {
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

int64_t longest_gap_within_ns(const std::vector<Sample>& samples, const Window& w) {
  std::vector<int64_t> t;
  for (const auto& s : samples)
    if (s.end >= w.begin && s.end < w.end) t.push_back(s.end);
  std::sort(t.begin(), t.end());
  int64_t prev = w.begin, best = 0;
  for (int64_t x : t) {
    best = std::max(best, x - prev);
    prev = x;
  }
  return std::max(best, w.end - prev);
}

int64_t Schedule::due_in(const Window& w) const {
  if (period <= 0 || w.end <= w.begin) return 0;
  // k due in [b, e): t0 + offset + k*period >= b, and < e, with k >= 0.
  auto first_at_or_after = [&](int64_t t) {
    int64_t x = t - t0 - offset;
    if (x <= 0) return int64_t(0);
    return (x + period - 1) / period;
  };
  return std::max<int64_t>(0, first_at_or_after(w.end) - first_at_or_after(w.begin));
}

std::vector<std::vector<Sample>> by_worker(const std::vector<Sample>& samples, int workers, int first_worker) {
  std::vector<std::vector<Sample>> out(size_t(std::max(0, workers)));
  for (auto& s : samples) {
    int i = s.worker - first_worker;
    if (i >= 0 && i < workers) out[size_t(i)].push_back(s);
  }
  for (auto& v : out) std::sort(v.begin(), v.end(), [](auto& a, auto& b) { return a.end < b.end; });
  return out;
}

LoadHealth load_health(const std::vector<std::vector<Sample>>& by, const std::vector<Schedule>& sched,
                       const Window& b) {
  LoadHealth h;
  int64_t total = 0;
  for (size_t i = 0; i < by.size(); ++i) {
    WriterHealth w;
    w.worker = int(i);
    const Schedule& sc = sched[i];
    // What was due early enough that it should have completed before the backup
    // began: due at least the lag limit before the end of the baseline.
    const int64_t lag_limit = int64_t((kMaxLagPeriods * ms(sc.period) + kLagSlackMs) * 1e6);
    const Window due{b.begin, std::max(b.begin, b.end - (sc.period > 0 ? lag_limit : 0))};
    w.scheduled = sc.due_in(due);
    for (auto& s : by[i])
      if (member(s, due) && s.end < b.end) ++w.completed;
    total += w.completed;
    w.longest_gap_ms = ms(longest_gap_within_ns(by[i], b));
    // The first operation still running or not yet done when the backup began:
    // how long ago it was due is how far behind the writer was.
    auto next = std::find_if(by[i].begin(), by[i].end(), [&](auto& s) { return s.end >= b.end; });
    if (next != by[i].end()) w.lag_ms = ms(std::max<int64_t>(0, b.end - next->intended));
    else w.lag_ms = ms(b.end - (by[i].empty() ? b.begin : by[i].back().end));
    h.writers.push_back(w);
  }
  const double share = by.empty() ? 0 : double(total) / double(by.size());
  for (auto& w : h.writers) {
    const double period_ms = ms(sched[size_t(w.worker)].period);
    std::vector<std::string> why;
    if (period_ms > 0) {
      if (double(w.completed) < kMinCompleted * double(w.scheduled))
        why.push_back(fmt::format("completed {} of {} scheduled", w.completed, w.scheduled));
      double gap_limit = std::max(kMaxGapPeriods * period_ms, kMinGapMs);
      if (w.longest_gap_ms > gap_limit)
        why.push_back(fmt::format("a {:.0f} ms gap between its commits (limit {:.0f})", w.longest_gap_ms, gap_limit));
      double lag_limit = kMaxLagPeriods * period_ms + kLagSlackMs;
      if (w.lag_ms > lag_limit)
        why.push_back(fmt::format("{:.0f} ms behind schedule when the backup started (limit {:.0f})", w.lag_ms,
                                  lag_limit));
    } else {
      if (double(w.completed) < kMinShare * share)
        why.push_back(fmt::format("completed {} commits, an even share is {:.0f}", w.completed, share));
      if (w.longest_gap_ms > kClosedMaxGapMs)
        why.push_back(fmt::format("a {:.0f} ms gap between its commits (limit {:.0f})", w.longest_gap_ms,
                                  kClosedMaxGapMs));
    }
    if (!why.empty()) {
      w.steady = false;
      w.reason = fmt::format("{}", fmt::join(why, ", "));
      if (h.steady) h.reason = fmt::format("writer {}: {}", w.worker, w.reason);
      h.steady = false;
    }
  }
  return h;
}

Impact impact_of(const std::vector<std::vector<Sample>>& by, const std::vector<Schedule>& sched, const Window& w,
                 const Percentiles& baseline, int64_t history_end) {
  Impact im;
  std::vector<Sample> all;
  for (auto& v : by) all.insert(all.end(), v.begin(), v.end());
  im.max_stall_ms = ms(max_stall_ns(all, w));
  for (size_t i = 0; i < by.size(); ++i) {
    WriterGap g{int(i), ms(max_stall_ns(by[i], w)), ms(sched[i].period)};
    im.max_writer_gap_ms = std::max(im.max_writer_gap_ms, g.longest_gap_ms);
    im.max_writer_stall_ms = std::max(im.max_writer_stall_ms, g.longest_gap_ms - g.floor_ms);
    im.writer_gaps.push_back(g);
  }
  im.delay_threshold_ms = baseline.p99_ms ? baseline.p99_ms : baseline.max_ms;
  if (!im.delay_threshold_ms) return im;
  const int64_t thr = int64_t(*im.delay_threshold_ms * 1e6);
  for (auto& s : all) {
    if (!member(s, w)) continue;
    int64_t lat = s.end - s.intended;
    if (lat > thr) {
      ++im.delayed_commits;
      im.delayed_extra_ms += ms(lat - thr);
    }
  }
  // Recovery: each writer is back on schedule at the first commit after the
  // release whose latency is within the threshold (0 when the first one already is).
  int64_t worst = 0;
  for (auto& v : by) {
    auto first = std::find_if(v.begin(), v.end(), [&](auto& s) { return s.end >= w.end; });
    if (first == v.end()) {
      if (history_end > w.end) return im;  // never committed again: not recovered
      continue;
    }
    if (first->end - first->intended <= thr) continue;
    auto back = std::find_if(first, v.end(), [&](auto& s) { return s.end - s.intended <= thr; });
    if (back == v.end()) return im;  // not back on schedule before the history ends
    worst = std::max(worst, back->end - w.end);
  }
  im.recovery_ms = ms(worst);
  return im;
}

}  // namespace bb
