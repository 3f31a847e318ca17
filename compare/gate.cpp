// Run-to-run comparison (the CI gate behind `backup-bench compare`): cells,
// the trials that count in each, the rules of docs/compare.md, and the
// correction over every test of the comparison.
#include "compare/gate.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "compare/context.h"
#include "results/metrics.h"
#include "results/schema.h"
#include "results/summary.h"
#include "results/trial_result.h"

namespace bb {
namespace {

using json = nlohmann::json;

// Which trials a metric is taken from (docs/measuring-impact.md): writer
// figures from steady loads, timings from completed backups.
enum class From { kWriters, kCompleted };

struct MetricDef {
  const char* name;
  const char* ptr;
  const char* unit;
  From from;
  bool lower_is_better;
  double abs_floor;     // a smaller change is noise whatever the test says
  bool schedule_floor;  // below one writer period the metric cannot tell impact from the schedule
};
const MetricDef kMetrics[] = {
    {"max_stall_ms", "/writers/max_stall_ms", "ms", From::kWriters, true, 1.0, true},
    {"delayed_extra_ms", "/writers/delayed_extra_ms", "ms", From::kWriters, true, 1.0, true},
    {"during_p99_ms", "/writers/during/p99_ms", "ms", From::kWriters, true, 0.5, false},
    {"backup_duration_s", "/backup/duration_s", "s", From::kCompleted, true, 0.005, false},
};

// The verdicts that are wrong snapshots (CORRUPT, INCONSISTENT, STALE), from
// the one table results.json also carries (results/schema.h).
const std::vector<std::string>& wrong_snapshots() {
  static const std::vector<std::string> kinds = [] {
    std::vector<std::string> out;
    for (auto& v : verdict_table())
      if (v["wrong_snapshot"].get<bool>()) out.push_back(v["status"].get<std::string>());
    return out;
  }();
  return kinds;
}

bool harness(const json& t) { return !t["harness_error"].is_null(); }
bool skipped(const json& t) { return t["backup"]["status"] == "skipped"; }
bool judged(const json& t) { return !harness(t) && !skipped(t); }
bool failed(const json& t) {
  auto s = t["backup"]["status"];
  return judged(t) && (s == "failed" || s == "timeout");
}
bool counts_for(const json& t, From f) {
  if (f == From::kWriters) return impact_counts(t);
  return !harness(t) && t["backup"]["status"] == "completed";
}

std::optional<double> number_at(const json& t, const char* ptr) {
  auto p = json::json_pointer(ptr);
  if (!t.contains(p) || !t[p].is_number()) return std::nullopt;
  double v = t[p].get<double>();
  return std::isfinite(v) ? std::optional(v) : std::nullopt;
}

// The gap a trial's own writer schedule allows (one period), 0 closed loop.
double schedule_floor(const json& t) {
  double f = 0;
  auto p = json::json_pointer("/writers/writer_gaps");
  if (t.contains(p) && t[p].is_array())
    for (auto& g : t[p])
      if (g.is_object() && g.contains("floor_ms") && g["floor_ms"].is_number())
        f = std::max(f, g["floor_ms"].get<double>());
  return f;
}

// Tukey's hinges: the medians of the lower and upper halves (the middle value
// in both when the count is odd); their distance is the spread.
double spread(std::vector<double> v) {
  if (v.size() < 2) return 0;
  std::sort(v.begin(), v.end());
  size_t half = (v.size() + 1) / 2;
  std::vector<double> lo(v.begin(), v.begin() + long(half)), hi(v.end() - long(half), v.end());
  return median(hi) - median(lo);
}

std::string count_text(int events, int n) { return fmt::format("{} of {}", events, n); }

std::string cell_key(const json& t, const std::vector<std::string>& axes) {
  std::string k = fmt::format("{}/{}@{}MB/w{}", t.value("mode", "?"), t.value("label", "?"), t.value("db_mb", 0),
                              t.value("writer_count", 0));
  for (auto& a : axes) k += fmt::format("[{}={}]", a, axis_text(axis_value(t, a)));
  return k;
}

MetricDelta metric_delta(const MetricDef& def, const std::vector<const json*>& bt, const std::vector<const json*>& ct,
                         const CompareOptions& opts) {
  MetricDelta m;
  m.name = def.name;
  m.unit = def.unit;
  m.lower_is_better = def.lower_is_better;
  for (int side = 0; side < 2; ++side)
    for (auto* t : side ? ct : bt) {
      if (!counts_for(*t, def.from)) continue;
      auto v = number_at(*t, def.ptr);
      if (!v) continue;
      if (def.schedule_floor) m.floor = std::max(m.floor, schedule_floor(*t));
      (side ? m.cur : m.base).push_back(*v);
    }
  // Below the coarser of the two runs' schedules nothing can be told apart: every
  // value under that floor is the floor (each run's own would differ by its pace).
  for (auto* side : {&m.base, &m.cur})
    for (auto& v : *side) v = std::max(v, m.floor);
  if (m.base.empty() || m.cur.empty()) return m;
  m.base_median = median(m.base);
  m.cur_median = median(m.cur);
  m.change = m.cur_median - m.base_median;
  m.change_pct = m.base_median != 0 ? 100 * m.change / std::fabs(m.base_median) : (m.change == 0 ? 0 : INFINITY);
  const std::pair<double, const char*> limits[] = {
      {opts.threshold_pct / 100 * std::fabs(m.base_median), "threshold"},
      {def.abs_floor, "absolute floor"},
      {spread(m.base), "baseline spread"},
      {def.schedule_floor ? m.floor : 0.0, "schedule floor"},
  };
  for (auto& [v, why] : limits)
    if (v > m.needed || m.needed_by.empty()) m.needed = std::max(m.needed, v), m.needed_by = why;
  const double bad = def.lower_is_better ? m.change : -m.change;
  m.worse = bad > m.needed;
  // The test asks what the rule asks: is the current run worse by more than
  // `needed`? (the current values shifted back by it). A shift the metric cannot
  // resolve, such as a busier machine moving every cell by a little, gives no
  // small p-value, so it neither fails the gate nor lowers the bar for others.
  std::vector<double> shifted = m.cur;
  for (auto& v : shifted) v += def.lower_is_better ? -m.needed : m.needed;
  auto u = mann_whitney_u(m.base, shifted);
  m.test.run = true;
  m.test.p = def.lower_is_better ? u.p_y_greater : u.p_y_less;
  m.test.min_p = def.lower_is_better ? u.min_p_y_greater : u.min_p_y_less;
  m.test.in_family = m.test.min_p <= opts.alpha * (1 + 1e-9);
  if (!m.test.in_family)
    m.note = fmt::format("{} vs {} values cannot reach p <= {} (best {:.3f})", m.base.size(), m.cur.size(),
                         opts.alpha, m.test.min_p);
  return m;
}

CountDelta count_delta(int be, int bn, int ce, int cn, const CompareOptions& opts) {
  CountDelta c{be, bn, ce, cn, {}, {}, false};
  if (bn == 0 || cn == 0) return c;
  auto f = fisher_exact(be, bn - be, ce, cn - ce);
  c.test.run = true;
  c.test.p = f.p_greater;
  c.test.min_p = f.min_p_greater;
  c.test.in_family = f.min_p_greater <= opts.alpha * (1 + 1e-9);
  if (!c.test.in_family && (be + ce) > 0)
    c.note = fmt::format("{} -> {}: too few to tell (Fisher's test cannot reach p <= {})", count_text(be, bn),
                         count_text(ce, cn), opts.alpha);
  return c;
}

CellDelta cell_delta(const std::string& key, const std::vector<const json*>& bt, const std::vector<const json*>& ct,
                     const CompareOptions& opts) {
  CellDelta d;
  d.key = key;
  d.mode = (*ct[0])["mode"].get<std::string>();
  d.label = (*ct[0])["label"].get<std::string>();
  d.expected_safe = (*ct[0])["expected_safe"].get<bool>();
  int fails[2] = {0, 0}, judged_n[2] = {0, 0};
  std::map<std::string, int> wrong[2];
  for (int side = 0; side < 2; ++side)
    for (auto* t : side ? ct : bt) {
      auto st = (*t)["verdict"]["status"].get<std::string>();
      (side ? d.cur_verdicts : d.base_verdicts)[st]++;
      (side ? d.cur_trials : d.base_trials)++;
      if (harness(*t)) (side ? d.cur_harness : d.base_harness)++;
      if (!judged(*t)) continue;
      judged_n[side]++;
      if (failed(*t)) fails[side]++;
      if (!(*t)["load"]["steady"].get<bool>()) (side ? d.cur_unsteady : d.base_unsteady)++;
      if (impact_counts(*t)) (side ? d.cur_steady : d.base_steady)++;
      for (auto& w : wrong_snapshots())
        if (st == w) wrong[side][st]++;
    }
  std::vector<double> rates[2];
  for (int side = 0; side < 2; ++side)
    for (auto* t : side ? ct : bt)
      if (judged(*t))
        if (auto r = number_at(*t, "/rate")) rates[side].push_back(*r);
  if (!rates[0].empty() && !rates[1].empty()) {
    d.base_rate = median(rates[0]);
    d.cur_rate = median(rates[1]);
    const double lo = std::min(d.base_rate, d.cur_rate), hi = std::max(d.base_rate, d.cur_rate);
    d.load_differs = lo <= 0 ? hi > 0 : hi / lo > 1 + opts.load_tolerance;
  }
  d.base_judged = judged_n[0];
  d.cur_judged = judged_n[1];
  d.failures = count_delta(fails[0], judged_n[0], fails[1], judged_n[1], opts);
  if (d.expected_safe) {
    int wb = 0, wc = 0;
    for (auto& w : wrong_snapshots()) {
      wb += wrong[0][w];
      wc += wrong[1][w];
      if (wrong[1][w] > 0 && wrong[0][w] == 0)
        d.new_wrong.push_back(fmt::format("{} ({})", w, count_text(wrong[1][w], judged_n[1])));
    }
    // A kind the baseline also had: whether it became more frequent is a count.
    if (d.new_wrong.empty() && wb > 0 && wc > 0) d.wrong = count_delta(wb, judged_n[0], wc, judged_n[1], opts);
  }
  for (auto& def : kMetrics) {
    auto m = metric_delta(def, bt, ct, opts);
    if (!m.base.empty() && !m.cur.empty()) d.metrics.push_back(std::move(m));
  }
  if (d.load_differs) {
    const std::string why = fmt::format("not judged: the writers' load differs ({:.4g} vs {:.4g} tx/s)", d.base_rate,
                                        d.cur_rate);
    for (auto& m : d.metrics) m.test.in_family = false, m.note = why;
    d.failures.test.in_family = false;
    if (d.failures.base_events + d.failures.cur_events > 0) d.failures.note = why;
    if (d.wrong) d.wrong->test.in_family = false, d.wrong->note = why;
  }
  return d;
}

}  // namespace

const char* correction_name(Correction c) {
  return c == Correction::kHolm ? "Holm" : "Benjamini-Hochberg";
}

bool CellDelta::regression() const {
  if (!new_wrong.empty() || failures.regression || (wrong && wrong->regression)) return true;
  for (auto& m : metrics)
    if (m.regression) return true;
  return false;
}

std::vector<std::string> CellDelta::findings() const {
  std::vector<std::string> out;
  for (auto& w : new_wrong)
    out.push_back(fmt::format("{}: new {} of a strategy expected to be safe", key, w));
  auto count = [&](const char* what, const CountDelta& c) {
    out.push_back(fmt::format("{}: {} {} -> {} (Fisher's exact p={:.4f}, adjusted {:.4f})", key, what,
                              count_text(c.base_events, c.base_n), count_text(c.cur_events, c.cur_n), c.test.p,
                              c.test.q.value_or(1)));
  };
  if (failures.regression) count("failed/timed-out backups", failures);
  if (wrong && wrong->regression) count("wrong snapshots", *wrong);
  for (auto& m : metrics)
    if (m.regression)
      out.push_back(fmt::format("{}: {} {:+.1f}% ({:.4g} -> {:.4g} {}, more than the {:.4g} {} needed by the {}; "
                                "U test p={:.4f}, adjusted {:.4f})",
                                key, m.name, m.change_pct, m.base_median, m.cur_median, m.unit, m.needed, m.unit,
                                m.needed_by, m.test.p, m.test.q.value_or(1)));
  return out;
}

bool Comparison::regression() const {
  for (auto& c : cells)
    if (c.regression()) return true;
  return false;
}

std::vector<std::string> Comparison::findings() const {
  std::vector<std::string> out;
  for (auto& c : cells)
    for (auto& f : c.findings()) out.push_back(f);
  return out;
}

int Comparison::exit_code(bool strict) const {
  if (cells.empty()) return 2;
  if (strict && !warnings.empty()) return 2;
  return regression() ? 1 : 0;
}

std::string no_common_cell_line(const Comparison& c) {
  return fmt::format("the runs share no cell to compare (cells are journal mode/label@size/writers): the baseline "
                     "has {}; the current run has {}",
                     c.only_base.empty() ? "none" : list_some(c.only_base, 4),
                     c.only_cur.empty() ? "none" : list_some(c.only_cur, 4));
}

namespace {

// What the gate could see with these repetitions.
void power_notes(Comparison& c, size_t metric_tests, double best_metric_min_p, double best_possible) {
  const CompareOptions& opts = c.opts;
  int base_unsteady = 0, cur_unsteady = 0;
  for (auto& cell : c.cells) base_unsteady += cell.base_unsteady, cur_unsteady += cell.cur_unsteady;
  if (base_unsteady + cur_unsteady > 0)
    c.notes.push_back(fmt::format("trials whose load was not steady before the backup are left out of the writer "
                                  "figures: {} in the baseline, {} in the current run",
                                  base_unsteady, cur_unsteady));
  if (metric_tests > 0 && best_possible > opts.alpha)
    c.warnings.push_back(fmt::format(
        "no metric change can be confirmed with so few repetitions (the smallest p they allow is {:.2g}, above {}): "
        "only verdicts are gated; use at least {} repetitions per side",
        best_possible, opts.alpha, repetitions_to_reach(opts.alpha / double(metric_tests))));
  if (c.family > 0) {
    const double single = opts.alpha / double(c.family);
    if (best_metric_min_p > single * (1 + 1e-9)) {
      int reps = repetitions_to_reach(single);
      if (opts.correction == Correction::kHolm)
        c.notes.push_back(fmt::format("with {} tests a change needs p <= {:.2g} under Holm's correction, below the "
                                      "{:.2g} these repetitions allow at best: no metric change can be confirmed; "
                                      "use {} repetitions per side",
                                      c.family, single, best_metric_min_p, reps));
      else {
        size_t k = size_t(std::ceil(best_metric_min_p / single - 1e-9));
        c.notes.push_back(fmt::format("with {} tests a change in one metric of one cell alone needs p <= {:.2g}, "
                                      "below the {:.2g} these repetitions allow at best: a change is confirmed when "
                                      "it shows in about {} or more tests at once; {} repetitions per side confirm "
                                      "it in one",
                                      c.family, single, best_metric_min_p, k, reps));
      }
    }
  }
}

}  // namespace

namespace {

// Warnings about cells that compare less than they seem: run on one side only,
// without a steady trial on one side, loaded differently, other repetition
// counts, on one side only.
void cell_warnings(Comparison& c, const json& base, const std::vector<std::string>& rep_diffs) {
  std::vector<std::string> one_sided, no_steady;
  for (auto& cell : c.cells) {
    if ((cell.base_judged == 0) != (cell.cur_judged == 0))
      one_sided.push_back(fmt::format("{} ({} vs {})", cell.key, cell.base_judged, cell.cur_judged));
    else if (cell.base_judged > 0 && (cell.base_steady == 0) != (cell.cur_steady == 0))
      no_steady.push_back(fmt::format("{} ({} vs {})", cell.key, cell.base_steady, cell.cur_steady));
  }
  if (!one_sided.empty())
    c.warnings.push_back(fmt::format("{} cell(s) ran on one side only (skipped or failed in the harness on the "
                                     "other), so only their verdicts are compared: {} judged trials",
                                     one_sided.size(), list_some(one_sided, 4)));
  if (!no_steady.empty())
    c.warnings.push_back(fmt::format("{} cell(s) have no trial with a steady load on one side, so their writer "
                                     "figures are not compared: {} steady trials",
                                     no_steady.size(), list_some(no_steady, 4)));
  std::vector<std::string> load_diffs;
  for (auto& cell : c.cells)
    if (cell.load_differs)
      load_diffs.push_back(fmt::format("{} ({:.4g} vs {:.4g} tx/s per writer)", cell.key, cell.base_rate, cell.cur_rate));
  if (!load_diffs.empty()) {
    const bool automatic = base.contains("scenario") && base["scenario"].is_object() &&
                           base["scenario"].value("rate", json()) == "auto";
    c.warnings.push_back(fmt::format(
        "the writers' load differs by more than {:.0f}% in {} cell(s), whose figures and failure counts are shown "
        "but not judged: {}{}",
        100 * c.opts.load_tolerance, load_diffs.size(), list_some(load_diffs, 3),
        automatic ? " (rate = auto paces each run from its own capacity probe; pin the rate for a gate: run --rate N)"
                  : ""));
  }
  if (!rep_diffs.empty())
    c.warnings.push_back(fmt::format("the repetition counts differ in {} cell(s): {}", rep_diffs.size(),
                                     list_some(rep_diffs, 4)));
  if (!c.only_base.empty() && !c.cells.empty())
    c.warnings.push_back(fmt::format("{} cell(s) only in the baseline, not compared: {}", c.only_base.size(),
                                     list_some(c.only_base)));
  if (!c.only_cur.empty() && !c.cells.empty())
    c.warnings.push_back(fmt::format("{} cell(s) only in the current run, not compared: {}", c.only_cur.size(),
                                     list_some(c.only_cur)));
}

// One family: every test that could reach alpha, corrected together; then what
// the gate could see with these repetitions.
void correct(Comparison& c) {
  const CompareOptions& opts = c.opts;
  std::vector<GateTest*> family;
  size_t metric_tests = 0;
  double best_metric_min_p = 1, best_possible = 1;  // in the family; of any metric test
  for (auto& cell : c.cells) {
    for (auto& m : cell.metrics) {
      ++metric_tests;
      best_possible = std::min(best_possible, m.test.min_p);
      if (m.test.in_family) family.push_back(&m.test), best_metric_min_p = std::min(best_metric_min_p, m.test.min_p);
    }
    if (cell.failures.test.in_family) family.push_back(&cell.failures.test);
    if (cell.wrong && cell.wrong->test.in_family) family.push_back(&cell.wrong->test);
  }
  c.family = family.size();
  std::vector<double> ps;
  for (auto* t : family) ps.push_back(t->p);
  auto adjusted = opts.correction == Correction::kHolm ? holm(ps) : benjamini_hochberg(ps);
  for (size_t i = 0; i < family.size(); ++i) family[i]->q = adjusted[i];
  for (auto& cell : c.cells) {
    for (auto& m : cell.metrics) m.regression = m.worse && m.test.significant(opts.alpha);
    cell.failures.regression = cell.failures.test.significant(opts.alpha);
    if (cell.wrong) cell.wrong->regression = cell.wrong->test.significant(opts.alpha);
  }
  power_notes(c, metric_tests, best_metric_min_p, best_possible);
}

}  // namespace

Comparison compare_runs(const json& base, const json& cur, const CompareOptions& opts) {
  Comparison c;
  c.opts = opts;
  c.base_sqlite = base.contains("sqlite_version") ? axis_text(base["sqlite_version"]) : "?";
  c.cur_sqlite = cur.contains("sqlite_version") ? axis_text(cur["sqlite_version"]) : "?";
  scenario_warnings(base, cur, c.warnings);
  host_warnings(base, cur, c.warnings);
  shard_host_warnings("baseline", base, c.warnings);
  shard_host_warnings("current", cur, c.warnings);
  data_warnings(base, cur, c.warnings);
  auto extra = extra_axes(base, cur, c.warnings);
  c.axes = {"mode", "label", "db_mb", "writer_count"};
  c.axes.insert(c.axes.end(), extra.begin(), extra.end());

  std::vector<std::string> order;
  std::map<std::string, std::pair<std::vector<const json*>, std::vector<const json*>>> groups;
  int harness_trials[2] = {0, 0};
  for (int side = 0; side < 2; ++side)
    for (auto& t : (side ? cur : base)["trials"]) {
      auto k = cell_key(t, extra);
      if (!groups.count(k)) order.push_back(k);
      (side ? groups[k].second : groups[k].first).push_back(&t);
      if (harness(t)) harness_trials[side]++;
    }
  run_warnings("baseline", base, harness_trials[0], c.warnings);
  run_warnings("current", cur, harness_trials[1], c.warnings);

  std::vector<std::string> rep_diffs;
  for (auto& k : order) {
    auto& [bt, ct] = groups[k];
    if (bt.empty() || ct.empty()) {
      (bt.empty() ? c.only_cur : c.only_base).push_back(k);
      continue;
    }
    if (bt.size() != ct.size()) rep_diffs.push_back(fmt::format("{} ({} vs {})", k, bt.size(), ct.size()));
    c.cells.push_back(cell_delta(k, bt, ct, opts));
  }
  cell_warnings(c, base, rep_diffs);
  correct(c);
  return c;
}

}  // namespace bb
