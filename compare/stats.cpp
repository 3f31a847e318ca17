// Rank test, count test and multiple-comparison corrections for `compare`.
#include "compare/stats.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace bb {
namespace {

double log_choose(double n, double k) { return std::lgamma(n + 1) - std::lgamma(k + 1) - std::lgamma(n - k + 1); }

// Relative slack when comparing sums of probabilities or statistics computed in
// floating point (as R and SciPy do for Fisher's two-sided test).
constexpr double kRelTol = 1e-7;

}  // namespace

UTest mann_whitney_u(const std::vector<double>& x, const std::vector<double>& y, size_t exact_max_n) {
  UTest r;
  const size_t m = x.size(), n = y.size(), N = m + n;
  if (m == 0 || n == 0) return r;
  // Midranks of the pooled sample, doubled so they are integers.
  std::vector<std::pair<double, int>> all;
  for (double v : x) all.push_back({v, 0});
  for (double v : y) all.push_back({v, 1});
  std::sort(all.begin(), all.end(), [](auto& a, auto& b) { return a.first < b.first; });
  std::vector<int64_t> rank2(N);  // doubled midrank of each pooled value, ascending
  int64_t w2 = 0;                 // doubled rank sum of x
  double tie_term = 0;
  for (size_t i = 0; i < N;) {
    size_t j = i;
    while (j < N && all[j].first == all[i].first) ++j;
    const int64_t mid2 = int64_t(i + 1 + j);  // 2 x (i+1 + j)/2
    const double t = double(j - i);
    tie_term += t * t * t - t;
    for (size_t k = i; k < j; ++k) {
      rank2[k] = mid2;
      if (all[k].second == 0) w2 += mid2;
    }
    i = j;
  }
  r.u = double(w2) / 2 - double(m) * double(m + 1) / 2;
  if (N <= exact_max_n) {
    // Permutation distribution of x's doubled rank sum over every way of
    // choosing m of the N pooled values: count[k][s] = subsets of size k with
    // sum s among the values seen so far.
    const int64_t max_sum = std::accumulate(rank2.end() - long(m), rank2.end(), int64_t(0));
    std::vector<std::vector<double>> count(m + 1, std::vector<double>(size_t(max_sum) + 1, 0.0));
    count[0][0] = 1;
    for (size_t i = 0; i < N; ++i)
      for (size_t k = std::min(m, i + 1); k >= 1; --k)
        for (int64_t s = max_sum; s >= rank2[i]; --s) count[k][size_t(s)] += count[k - 1][size_t(s - rank2[i])];
    const auto& d = count[m];
    double total = 0, lo = 0, hi = 0;
    for (int64_t s = 0; s <= max_sum; ++s) {
      total += d[size_t(s)];
      if (s <= w2) lo += d[size_t(s)];
      if (s >= w2) hi += d[size_t(s)];
    }
    int64_t first = 0, last = max_sum;
    while (d[size_t(first)] == 0) ++first;
    while (d[size_t(last)] == 0) --last;
    r.exact = true;
    r.p_y_greater = lo / total;  // x's ranks small: y larger
    r.p_y_less = hi / total;
    r.p = std::min(1.0, 2 * std::min(r.p_y_greater, r.p_y_less));
    r.min_p_y_greater = first == last ? 1.0 : d[size_t(first)] / total;
    r.min_p_y_less = first == last ? 1.0 : d[size_t(last)] / total;
    r.min_p = std::min(1.0, 2 * std::min(r.min_p_y_greater, r.min_p_y_less));
    return r;
  }
  const double mu = double(m) * double(n) / 2;
  const double var = double(m) * double(n) / 12 * ((double(N) + 1) - tie_term / (double(N) * double(N - 1)));
  if (var <= 0) return r;  // every value tied: no evidence either way
  const double sd = std::sqrt(var);
  auto upper_tail = [](double z) { return 0.5 * std::erfc(z / std::sqrt(2.0)); };
  // U of x below its mean: x's values are small, y's large.
  r.p_y_greater = upper_tail((mu - r.u - 0.5) / sd);
  r.p_y_less = upper_tail((r.u - mu - 0.5) / sd);
  r.p = std::min(1.0, 2 * std::min(r.p_y_greater, r.p_y_less));
  r.min_p_y_greater = r.min_p_y_less = upper_tail((mu - 0.5) / sd);
  r.min_p = std::min(1.0, 2 * r.min_p_y_greater);
  return r;
}

FisherTest fisher_exact(int64_t a, int64_t b, int64_t c, int64_t d) {
  FisherTest f;
  if (a < 0 || b < 0 || c < 0 || d < 0) return f;
  // Given the margins, the current run's events X are hypergeometric.
  const int64_t events = a + c, cur_n = c + d, total = a + b + c + d;
  const int64_t lo = std::max<int64_t>(0, events - (a + b)), hi = std::min(events, cur_n);
  if (total == 0 || lo == hi) return f;
  const double denom = log_choose(double(total), double(cur_n));
  auto prob = [&](int64_t x) {
    return std::exp(log_choose(double(events), double(x)) + log_choose(double(total - events), double(cur_n - x)) -
                    denom);
  };
  const double p_obs = prob(c);
  double greater = 0, two = 0;
  for (int64_t x = lo; x <= hi; ++x) {
    const double px = prob(x);
    if (x >= c) greater += px;
    if (px <= p_obs * (1 + kRelTol)) two += px;
  }
  f.p_greater = std::min(1.0, greater);
  f.p = std::min(1.0, two);
  f.min_p_greater = std::min(1.0, prob(hi));
  return f;
}

std::vector<double> benjamini_hochberg(const std::vector<double>& p) {
  const size_t m = p.size();
  std::vector<size_t> order(m);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return p[a] < p[b]; });
  std::vector<double> adj(m);
  double running = 1;
  for (size_t i = m; i-- > 0;) {  // from the largest p down: q(i) = min over j >= i of m p(j) / j
    running = std::min(running, p[order[i]] * double(m) / double(i + 1));
    adj[order[i]] = std::min(1.0, running);
  }
  return adj;
}

std::vector<double> holm(const std::vector<double>& p) {
  const size_t m = p.size();
  std::vector<size_t> order(m);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return p[a] < p[b]; });
  std::vector<double> adj(m);
  double running = 0;
  for (size_t i = 0; i < m; ++i) {  // adjusted(i) = max over j <= i of (m - j) p(j), 0-based
    running = std::max(running, std::min(1.0, double(m - i) * p[order[i]]));
    adj[order[i]] = running;
  }
  return adj;
}

int repetitions_to_reach(double level) {
  for (int r = 1; r < 50; ++r)
    if (-log_choose(2.0 * r, r) <= std::log(level)) return r;
  return 50;
}

}  // namespace bb
