// The cost estimate of `run --check`: shards split the matrix's trials and
// time between them, templates and probes are counted where they are paid,
// and speeds are fitted from an earlier run's phases.
#include "cli/cmd_run_estimate.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "databases/templates.h"
#include "databases/time_limit.h"
#include "tests/test_support.h"

namespace bb {
namespace {

Scenario matrix() {
  Scenario s;
  s.modes = {"wal", "delete"};
  s.strategies = {{"online", "online", {}}, {"vacuum-into", "vacuum-into", {}}, {"raw-copy", "raw-copy", {}}};
  s.db_mb = {16, 256};
  s.repeat = 2;
  s.rate_auto = true;
  s.probe_s = 2;
  return s;  // 2 x 3 x 2 x 2 = 24 cells
}

TEST(Estimate, ShardsSplitTheTrialsAndTheirTime) {
  const Scenario s = matrix();
  Speeds sp;
  EstimateInputs in;
  const auto one = estimate_shards(s, 1, sp, in);
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0].trials, 24u);
  const auto three = estimate_shards(s, 3, sp, in);
  ASSERT_EQ(three.size(), 3u);
  size_t trials = 0;
  double trials_s = 0;
  for (auto& e : three) {
    trials += e.trials;
    trials_s += e.trials_s;
    EXPECT_LT(e.total_s(), one[0].total_s());
  }
  EXPECT_EQ(trials, 24u);
  EXPECT_NEAR(trials_s, one[0].trials_s, 1e-6 * one[0].trials_s);
}

TEST(Estimate, ATrialIsItsPhases) {
  Scenario s = matrix();
  Speeds sp;
  sp.prepare = {0.1, 0.01};
  sp.validate = {0.2, 0.02};
  sp.backup = {0.3, 0.03};
  sp.strategy["vacuum-into"] = {0.5, 0.05};
  sp.trial_fixed_s = 1;
  Cell c;
  c.db_mb = 100;
  c.strategy = {"online", "online", {}};
  const double planned = s.warmup_s + s.baseline_s + s.cooldown_s;
  EXPECT_NEAR(trial_seconds(s, c, sp), 1.1 + 1 + planned + 3.3 + 2.2, 1e-9);
  c.strategy = {"vacuum-into", "vacuum-into", {}};
  EXPECT_NEAR(trial_seconds(s, c, sp), 1.1 + 1 + planned + 5.5 + 2.2, 1e-9);
  // A time limit caps a backup; scheduled backups add their intervals and validations.
  s.backup_timeout_s = 2;
  s.backups = 3;
  s.backup_interval_s = 10;
  EXPECT_NEAR(trial_seconds(s, c, sp), 1.1 + 1 + planned + 20 + 2 + 3 * 2.2, 1e-9);
}

TEST(Estimate, TemplatesAndProbesArePaidOncePerShard) {
  const Scenario s = matrix();
  Speeds sp;
  sp.populate_s_per_mb = 0.1;
  EstimateInputs in;
  auto cold = estimate_shards(s, 1, sp, in)[0];
  EXPECT_NEAR(cold.templates_s, 2 * (16 + 256) * 0.1, 1e-9);  // each (mode, size) once
  // Capacity probes: one per mode x size, each its probe_s and more.
  EXPECT_GT(cold.probes_s, 4 * s.probe_s);
  EXPECT_LT(cold.probes_s, 4 * (s.probe_s + 5));
  in.cached = [](const std::string& mode, int64_t mb) { return mode == "wal" && mb == 256; };
  auto warm = estimate_shards(s, 1, sp, in)[0];
  EXPECT_NEAR(warm.templates_s, (16 + 16 + 256) * 0.1, 1e-9);
  // The cache needs room for every template of the shard on a fresh machine.
  EXPECT_EQ(warm.cache_bytes, int64_t(2 * (16 + 256)) << 20);
  EXPECT_EQ(warm.run_bytes, int64_t(256 * 3 + 64) << 20);
  // Without rate = auto nothing is probed.
  Scenario fixed = s;
  fixed.rate_auto = false;
  EXPECT_EQ(estimate_shards(fixed, 1, sp, in)[0].probes_s, 0);
}

TEST(Estimate, SkippedTrialsCostAlmostNothing) {
  const Scenario s = matrix();
  Speeds sp;
  EstimateInputs in;
  const double all = estimate_shards(s, 1, sp, in)[0].trials_s;
  in.skip = [](const Cell& c) { return c.strategy.name == "raw-copy" ? std::string("not here") : std::string(); };
  const auto e = estimate_shards(s, 1, sp, in)[0];
  EXPECT_EQ(e.trials, 24u);
  EXPECT_LT(e.trials_s, all * 0.75);
}

// An earlier run of two sizes gives each phase's fixed cost and cost per MB.
TEST(Estimate, SpeedsAreFittedFromAnEarlierRun) {
  test::TempDir d;
  setenv("BB_CACHE_DIR", (d / "empty-cache").c_str(), 1);  // no cached template: the run alone counts
  nlohmann::json trials = nlohmann::json::array();
  for (double mb : {10.0, 100.0})
    for (auto* st : {"online", "vacuum-into"}) {
      const double backup = std::string(st) == "online" ? 0.2 + mb * 0.01 : 0.4 + mb * 0.03;
      trials.push_back({{"strategy", st},
                        {"db_bytes", int64_t(mb * 1e6)},
                        {"harness_error", nullptr},
                        {"verdict", {{"status", "OK"}}},
                        {"backups", nlohmann::json::array({nlohmann::json::object()})},
                        {"phases_s",
                         {{"prepare", 0.1 + mb * 0.002},
                          {"start_load", 0.3},
                          {"warmup", 0.5},
                          {"baseline", 2},
                          {"backups", backup},
                          {"cooldown", 0.5},
                          {"stop", 0.2},
                          {"validate", 0.05 + mb * 0.004},
                          {"series", 0.1}}}});
    }
  nlohmann::json run = {{"scenario", {{"warmup_s", 0.5}, {"baseline_s", 2}, {"cooldown_s", 0.5}}},
                        {"trials", trials},
                        {"population",
                         {{"instances",
                           {{{"template", "v1-ledger-100MB-p4096-wal-s1-sqlite3.40.1.sqlite"},
                             {"from_cache", false},
                             {"populate_s", 5.0}}}}}}};
  std::filesystem::create_directories(d / "run");
  std::ofstream(d / "run/results.json") << run.dump();
  const Speeds sp = measure_speeds(matrix(), d / "run");
  EXPECT_NEAR(sp.prepare.s_per_mb, 0.002, 1e-9);
  EXPECT_NEAR(sp.prepare.fixed_s, 0.1, 1e-9);
  EXPECT_NEAR(sp.validate.s_per_mb, 0.004, 1e-9);
  EXPECT_NEAR(sp.strategy.at("online").s_per_mb, 0.01, 1e-9);
  EXPECT_NEAR(sp.strategy.at("vacuum-into").fixed_s, 0.4, 1e-9);
  EXPECT_NEAR(sp.trial_fixed_s, 0.6, 1e-9);  // start_load + stop + series
  EXPECT_NEAR(sp.populate_s_per_mb, 0.05, 1e-9);
  ASSERT_EQ(sp.sources.size(), 1u);
  unsetenv("BB_CACHE_DIR");
}

// A strategy whose backups ran to their time limit in the earlier run (the
// shell's .backup restarting under load) is expected to again: its backup costs
// the limit, scaled as the run scales it, and leaves nothing to validate.
TEST(Estimate, BackupsThatRanToTheirLimitCostTheLimit) {
  test::TempDir d;
  setenv("BB_CACHE_DIR", (d / "empty-cache").c_str(), 1);
  nlohmann::json trials = nlohmann::json::array();
  for (double mb : {10.0, 1000.0})
    for (auto* mode : {"wal", "delete"}) {
      const bool stuck = std::string(mode) == "wal";
      const double limit = std::max(kMinLimitS, kLimitFactor * mb / 200);  // a 200 MB/s copy
      trials.push_back({{"strategy", "cli-backup"},
                        {"mode", mode},
                        {"db_bytes", int64_t(mb * 1e6)},
                        {"harness_error", nullptr},
                        {"verdict", {{"status", stuck ? "FAILED" : "OK"}}},
                        {"backup", {{"status", stuck ? "timeout" : "completed"}, {"time_limit_s", limit}}},
                        {"database", {{"copy_speed_mb_s", 200.0}}},
                        {"backups", nlohmann::json::array({nlohmann::json::object()})},
                        {"phases_s",
                         {{"prepare", 0.1},
                          {"backups", stuck ? limit : 0.1 + mb * 0.01},
                          {"validate", stuck ? 0.0 : 0.05 + mb * 0.004}}}});
    }
  nlohmann::json run = {{"scenario", {{"warmup_s", 0}, {"baseline_s", 0}, {"cooldown_s", 0},
                                      {"backup_timeout_s", "auto"}}},
                        {"trials", trials}};
  std::filesystem::create_directories(d / "run");
  std::ofstream(d / "run/results.json") << run.dump();
  Scenario s = matrix();
  const Speeds sp = measure_speeds(s, d / "run");
  EXPECT_DOUBLE_EQ(sp.timeout_share.at("cli-backup/wal"), 1.0);
  EXPECT_EQ(sp.timeout_share.count("cli-backup/delete"), 0u);
  EXPECT_NEAR(sp.copy_mb_s, 200, 1e-6);  // the speed the run set its auto limits at
  EXPECT_NEAR(sp.strategy.at("cli-backup").s_per_mb, 0.01, 1e-9);  // fitted on completed backups only
  EXPECT_NEAR(sp.validate.s_per_mb, 0.004, 1e-9);
  Cell c;
  c.strategy = {"cli-backup", "cli-backup", {}};
  c.db_mb = 4096;
  c.mode = "wal";
  const double limit = backup_limit_s(s, c, sp);
  EXPECT_NEAR(limit, kLimitFactor * double(int64_t(4096) << 20) / 1e6 / 200, 1e-6);
  const double fixed = sp.prepare.at(4096) + sp.trial_fixed_s + s.warmup_s + s.baseline_s + s.cooldown_s;
  EXPECT_NEAR(trial_seconds(s, c, sp), fixed + limit, 1e-6);
  c.mode = "delete";
  EXPECT_NEAR(trial_seconds(s, c, sp), fixed + sp.strategy.at("cli-backup").at(4096) + sp.validate.at(4096), 1e-6);
  unsetenv("BB_CACHE_DIR");
}

// A template built here noted its build time: templates are costed at that
// speed, ahead of an earlier run's (the cache may hold the larger sizes).
TEST(Estimate, TemplatesAreCostedAtTheSpeedTheCacheRecorded) {
  test::TempDir d;
  setenv("BB_CACHE_DIR", (d / "cache").c_str(), 1);
  Scenario s = matrix();
  s.db_mb = {2};
  s.modes = {"wal"};
  const Speeds before = measure_speeds(s, "");
  EXPECT_FALSE(before.populate_from_cache);
  const auto made = instantiate_database(d / "a.db", database_spec(s), "wal", 2);
  const Speeds sp = measure_speeds(s, "");
  EXPECT_TRUE(sp.populate_from_cache);
  EXPECT_NEAR(sp.populate_s_per_mb, made.populate_s / 2, 0.001);
  unsetenv("BB_CACHE_DIR");
}

TEST(Estimate, DurationText) {
  EXPECT_EQ(duration_text(12.4), "12s");
  EXPECT_EQ(duration_text(185), "3m05s");
  EXPECT_EQ(duration_text(3720), "1h02m");
}

}  // namespace
}  // namespace bb
