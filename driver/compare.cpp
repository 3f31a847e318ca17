// Run-to-run comparison (the CI gate behind `backup-bench compare`).
#include "driver/compare.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>

#include "core/errors.h"

namespace fs = std::filesystem;

#include "driver/metrics.h"

namespace bb {
namespace {


// Number of orderings of m x's and n y's with each U value (no ties): the
// classic recurrence c(m,n,u) = c(m-1,n,u-n) + c(m,n-1,u).
std::vector<double> u_counts(size_t m, size_t n) {
  // table[j] holds the distribution for (i, j) while i grows.
  std::vector<std::vector<double>> prev(n + 1), cur(n + 1);
  for (size_t j = 0; j <= n; ++j) prev[j] = {1.0};  // i = 0: U is 0
  for (size_t i = 1; i <= m; ++i) {
    cur[0] = {1.0};
    for (size_t j = 1; j <= n; ++j) {
      std::vector<double> d(i * j + 1, 0.0);
      for (size_t u = 0; u < prev[j].size(); ++u) d[u + j] += prev[j][u];   // last is an x above j y's
      for (size_t u = 0; u < cur[j - 1].size(); ++u) d[u] += cur[j - 1][u];  // last is a y
      cur[j] = std::move(d);
    }
    std::swap(prev, cur);
  }
  return prev[n];
}

double binom(size_t n, size_t k) {
  double r = 1;
  for (size_t i = 1; i <= k; ++i) r = r * double(n - k + i) / double(i);
  return r;
}

const char* kNonOk[] = {"CORRUPT", "INCONSISTENT", "STALE", "FAILED"};

double num(const nlohmann::json& t, const char* ptr) {
  auto p = nlohmann::json::json_pointer(ptr);
  return t.contains(p) && t[p].is_number() ? t[p].get<double>() : std::nan("");
}

struct MetricDef {
  const char* name;
  const char* ptr;
  bool lower_is_better;
  double floor;  // absolute changes below this are noise, never a regression
};
const MetricDef kMetrics[] = {
    {"during_p99_ms", "/writers/during/p99_ms", true, 0.5},
    {"max_stall_ms", "/writers/max_stall_ms", true, 0.5},
    {"backup_duration_s", "/backup/duration_s", true, 0.005},
    {"backup_mb_per_s", "/backup/mb_per_s", false, 0.5},
};

std::string verdicts_str(const std::map<std::string, int>& v) {
  std::string s;
  for (auto& [k, n] : v) s += fmt::format("{}{}={}", s.empty() ? "" : " ", k, n);
  return s.empty() ? "-" : s;
}

}  // namespace

UTest mann_whitney_u(const std::vector<double>& x, const std::vector<double>& y) {
  UTest r;
  size_t m = x.size(), n = y.size();
  if (m == 0 || n == 0) return r;
  r.min_p = std::min(1.0, 2.0 / binom(m + n, m));
  // Midranks of the pooled sample, and the tie groups' sizes.
  std::vector<std::pair<double, int>> all;
  for (double v : x) all.push_back({v, 0});
  for (double v : y) all.push_back({v, 1});
  std::sort(all.begin(), all.end(), [](auto& a, auto& b) { return a.first < b.first; });
  double rank_x = 0, tie_term = 0;
  bool ties = false;
  for (size_t i = 0; i < all.size();) {
    size_t j = i;
    while (j < all.size() && all[j].first == all[i].first) ++j;
    double t = double(j - i), mid = (double(i + 1) + double(j)) / 2;
    if (t > 1) ties = true;
    tie_term += t * t * t - t;
    for (size_t k = i; k < j; ++k)
      if (all[k].second == 0) rank_x += mid;
    i = j;
  }
  r.u = rank_x - double(m) * double(m + 1) / 2;
  double N = double(m + n);
  if (!ties && m <= 25 && n <= 25) {
    auto c = u_counts(m, n);
    double total = binom(m + n, m), lo = 0, hi = 0;
    size_t u = size_t(std::llround(r.u));
    for (size_t k = 0; k < c.size(); ++k) {
      if (k <= u) lo += c[k];
      if (k >= u) hi += c[k];
    }
    r.exact = true;
    r.p = std::min(1.0, 2 * std::min(lo, hi) / total);
    return r;
  }
  double mu = double(m) * double(n) / 2;
  double var = double(m) * double(n) / 12 * ((N + 1) - tie_term / (N * (N - 1)));
  if (var <= 0) return r;  // every value tied: no evidence of a difference
  double z = std::max(0.0, std::fabs(r.u - mu) - 0.5) / std::sqrt(var);
  r.p = std::min(1.0, std::erfc(z / std::sqrt(2.0)));
  return r;
}

bool LabelDelta::regression() const {
  if (lost_ok) return true;
  for (auto& m : metrics)
    if (m.regression) return true;
  return false;
}

bool Comparison::regression() const {
  for (auto& l : labels)
    if (l.regression()) return true;
  return false;
}

static nlohmann::json load_one(const std::string& path) {
  fs::path p(path);
  if (!fs::exists(p)) throw UsageError(fmt::format("{} does not exist", path));
  if (fs::is_directory(p)) {
    p /= "results.json";
    if (!fs::exists(p)) throw UsageError(fmt::format("{} holds no results.json (not a run folder)", path));
  }
  std::ifstream in(p);
  auto j = nlohmann::json::parse(in, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    throw UsageError(fmt::format("{} is not a results file (not JSON)", p.string()));
  if (!j.contains("trials") || !j["trials"].is_array() || j.value("schema", "").rfind("backup-bench/", 0) != 0)
    throw UsageError(fmt::format("{} is not a backup-bench results file (no schema/trials)", p.string()));
  return j;
}

nlohmann::json load_results(const std::string& paths) {
  // Shards of one scenario: the first file's context, every file's trials.
  nlohmann::json merged;
  size_t pos = 0;
  while (pos <= paths.size()) {
    size_t comma = paths.find(',', pos);
    std::string one = paths.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    pos = comma == std::string::npos ? paths.size() + 1 : comma + 1;
    if (one.empty()) continue;
    auto j = load_one(one);
    if (merged.is_null()) {
      merged = std::move(j);
    } else {
      for (auto& t : j["trials"]) merged["trials"].push_back(t);
    }
  }
  if (merged.is_null()) throw UsageError("no results given");
  return merged;
}

Comparison compare_runs(const nlohmann::json& base, const nlohmann::json& cur, const CompareOptions& opts) {
  Comparison c;
  c.opts = opts;
  c.base_sqlite = base.value("sqlite_version", "?");
  c.cur_sqlite = cur.value("sqlite_version", "?");
  for (auto* field : {"name", "db_mb", "writers", "readers", "rate", "synchronous", "page_size"}) {
    auto b = base.value("scenario", nlohmann::json::object()).value(field, nlohmann::json());
    auto k = cur.value("scenario", nlohmann::json::object()).value(field, nlohmann::json());
    if (b != k) c.warnings.push_back(fmt::format("scenario {} differs: {} vs {}", field, b.dump(), k.dump()));
  }
  // The database size joins the key only when a run has several (a scaling run).
  std::set<double> sizes;
  for (auto* r : {&base, &cur})
    for (auto& t : (*r)["trials"]) sizes.insert(t.value("db_mb", 0.0));
  auto key_of = [&](const nlohmann::json& t) {
    std::string k = t.value("mode", "?") + "/" + t.value("label", t.value("strategy", "?"));
    if (sizes.size() > 1) k += fmt::format("@{}MB", t.value("db_mb", 0.0));
    return k;
  };
  std::vector<std::string> order;
  std::map<std::string, std::pair<std::vector<const nlohmann::json*>, std::vector<const nlohmann::json*>>> groups;
  for (int side = 0; side < 2; ++side)
    for (auto& t : (side ? cur : base)["trials"]) {
      auto k = key_of(t);
      if (!groups.count(k)) order.push_back(k);
      (side ? groups[k].second : groups[k].first).push_back(&t);
    }
  for (auto& k : order) {
    auto& [bt, ct] = groups[k];
    if (bt.empty() || ct.empty()) {
      (bt.empty() ? c.only_cur : c.only_base).push_back(k);
      continue;
    }
    LabelDelta d;
    d.key = k;
    d.mode = (*bt[0]).value("mode", "?");
    d.label = (*bt[0]).value("label", "?");
    for (auto* t : bt) d.base_verdicts[(*t)["verdict"].value("status", "?")]++;
    for (auto* t : ct) d.cur_verdicts[(*t)["verdict"].value("status", "?")]++;
    auto ok_frac = [](const std::map<std::string, int>& v) {
      int ok = 0, all = 0;
      for (auto& [s, n] : v) {
        if (s == "SKIPPED") continue;
        all += n;
        if (s == "OK") ok += n;
      }
      return all ? double(ok) / all : 1.0;
    };
    if (ok_frac(d.cur_verdicts) < ok_frac(d.base_verdicts)) {
      d.lost_ok = true;
      d.verdict_note = "fewer OK verdicts";
    }
    for (auto* s : kNonOk)
      if (d.cur_verdicts.count(s) && !d.base_verdicts.count(s)) {
        d.lost_ok = true;
        d.verdict_note += fmt::format("{}new {}", d.verdict_note.empty() ? "" : ", ", s);
      }
    for (auto& def : kMetrics) {
      MetricDelta m;
      m.name = def.name;
      m.lower_is_better = def.lower_is_better;
      for (int side = 0; side < 2; ++side)
        for (auto* t : side ? ct : bt) {
          if ((*t)["backup"].value("status", "") == "skipped") continue;
          double v = num(*t, def.ptr);
          if (!std::isnan(v)) (side ? m.cur : m.base).push_back(v);
        }
      if (m.base.empty() || m.cur.empty()) continue;
      m.base_median = median(m.base);
      m.cur_median = median(m.cur);
      double diff = m.cur_median - m.base_median;
      m.change_pct = m.base_median != 0 ? 100 * diff / std::fabs(m.base_median) : (diff == 0 ? 0 : INFINITY);
      double bad = def.lower_is_better ? diff : -diff;
      m.worse = bad > def.floor && (bad / std::max(std::fabs(m.base_median), 1e-12)) * 100 > opts.threshold_pct;
      if (m.base.size() < opts.min_reps || m.cur.size() < opts.min_reps) {
        m.note = fmt::format("{} vs {} repetitions: threshold alone", m.base.size(), m.cur.size());
      } else {
        auto u = mann_whitney_u(m.base, m.cur);
        if (u.min_p >= opts.alpha)
          m.note = fmt::format("{} vs {} repetitions cannot reach p<{}: threshold alone", m.base.size(),
                               m.cur.size(), opts.alpha);
        else
          m.test = u;
      }
      m.regression = m.worse && (!m.test || m.test->p < opts.alpha);
      d.metrics.push_back(std::move(m));
    }
    c.labels.push_back(std::move(d));
  }
  return c;
}

std::string format_comparison(const Comparison& c) {
  std::string out = fmt::format(
      "compare  baseline {} (SQLite {})\n         current  {} (SQLite {})\n"
      "         worse = beyond {}% in the bad direction; significant = Mann-Whitney U p < {} "
      "(where both sides have enough repetitions)\n\n",
      c.base_path, c.base_sqlite, c.cur_path, c.cur_sqlite, c.opts.threshold_pct, c.opts.alpha);
  for (auto& w : c.warnings) out += "WARNING: " + w + "\n";
  if (!c.warnings.empty()) out += "\n";
  out += fmt::format("{:<34} {:<18} {:>10} {:>10} {:>9} {:>8}  {}\n", "mode/label", "metric", "baseline",
                     "current", "change", "p", "result");
  std::vector<std::string> findings, notes;
  for (auto& l : c.labels) {
    for (auto& m : l.metrics) {
      std::string p = m.test ? fmt::format("{:.3f}", m.test->p) : "n/a";
      std::string res = m.regression ? "REGRESSION" : m.worse ? "worse, not significant" : "ok";
      out += fmt::format("{:<34} {:<18} {:>10.3f} {:>10.3f} {:>+8.1f}% {:>8}  {}\n", l.key, m.name, m.base_median,
                         m.cur_median, m.change_pct, p, res);
      if (m.regression)
        findings.push_back(fmt::format("{} {} {:+.1f}% ({:.3f} -> {:.3f}{})", l.key, m.name, m.change_pct,
                                       m.base_median, m.cur_median,
                                       m.test ? fmt::format(", p={:.3f}", m.test->p) : ", " + m.note));
      if (!m.note.empty() && std::find(notes.begin(), notes.end(), m.note) == notes.end()) notes.push_back(m.note);
    }
    out += fmt::format("{:<34} {:<18} {:>10} {:>10}  {}\n", l.key, "verdicts", verdicts_str(l.base_verdicts),
                       verdicts_str(l.cur_verdicts), l.lost_ok ? "REGRESSION: " + l.verdict_note : "ok");
    if (l.lost_ok) findings.push_back(fmt::format("{} verdicts {} -> {} ({})", l.key, verdicts_str(l.base_verdicts),
                                                  verdicts_str(l.cur_verdicts), l.verdict_note));
  }
  for (auto& k : c.only_base) out += fmt::format("{:<34} only in the baseline (not compared)\n", k);
  for (auto& k : c.only_cur) out += fmt::format("{:<34} only in the current run (not compared)\n", k);
  if (!notes.empty()) {
    out += "\nnot tested for significance:";
    for (auto& n : notes) out += "\n  " + n;
    out += "\n";
  }
  if (findings.empty()) {
    out += "\nno regression\n";
  } else {
    out += fmt::format("\n{} regression(s):\n", findings.size());
    for (auto& f : findings) out += "  " + f + "\n";
  }
  return out;
}

nlohmann::json to_json(const Comparison& c) {
  nlohmann::json labels = nlohmann::json::array();
  for (auto& l : c.labels) {
    nlohmann::json ms = nlohmann::json::object();
    for (auto& m : l.metrics) {
      nlohmann::json mj{{"baseline", m.base},
                        {"current", m.cur},
                        {"baseline_median", m.base_median},
                        {"current_median", m.cur_median},
                        {"change_pct", std::isfinite(m.change_pct) ? nlohmann::json(m.change_pct) : nullptr},
                        {"lower_is_better", m.lower_is_better},
                        {"worse", m.worse},
                        {"regression", m.regression}};
      if (m.test)
        mj["u_test"] = {{"u", m.test->u}, {"p", m.test->p}, {"exact", m.test->exact}};
      else
        mj["u_test"] = nullptr;
      if (!m.note.empty()) mj["note"] = m.note;
      ms[m.name] = mj;
    }
    labels.push_back({{"key", l.key},
                      {"mode", l.mode},
                      {"label", l.label},
                      {"metrics", ms},
                      {"verdicts", {{"baseline", l.base_verdicts}, {"current", l.cur_verdicts}}},
                      {"lost_ok", l.lost_ok},
                      {"verdict_note", l.verdict_note},
                      {"regression", l.regression()}});
  }
  return {{"baseline", c.base_path},
          {"current", c.cur_path},
          {"sqlite", {{"baseline", c.base_sqlite}, {"current", c.cur_sqlite}}},
          {"threshold_pct", c.opts.threshold_pct},
          {"alpha", c.opts.alpha},
          {"min_repetitions", c.opts.min_reps},
          {"labels", labels},
          {"only_baseline", c.only_base},
          {"only_current", c.only_cur},
          {"warnings", c.warnings},
          {"regression", c.regression()}};
}

}  // namespace bb
