// The statistics of `compare` against values known by hand or by enumerating
// every split, and the gate's rules on synthetic runs in the results model.
#include "compare/gate.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "compare/stats.h"

namespace bb {
namespace {

// Every way of choosing which m of the pooled values are x's: the share of
// splits whose U is at most / at least the observed one (ties counted 1/2).
struct Enumerated {
  double lower = 0, upper = 0;
};
double u_of(const std::vector<double>& x, const std::vector<double>& y) {
  double u = 0;
  for (double a : x)
    for (double b : y) u += a > b ? 1 : a == b ? 0.5 : 0;
  return u;
}
Enumerated enumerate_u(const std::vector<double>& x, const std::vector<double>& y) {
  std::vector<double> pool(x);
  pool.insert(pool.end(), y.begin(), y.end());
  const double u_obs = u_of(x, y);
  const size_t n = pool.size(), m = x.size();
  double total = 0, lo = 0, hi = 0;
  for (uint32_t mask = 0; mask < (1u << n); ++mask) {
    if (size_t(__builtin_popcount(mask)) != m) continue;
    std::vector<double> a, b;
    for (size_t i = 0; i < n; ++i) ((mask >> i) & 1 ? a : b).push_back(pool[i]);
    const double u = u_of(a, b);
    total += 1;
    lo += u <= u_obs + 1e-9;
    hi += u >= u_obs - 1e-9;
  }
  return {lo / total, hi / total};
}

TEST(MannWhitneyU, CompletelySeparatedSmallSamplesUseTheExactDistribution) {
  // x below every y: U = 0, and only 1 of C(6,3) = 20 splits is as extreme on
  // each side, so p = 2/20 two-sided and 1/20 one-sided.
  auto r = mann_whitney_u({1, 2, 3}, {4, 5, 6});
  EXPECT_TRUE(r.exact);
  EXPECT_DOUBLE_EQ(r.u, 0);
  EXPECT_NEAR(r.p, 0.1, 1e-12);
  EXPECT_NEAR(r.p_y_greater, 0.05, 1e-12);
  EXPECT_NEAR(r.p_y_less, 1.0, 1e-12);
  EXPECT_NEAR(r.min_p, 0.1, 1e-12);  // 3 vs 3 can never reach p < 0.05 two-sided
  EXPECT_NEAR(r.min_p_y_greater, 0.05, 1e-12);
  // 5 vs 5: p = 2/C(10,5) = 2/252.
  auto r5 = mann_whitney_u({1, 2, 3, 4, 5}, {6, 7, 8, 9, 10});
  EXPECT_NEAR(r5.p, 2.0 / 252, 1e-12);
  EXPECT_NEAR(r5.p_y_greater, 1.0 / 252, 1e-12);
  // Symmetric: swapping the samples gives U' = m*n - U and the same p.
  auto s5 = mann_whitney_u({6, 7, 8, 9, 10}, {1, 2, 3, 4, 5});
  EXPECT_DOUBLE_EQ(s5.u, 25);
  EXPECT_NEAR(s5.p, r5.p, 1e-12);
  EXPECT_NEAR(s5.p_y_less, 1.0 / 252, 1e-12);
}

TEST(MannWhitneyU, InterleavedSamplesMatchTheEnumeratedExactPValue) {
  // Values from enumerating all C(9,4) = 126 and C(13,6) = 1716 splits.
  auto r = mann_whitney_u({1.1, 2.2, 3.3, 4.4}, {1.5, 2.5, 5.5, 6.5, 7.5});
  EXPECT_TRUE(r.exact);
  EXPECT_DOUBLE_EQ(r.u, 5);
  EXPECT_NEAR(r.p, 36.0 / 126, 1e-12);
  auto r2 = mann_whitney_u({10, 12, 14, 16, 18, 20}, {11, 13, 15, 30, 40, 50, 60});
  EXPECT_DOUBLE_EQ(r2.u, 12);
  EXPECT_NEAR(r2.p, 0.23426573426573427, 1e-12);
}

TEST(MannWhitneyU, TiesAreExactForSmallSamplesAndApproximatedForLargeOnes) {
  // N = 15; tie groups 2,4,3,2,2. Exact: the permutation distribution given the
  // ties, checked against enumerating all C(15,7) = 6435 splits.
  const std::vector<double> x{1, 2, 2, 3, 3, 3, 4}, y{3, 4, 4, 5, 5, 6, 7, 7};
  auto r = mann_whitney_u(x, y);
  EXPECT_TRUE(r.exact);
  EXPECT_DOUBLE_EQ(r.u, 3.5);
  auto e = enumerate_u(x, y);
  EXPECT_NEAR(r.p_y_greater, e.lower, 1e-12);
  EXPECT_NEAR(r.p_y_less, e.upper, 1e-12);
  EXPECT_NEAR(r.p, std::min(1.0, 2 * std::min(e.lower, e.upper)), 1e-12);
  // The normal approximation, by hand: sum(t^3 - t) = 102; var = 7*8/12 *
  // (16 - 102/210) = 72.40; z = (|3.5 - 28| - 0.5)/sqrt(var) = 2.8206.
  auto n = mann_whitney_u(x, y, 0);
  EXPECT_FALSE(n.exact);
  EXPECT_NEAR(n.p, 0.004793348746185464, 1e-9);
  EXPECT_NEAR(n.p_y_greater, 0.004793348746185464 / 2, 1e-9);
  // Everything tied: no evidence either way, and none possible.
  auto tied = mann_whitney_u({5, 5, 5}, {5, 5, 5});
  EXPECT_DOUBLE_EQ(tied.p, 1);
  EXPECT_DOUBLE_EQ(tied.min_p_y_greater, 1);
  EXPECT_DOUBLE_EQ(mann_whitney_u({}, {1, 2}).p, 1);
}

TEST(MannWhitneyU, ExactPValuesWithTiesMatchEnumerationOnRandomSamples) {
  std::mt19937 rng(7);
  for (int round = 0; round < 40; ++round) {
    std::uniform_int_distribution<int> size(1, 7), value(0, 4);
    std::vector<double> x(size_t(size(rng))), y(size_t(size(rng)));
    for (auto& v : x) v = value(rng);
    for (auto& v : y) v = value(rng);
    auto r = mann_whitney_u(x, y);
    auto e = enumerate_u(x, y);
    ASSERT_NEAR(r.p_y_greater, e.lower, 1e-9) << "round " << round;
    ASSERT_NEAR(r.p_y_less, e.upper, 1e-9) << "round " << round;
    EXPECT_LE(r.min_p_y_greater, r.p_y_greater + 1e-12);
  }
}

TEST(FisherExact, MatchesTheHypergeometricByHand) {
  // Fisher's tea-tasting table: baseline 3 of 4, current 1 of 4.
  auto tea = fisher_exact(3, 1, 1, 3);
  EXPECT_NEAR(tea.p, 34.0 / 70, 1e-12);         // 0.4857 (R, SciPy)
  EXPECT_NEAR(tea.p_greater, 69.0 / 70, 1e-12);  // the current run fails less
  // Baseline 1 of 4, current 3 of 4: P(X >= 3) = (16 + 1)/70.
  auto worse = fisher_exact(1, 3, 3, 1);
  EXPECT_NEAR(worse.p_greater, 17.0 / 70, 1e-12);
  EXPECT_NEAR(worse.min_p_greater, 1.0 / 70, 1e-12);
  // 0 of 5 against 5 of 5: the most extreme table, 1/C(10,5).
  auto all = fisher_exact(0, 5, 5, 0);
  EXPECT_NEAR(all.p_greater, 1.0 / 252, 1e-12);
  EXPECT_NEAR(all.p, 2.0 / 252, 1e-12);
  // 0 of 5 against 1 of 5: half the tables are as extreme; it can never be
  // significant, whatever the correction.
  auto one = fisher_exact(0, 5, 1, 4);
  EXPECT_NEAR(one.p_greater, 0.5, 1e-12);
  EXPECT_NEAR(one.min_p_greater, 0.5, 1e-12);
  // No events at all: nothing to test.
  EXPECT_DOUBLE_EQ(fisher_exact(0, 5, 0, 5).min_p_greater, 1);
}

TEST(MultipleComparisons, AdjustedPValuesMatchRsPAdjust) {
  // p.adjust(c(0.01, 0.04, 0.03, 0.005), "BH") and "holm".
  auto bh = benjamini_hochberg({0.01, 0.04, 0.03, 0.005});
  auto h = holm({0.01, 0.04, 0.03, 0.005});
  const double want_bh[] = {0.02, 0.04, 0.04, 0.02}, want_holm[] = {0.03, 0.06, 0.06, 0.02};
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_NEAR(bh[i], want_bh[i], 1e-12) << i;
    EXPECT_NEAR(h[i], want_holm[i], 1e-12) << i;
  }
  EXPECT_TRUE(benjamini_hochberg({}).empty());
  EXPECT_DOUBLE_EQ(holm({0.9, 0.8})[0], 1.0);  // capped at 1
}

TEST(MultipleComparisons, RepetitionsToReachALevel) {
  EXPECT_EQ(repetitions_to_reach(0.05), 3);     // 1/C(6,3) = 0.05
  EXPECT_EQ(repetitions_to_reach(0.01), 5);     // 1/252 = 0.004; 4: 1/70 = 0.014
  EXPECT_EQ(repetitions_to_reach(0.0013), 6);   // 1/924 = 0.0011
}

// ---- The gate's rules on synthetic trials (every field the model requires).

struct T {
  std::string mode = "wal", label = "online", verdict = "OK", status = "completed";
  bool safe = true, steady = true;
  double stall = 5, delayed = 0, dur = 0.1, floor = 3, rate = 300;
  std::optional<double> p99;
};

nlohmann::json trial(const T& t, int rep = 0) {
  return {{"mode", t.mode},
          {"label", t.label},
          {"strategy", t.label},
          {"db_mb", 8},
          {"writer_count", 2},
          {"repetition", rep},
          {"expected_safe", t.safe},
          {"harness_error", nullptr},
          {"rate", t.rate},
          {"backup", {{"status", t.status}, {"duration_s", t.dur}, {"error", nullptr}}},
          {"load", {{"steady", t.steady}, {"reason", t.steady ? "" : "writer 0 fell behind"}}},
          // What run writes: its writer figures count (no fault, no harness error here).
          {"impact_counts", t.steady && t.status != "skipped"},
          {"writers",
           {{"max_stall_ms", t.stall},
            {"delayed_extra_ms", t.delayed},
            {"during", {{"p99_ms", t.p99 ? nlohmann::json(*t.p99) : nlohmann::json(nullptr)}}},
            {"writer_gaps", {{{"worker", 0}, {"longest_gap_ms", t.stall}, {"floor_ms", t.floor}}}}}},
          {"verdict", {{"status", t.verdict}}},
          {"series", nullptr}};
}

nlohmann::json run_of(const std::vector<nlohmann::json>& trials, int repeat = 5) {
  return {{"schema", "backup-bench/2"},
          {"sqlite_version", "3.40.1"},
          {"scenario", {{"name", "t"}, {"repeat", repeat}, {"modes", {"wal"}}}},
          {"trials", trials}};
}

// n repetitions of one cell, the field f set from values[i].
std::vector<nlohmann::json> reps(T t, const std::vector<double>& stalls) {
  std::vector<nlohmann::json> out;
  for (size_t i = 0; i < stalls.size(); ++i) {
    t.stall = stalls[i];
    out.push_back(trial(t, int(i)));
  }
  return out;
}

const MetricDelta& metric(const CellDelta& c, const std::string& name) {
  for (auto& m : c.metrics)
    if (m.name == name) return m;
  throw std::runtime_error("no metric " + name);
}

TEST(Compare, CellsAreKeyedByModeLabelSizeAndWriters) {
  T a;
  auto c = compare_runs(run_of({trial(a)}), run_of({trial(a)}), {});
  ASSERT_EQ(c.cells.size(), 1u);
  EXPECT_EQ(c.cells[0].key, "wal/online@8MB/w2");
  EXPECT_EQ(c.exit_code(false), 0);
}

TEST(Compare, AFurtherAxisInTheTrialsSplitsTheCells) {
  // A run over two filesystems: each is its own cell; a field the run does not
  // vary stays out of the key.
  auto on = [](const char* fs) {
    auto t = trial(T{});
    t["filesystem"] = fs;
    return t;
  };
  auto both = run_of({on("ext4"), on("btrfs")});
  auto c = compare_runs(both, run_of({on("ext4")}), {});
  ASSERT_EQ(c.cells.size(), 1u);
  EXPECT_EQ(c.cells[0].key, "wal/online@8MB/w2[filesystem=ext4]");
  ASSERT_EQ(c.only_base.size(), 1u);
  EXPECT_EQ(c.only_base[0], "wal/online@8MB/w2[filesystem=btrfs]");
  // A trial's own `axes` object names axes this version does not know of.
  auto tagged = [](int v) {
    auto t = trial(T{});
    t["axes"] = {{"cache_mb", v}};
    return t;
  };
  auto c2 = compare_runs(run_of({tagged(1), tagged(64)}), run_of({tagged(64)}), {});
  ASSERT_EQ(c2.cells.size(), 1u);
  EXPECT_EQ(c2.cells[0].key, "wal/online@8MB/w2[cache_mb=64]");
  // Constant within each run but different between them: compared, with a warning.
  auto c3 = compare_runs(run_of({on("ext4")}), run_of({on("xfs")}), {});
  ASSERT_EQ(c3.cells.size(), 1u);
  EXPECT_NE(c3.warnings[0].find("filesystem"), std::string::npos);
}

// Two runs on different data (run --database / --workload-file) never compare
// silently; the same data at another path is no difference.
TEST(Compare, RunsOnDifferentDatabasesOrWorkloadFilesAreNamed) {
  auto with = [](const char* file, const char* identity, const char* hash) {
    auto r = run_of({trial(T{})});
    r["database"] = {{"file", file}, {"path", std::string("/somewhere/") + file}, {"bytes", 100},
                     {"identity", identity}};
    r["workload_file"] = {{"name", "w.toml"}, {"hash", hash}};
    return r;
  };
  auto same = compare_runs(with("app.db", "i1", "h1"), with("app.db", "i1", "h1"), {});
  for (auto& w : same.warnings) EXPECT_EQ(w.find("different"), std::string::npos) << w;
  auto c = compare_runs(with("app.db", "i1", "h1"), with("app.db", "i2", "h2"), {});
  std::string all;
  for (auto& w : c.warnings) all += w + "\n";
  EXPECT_NE(all.find("the runs are on different databases: app.db (100 bytes, identity i1) vs app.db (100 bytes, identity i2)"),
            std::string::npos)
      << all;
  EXPECT_NE(all.find("different workload files: w.toml (hash h1) vs w.toml (hash h2)"), std::string::npos) << all;
}

TEST(Compare, ANewWrongSnapshotOfASafeStrategyIsARegressionAtOnce) {
  T ok, stale;
  stale.verdict = "STALE";
  auto base = run_of({trial(ok), trial(ok)});
  auto c = compare_runs(base, run_of({trial(ok), trial(stale)}), {});
  EXPECT_TRUE(c.regression());
  ASSERT_EQ(c.cells[0].new_wrong.size(), 1u);
  EXPECT_EQ(c.cells[0].new_wrong[0], "STALE (1 of 2)");
  EXPECT_NE(c.findings()[0].find("new STALE"), std::string::npos);
  // The unsafe control going wrong is expected, not a regression.
  T raw = ok, raw_stale = stale;
  raw.label = raw_stale.label = "raw-copy";
  raw.safe = raw_stale.safe = false;
  EXPECT_FALSE(compare_runs(run_of({trial(raw)}), run_of({trial(raw_stale)}), {}).regression());
  // A safe strategy already wrong in the baseline: the count decides.
  auto c2 = compare_runs(run_of({trial(stale), trial(ok), trial(ok)}), run_of({trial(stale), trial(ok), trial(ok)}), {});
  EXPECT_FALSE(c2.regression());
  ASSERT_TRUE(c2.cells[0].wrong);
}

TEST(Compare, FailedBackupsCountOnlyWhenFishersTestSaysSo) {
  T ok, failed;
  failed.verdict = "FAILED";
  failed.status = "timeout";
  std::vector<nlohmann::json> base, one, all;
  for (int i = 0; i < 5; ++i) {
    base.push_back(trial(ok, i));
    one.push_back(trial(i == 0 ? failed : ok, i));
    all.push_back(trial(failed, i));
  }
  auto c1 = compare_runs(run_of(base), run_of(one), {});
  EXPECT_FALSE(c1.regression()) << format_comparison(c1, false);  // 0/5 -> 1/5: too few to tell
  EXPECT_FALSE(c1.cells[0].failures.test.in_family);
  auto c5 = compare_runs(run_of(base), run_of(all), {});
  EXPECT_TRUE(c5.cells[0].failures.regression);  // 0/5 -> 5/5: p = 1/252, alone in its family
  EXPECT_TRUE(c5.regression());
}

TEST(Compare, AMetricRegressesWhenBeyondWhatItResolvesAndSignificant) {
  T t;
  t.floor = 3;
  const std::vector<double> base{10, 11, 12, 13, 14, 10.5, 11.5, 12.5};
  auto cur = base;
  for (auto& v : cur) v += 30;  // far beyond threshold, spread and floor
  auto c = compare_runs(run_of(reps(t, base)), run_of(reps(t, cur)), {});
  auto& m = metric(c.cells[0], "max_stall_ms");
  EXPECT_TRUE(m.worse);
  ASSERT_TRUE(m.test.q);
  EXPECT_TRUE(m.regression) << format_comparison(c, false);
  EXPECT_EQ(c.exit_code(false), 1);
  // The same values against themselves: nothing.
  EXPECT_FALSE(compare_runs(run_of(reps(t, base)), run_of(reps(t, base)), {}).regression());
}

TEST(Compare, AStallAtTheSchedulesFloorIsNoSignal) {
  // Writers paced at 40 ms: a stall below one period is what the schedule
  // allows. 5 -> 30 ms is +500%, fully separated, and still no regression.
  T t;
  t.floor = 40;
  const std::vector<double> base{5, 5.5, 6, 6.5, 7, 5.2, 5.7, 6.2}, cur{30, 31, 32, 33, 34, 30.5, 31.5, 32.5};
  auto c = compare_runs(run_of(reps(t, base)), run_of(reps(t, cur)), {});
  auto& m = metric(c.cells[0], "max_stall_ms");
  EXPECT_FALSE(m.worse);
  EXPECT_FALSE(m.regression);
  EXPECT_DOUBLE_EQ(m.base_median, 40);  // raised to the floor
  EXPECT_EQ(m.needed_by, "schedule floor");
}

TEST(Compare, AChangeWithinTheBaselinesSpreadIsNotARegression) {
  // The baseline's repetitions spread over 20 ms; a 15 ms shift of the median
  // (+37%, and significant) is within it.
  T t;
  t.floor = 1;
  const std::vector<double> base{20, 25, 30, 40, 45, 50, 35, 38}, cur{35, 40, 45, 55, 60, 65, 50, 53};
  auto c = compare_runs(run_of(reps(t, base)), run_of(reps(t, cur)), {});
  auto& m = metric(c.cells[0], "max_stall_ms");
  EXPECT_EQ(m.needed_by, "baseline spread");
  EXPECT_FALSE(m.worse);
  EXPECT_FALSE(c.regression());
}

TEST(Compare, TinyAbsoluteChangesAndImprovementsAreNotRegressions) {
  T t;
  t.floor = 0;
  auto c = compare_runs(run_of(reps(t, {0.2, 0.2, 0.2, 0.2, 0.2, 0.2})),
                        run_of(reps(t, {0.6, 0.6, 0.6, 0.6, 0.6, 0.6})), {});
  EXPECT_EQ(metric(c.cells[0], "max_stall_ms").needed_by, "absolute floor");
  EXPECT_FALSE(c.regression());
  auto better = compare_runs(run_of(reps(t, {40, 41, 42, 43, 44, 45})), run_of(reps(t, {4, 4, 4, 4, 4, 4})), {});
  EXPECT_FALSE(better.regression());
}

TEST(Compare, UnsteadyTrialsAndOtherLoadsAreLeftOutOfTheMetrics) {
  T t, unsteady;
  unsteady.steady = false;
  unsteady.stall = 900;
  auto base = reps(t, {10, 11, 12, 13, 14});
  auto cur = reps(t, {10, 11, 12, 13, 14});
  for (int i = 0; i < 3; ++i) cur.push_back(trial(unsteady, 5 + i));
  auto c = compare_runs(run_of(base), run_of(cur), {});
  EXPECT_EQ(metric(c.cells[0], "max_stall_ms").cur.size(), 5u);
  EXPECT_EQ(c.cells[0].cur_unsteady, 3);
  EXPECT_FALSE(c.regression());
  // Writers paced 300 vs 500 tx/s: the figures are not like for like.
  T fast = t;
  fast.rate = 500;
  auto worse = reps(fast, {100, 110, 120, 130, 140});
  auto c2 = compare_runs(run_of(reps(t, {10, 11, 12, 13, 14})), run_of(worse), {});
  EXPECT_TRUE(c2.cells[0].load_differs);
  EXPECT_FALSE(metric(c2.cells[0], "max_stall_ms").test.in_family);
  EXPECT_FALSE(c2.regression());
  EXPECT_NE(c2.warnings.back().find("load differs"), std::string::npos);
}

TEST(Compare, TheCorrectionSpansEveryTestOfTheComparison) {
  // 13 cells each fully separated 5 vs 5 (p = 1/252 each): Benjamini-Hochberg
  // confirms a change that shows everywhere; Holm needs 13 x 0.004 < 0.05 and
  // does not.
  std::vector<nlohmann::json> base, cur;
  for (int cell = 0; cell < 13; ++cell) {
    T t;
    t.label = "s" + std::to_string(cell);
    t.floor = 1;
    for (int i = 0; i < 5; ++i) {
      t.stall = 10 + i;
      base.push_back(trial(t, i));
      t.stall = 100 + i;
      cur.push_back(trial(t, i));
    }
  }
  auto bh = compare_runs(run_of(base), run_of(cur), {});
  EXPECT_GE(bh.family, 13u);
  EXPECT_TRUE(bh.regression());
  CompareOptions o;
  o.correction = Correction::kHolm;
  auto h = compare_runs(run_of(base), run_of(cur), o);
  EXPECT_FALSE(h.regression());
  EXPECT_NE(format_comparison(h, false).find("Holm"), std::string::npos);
  // One cell alone among 13 cannot be confirmed with 5 repetitions: the output
  // says so and how many repetitions would.
  std::vector<nlohmann::json> one = base;
  for (int i = 0; i < 5; ++i) one[size_t(i)]["writers"]["max_stall_ms"] = 100 + i;
  auto alone = compare_runs(run_of(base), run_of(one), {});
  EXPECT_FALSE(alone.regression());
  auto text = format_comparison(alone, false);
  EXPECT_NE(text.find("repetitions per side confirm"), std::string::npos) << text;
}

TEST(Compare, ACellThatRanOnOneSideOnlyIsAWarningNotAPass) {
  // btrfs-snapshot judged on the reference machine, skipped on the CI one.
  T ok, skipped;
  skipped.status = "skipped";
  skipped.verdict = "SKIPPED";
  auto c = compare_runs(run_of({trial(ok), trial(ok)}), run_of({trial(skipped), trial(skipped)}), {});
  ASSERT_FALSE(c.warnings.empty());
  EXPECT_NE(c.warnings[0].find("ran on one side only"), std::string::npos) << c.warnings[0];
  EXPECT_EQ(c.exit_code(false), 0);
  EXPECT_EQ(c.exit_code(true), 2);
  // No steady load on one side: the writer figures are not compared, and it is said.
  T unsteady;
  unsteady.steady = false;
  auto u = compare_runs(run_of({trial(ok), trial(ok)}), run_of({trial(unsteady), trial(unsteady)}), {});
  ASSERT_FALSE(u.warnings.empty());
  EXPECT_NE(u.warnings[0].find("no trial with a steady load on one side"), std::string::npos) << u.warnings[0];
}

TEST(Compare, TooFewRepetitionsToJudgeAnyMetricIsAWarning) {
  T t;
  auto c = compare_runs(run_of(reps(t, {10, 11})), run_of(reps(t, {100, 110})), {});
  EXPECT_FALSE(c.regression());  // 2 vs 2 cannot confirm anything
  ASSERT_FALSE(c.warnings.empty());
  EXPECT_NE(c.warnings.back().find("no metric change can be confirmed"), std::string::npos);
  EXPECT_EQ(c.exit_code(false), 0);
  EXPECT_EQ(c.exit_code(true), 2);
}

TEST(Compare, RunsThatDifferAreWarnedAboutAndNothingInCommonIsExit2) {
  T a, b;
  b.label = "vacuum-into";
  auto c = compare_runs(run_of({trial(a)}), run_of({trial(a), trial(b)}), {});
  ASSERT_EQ(c.only_cur.size(), 1u);
  EXPECT_EQ(c.only_cur[0], "wal/vacuum-into@8MB/w2");
  EXPECT_EQ(c.exit_code(false), 0);
  EXPECT_EQ(c.exit_code(true), 2);
  auto none = compare_runs(run_of({trial(a)}), run_of({trial(b)}), {});
  EXPECT_TRUE(none.cells.empty());
  EXPECT_EQ(none.exit_code(false), 2);
  EXPECT_NE(no_common_cell_line(none).find("wal/vacuum-into"), std::string::npos);
  // Repetition counts and scenario fields that differ; the seed may.
  auto r3 = run_of({trial(a), trial(a), trial(a)}, 3);
  auto r2 = run_of({trial(a), trial(a)}, 2);
  r2["scenario"]["seed"] = 9;
  auto d = compare_runs(r3, r2, {});
  std::string all;
  for (auto& w : d.warnings) all += w + "\n";
  EXPECT_NE(all.find("repetition counts (repeat) differ: 3 vs 2"), std::string::npos) << all;
  EXPECT_NE(all.find("repetition counts differ in 1 cell"), std::string::npos) << all;
  EXPECT_EQ(all.find("seed"), std::string::npos) << all;
}

// Runs on machines that differ (CPU, cores, kernel, filesystem): a warning each,
// which --strict refuses; another SQLite version is what an upgrade gate compares.
TEST(Compare, RunsOnDifferentMachinesAreWarnedAboutAndStrictRefuses) {
  auto on = [](const char* cpu, int cores, const char* kernel, const char* sqlite) {
    auto r = run_of(reps(T{}, {5, 6, 5, 7, 5}));
    r["host"] = {{"cpu", cpu}, {"cores", cores}, {"kernel", kernel}, {"filesystem", "ext4"}};
    r["sqlite_version"] = sqlite;
    return r;
  };
  auto same = compare_runs(on("X", 2, "Linux 6.1", "3.40.1"), on("X", 2, "Linux 6.1", "3.50.4"), {});
  EXPECT_TRUE(same.warnings.empty()) << same.warnings[0];
  EXPECT_EQ(same.exit_code(true), 0);
  auto c = compare_runs(on("X", 2, "Linux 6.1", "3.40.1"), on("Y", 4, "Linux 6.8", "3.40.1"), {});
  std::string all;
  for (auto& w : c.warnings) all += w + "\n";
  for (auto* field : {"cpu", "cores", "kernel"})
    EXPECT_NE(all.find(fmt::format("the machines differ in {}:", field)), std::string::npos) << all;
  EXPECT_EQ(c.exit_code(false), 0);
  EXPECT_EQ(c.exit_code(true), 2);
}

// A/A on synthetic data: one run's repetitions split at random into two halves
// many times. Nothing changed, so the gate must stay quiet; with the false-alarm
// rate held at 5% over each comparison, at most a few of 200 splits may fire.
TEST(Compare, SplitsOfOneRunRarelyFire) {
  std::mt19937 rng(2024);
  std::lognormal_distribution<double> stall(std::log(20.0), 0.6), dur(std::log(0.05), 0.4);
  std::bernoulli_distribution flake(0.15);
  std::vector<nlohmann::json> pool;
  for (int cell = 0; cell < 13; ++cell) {
    T t;
    t.label = "s" + std::to_string(cell);
    t.floor = cell % 2 ? 25 : 3;
    for (int i = 0; i < 10; ++i) {
      t.stall = stall(rng);
      t.delayed = stall(rng) * 3;
      t.dur = dur(rng);
      bool f = cell == 5 && flake(rng);  // a strategy that sometimes times out
      t.status = f ? "timeout" : "completed";
      t.verdict = f ? "FAILED" : "OK";
      pool.push_back(trial(t, i));
    }
  }
  int fired = 0;
  for (int split = 0; split < 200; ++split) {
    std::vector<nlohmann::json> a, b;
    for (int cell = 0; cell < 13; ++cell) {
      std::vector<int> idx(10);
      for (int i = 0; i < 10; ++i) idx[size_t(i)] = i;
      std::shuffle(idx.begin(), idx.end(), rng);
      for (int i = 0; i < 10; ++i) (i < 5 ? a : b).push_back(pool[size_t(cell * 10 + idx[size_t(i)])]);
    }
    auto c = compare_runs(run_of(a), run_of(b), {});
    EXPECT_EQ(c.exit_code(true), c.regression() ? 1 : 0) << "a split is like for like";
    fired += c.regression();
  }
  EXPECT_LE(fired, 10) << "false alarms in 200 A/A splits";
}

TEST(CompareOutput, MarkdownAndJUnitCarryTheResult) {
  T ok, stale;
  stale.verdict = "STALE";
  auto c = compare_runs(run_of({trial(ok)}), run_of({trial(stale)}), {});
  c.base_path = "base|dir";
  c.cur_path = "cur";
  auto md = markdown_comparison(c, false);
  EXPECT_NE(md.find("| cell | verdicts"), std::string::npos) << md;
  EXPECT_NE(md.find("|---|"), std::string::npos);
  EXPECT_NE(md.find("new STALE"), std::string::npos);
  EXPECT_NE(md.find("base\\|dir"), std::string::npos) << "a pipe in a path must not break the table";
  auto xml = junit_comparison(c, false);
  EXPECT_NE(xml.find("<testsuites"), std::string::npos);
  EXPECT_NE(xml.find("failures=\"1\""), std::string::npos) << xml;
  EXPECT_NE(xml.find("<failure message=\"wal/online@8MB/w2: new STALE"), std::string::npos) << xml;
  auto j = to_json(c, false);
  EXPECT_EQ(j["exit_code"], 1);
  EXPECT_EQ(j["correction"], "Benjamini-Hochberg");
}

}  // namespace
}  // namespace bb
