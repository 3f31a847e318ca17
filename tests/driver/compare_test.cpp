// The Mann–Whitney U test against values known by hand or by enumerating every
// split of the pooled sample, and the comparison rules on synthetic runs.
#include "driver/compare.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/errors.h"
#include "tests/test_support.h"

namespace bb {
namespace {

TEST(MannWhitneyU, CompletelySeparatedSmallSamplesUseTheExactDistribution) {
  // x below every y: U = 0, and only 1 of C(6,3) = 20 splits is as extreme on
  // each side, so p = 2/20.
  auto r = mann_whitney_u({1, 2, 3}, {4, 5, 6});
  EXPECT_TRUE(r.exact);
  EXPECT_DOUBLE_EQ(r.u, 0);
  EXPECT_NEAR(r.p, 0.1, 1e-12);
  EXPECT_NEAR(r.min_p, 0.1, 1e-12);  // 3 vs 3 can never reach p < 0.05
  // 5 vs 5: p = 2/C(10,5) = 2/252.
  auto r5 = mann_whitney_u({1, 2, 3, 4, 5}, {6, 7, 8, 9, 10});
  EXPECT_NEAR(r5.p, 2.0 / 252, 1e-12);
  // Symmetric: swapping the samples gives U' = m*n - U and the same p.
  auto s5 = mann_whitney_u({6, 7, 8, 9, 10}, {1, 2, 3, 4, 5});
  EXPECT_DOUBLE_EQ(s5.u, 25);
  EXPECT_NEAR(s5.p, r5.p, 1e-12);
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

TEST(MannWhitneyU, TiesUseTheNormalApproximationWithTieCorrection) {
  // N = 15; tie groups 2,4,3,2,2 give sum(t^3 - t) = 102;
  // var = 7*8/12 * (16 - 102/210) = 72.40; z = (|3.5 - 28| - 0.5)/sqrt(var) = 2.8206.
  auto r = mann_whitney_u({1, 2, 2, 3, 3, 3, 4}, {3, 4, 4, 5, 5, 6, 7, 7});
  EXPECT_FALSE(r.exact);
  EXPECT_DOUBLE_EQ(r.u, 3.5);
  EXPECT_NEAR(r.p, 0.004793348746185464, 1e-9);
  // Everything tied: no evidence of a difference.
  EXPECT_DOUBLE_EQ(mann_whitney_u({5, 5, 5}, {5, 5, 5}).p, 1);
  EXPECT_DOUBLE_EQ(mann_whitney_u({}, {1, 2}).p, 1);
}

nlohmann::json trial(const std::string& label, double p99, double stall, double dur, const std::string& verdict) {
  return {{"mode", "wal"}, {"label", label}, {"strategy", label}, {"db_mb", 8},
          {"backup", {{"status", "completed"}, {"duration_s", dur}, {"mb_per_s", 8 / dur}}},
          {"writers", {{"during", {{"p99_ms", p99}}}, {"max_stall_ms", stall}}},
          {"verdict", {{"status", verdict}}}};
}

nlohmann::json run_of(std::vector<nlohmann::json> trials) {
  return {{"schema", "backup-bench/1"}, {"sqlite_version", "3.40.1"}, {"trials", trials}};
}

const MetricDelta& metric(const LabelDelta& l, const std::string& name) {
  for (auto& m : l.metrics)
    if (m.name == name) return m;
  throw std::runtime_error("no metric " + name);
}

TEST(Compare, FewRepetitionsUseTheThresholdAlone) {
  auto base = run_of({trial("online", 2, 5, 0.1, "OK"), trial("online", 2.2, 6, 0.1, "OK")});
  auto cur = run_of({trial("online", 2.1, 5, 0.1, "OK"), trial("online", 9, 30, 0.1, "OK")});
  auto c = compare_runs(base, cur, {});
  ASSERT_EQ(c.labels.size(), 1u);
  auto& p99 = metric(c.labels[0], "during_p99_ms");
  EXPECT_FALSE(p99.test);
  EXPECT_NE(p99.note.find("threshold alone"), std::string::npos);
  EXPECT_TRUE(p99.regression);
  EXPECT_TRUE(c.regression());
  EXPECT_NE(format_comparison(c).find("wal/online during_p99_ms"), std::string::npos);
}

TEST(Compare, ASignificantWorseningIsARegressionAndNoiseIsNot) {
  std::vector<nlohmann::json> b, worse, noisy;
  // Median up by 36% in `noisy`, but the samples overlap: not significant.
  const double noisy_p99[] = {1.0, 3.0, 3.2, 3.5, 1.5};
  for (int i = 0; i < 5; ++i) {
    b.push_back(trial("online", 2 + 0.1 * i, 5 + i, 0.1, "OK"));
    worse.push_back(trial("online", 4 + 0.1 * i, 5 + i, 0.1, "OK"));
    noisy.push_back(trial("online", noisy_p99[i], 5 + i, 0.1, "OK"));
  }
  auto c = compare_runs(run_of(b), run_of(worse), {});
  auto& p99 = metric(c.labels[0], "during_p99_ms");
  ASSERT_TRUE(p99.test);
  EXPECT_LT(p99.test->p, 0.05);
  EXPECT_TRUE(p99.regression);
  EXPECT_FALSE(metric(c.labels[0], "max_stall_ms").regression);
  auto n = compare_runs(run_of(b), run_of(noisy), {});
  auto& np99 = metric(n.labels[0], "during_p99_ms");
  EXPECT_TRUE(np99.worse);
  ASSERT_TRUE(np99.test);
  EXPECT_GE(np99.test->p, 0.05);
  EXPECT_FALSE(n.regression());
  // Against itself: nothing changed.
  EXPECT_FALSE(compare_runs(run_of(b), run_of(b), {}).regression());
}

TEST(Compare, LosingAnOkVerdictIsARegression) {
  auto base = run_of({trial("raw-copy", 2, 5, 0.1, "OK"), trial("raw-copy", 2, 5, 0.1, "STALE")});
  auto same = run_of({trial("raw-copy", 2, 5, 0.1, "STALE"), trial("raw-copy", 2, 5, 0.1, "OK")});
  EXPECT_FALSE(compare_runs(base, same, {}).regression());
  auto lost = run_of({trial("raw-copy", 2, 5, 0.1, "STALE"), trial("raw-copy", 2, 5, 0.1, "STALE")});
  auto c = compare_runs(base, lost, {});
  EXPECT_TRUE(c.labels[0].lost_ok);
  auto corrupt = run_of({trial("raw-copy", 2, 5, 0.1, "OK"), trial("raw-copy", 2, 5, 0.1, "CORRUPT")});
  auto c2 = compare_runs(base, corrupt, {});
  EXPECT_TRUE(c2.labels[0].lost_ok);
  EXPECT_NE(c2.labels[0].verdict_note.find("new CORRUPT"), std::string::npos);
}

TEST(Compare, ImprovementsAndTinyAbsoluteChangesAreNotRegressions) {
  auto base = run_of({trial("online", 0.2, 0.3, 0.01, "OK")});
  auto cur = run_of({trial("online", 0.4, 0.6, 0.0104, "OK")});  // +100%, but below the absolute floors
  EXPECT_FALSE(compare_runs(base, cur, {}).regression());
  auto better = run_of({trial("online", 0.1, 0.1, 0.005, "OK")});
  EXPECT_FALSE(compare_runs(base, better, {}).regression());
}

TEST(Compare, LabelsOnOneSideOnlyAreListedNotCompared) {
  auto c = compare_runs(run_of({trial("online", 2, 5, 0.1, "OK")}),
                        run_of({trial("online", 2, 5, 0.1, "OK"), trial("vacuum-into", 2, 5, 0.1, "OK")}), {});
  EXPECT_EQ(c.labels.size(), 1u);
  ASSERT_EQ(c.only_cur.size(), 1u);
  EXPECT_EQ(c.only_cur[0], "wal/vacuum-into");
}

}  // namespace
}  // namespace bb

namespace bb {
namespace {

TEST(CompareLoad, ShardFoldersAreMergedIntoOneRun) {
  test::TempDir d;
  for (int k = 0; k < 3; ++k) {
    std::filesystem::create_directories(d / ("s" + std::to_string(k)));
    nlohmann::json r{{"schema", "backup-bench/1"}, {"trials", nlohmann::json::array()}};
    for (int i = 0; i <= k; ++i) r["trials"].push_back({{"cell", k * 10 + i}});
    std::ofstream(d / ("s" + std::to_string(k)) + "/results.json") << r.dump();
  }
  auto merged = load_results(d / "s0" + "," + d / "s1" + "," + d / "s2");
  EXPECT_EQ(merged["trials"].size(), 1u + 2 + 3);
  EXPECT_EQ(load_results(d / "s2")["trials"].size(), 3u);
  EXPECT_THROW(load_results(d / "s0" + "," + d / "missing"), UsageError);
}

}  // namespace
}  // namespace bb
