// Whole runs: the same scenario and seed give the same matrix, seeds and
// verdicts; three shards together give exactly the trials of one unsharded run.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <tuple>

#include "tests/test_support.h"

namespace bb {
namespace {

using Key = std::tuple<std::string, std::string, int, uint64_t, int>;  // mode, label, rep, seed, cell

std::vector<std::string> small_run(const std::string& out) {
  return {"run", "--preset", "quick", "--strategies", "online", "--db-mb", "1", "--repeat", "2", "--set",
          "baseline_s=0.2", "--set", "warmup_s=0.1", "--set", "cooldown_s=0.1", "--out", out};
}

nlohmann::json results(const std::string& dir) {
  return nlohmann::json::parse(test::read_file(dir + "/results.json"));
}

std::multiset<Key> keys(const nlohmann::json& r) {
  std::multiset<Key> k;
  for (auto& t : r["trials"])
    k.insert({t["mode"], t["label"], t["repetition"], t["seed"].get<uint64_t>(), t["cell"]});
  return k;
}

TEST(ScenarioRun, SameSeedSameMatrixSeedsAndVerdicts) {
  test::TempDir d;
  auto a = test::run_bb(small_run(d / "a"));
  auto b = test::run_bb(small_run(d / "b"));
  ASSERT_EQ(a.code, 0) << a.err;
  ASSERT_EQ(b.code, 0) << b.err;
  auto ra = results(d / "a"), rb = results(d / "b");
  EXPECT_EQ(keys(ra), keys(rb));
  ASSERT_EQ(ra["trials"].size(), 4u);  // 2 modes x 1 strategy x 2 repetitions
  for (size_t i = 0; i < ra["trials"].size(); ++i)
    EXPECT_EQ(ra["trials"][i]["verdict"]["status"], rb["trials"][i]["verdict"]["status"]);
  // A different seed changes the per-trial seeds.
  auto args = small_run(d / "c");
  args.insert(args.end(), {"--seed", "99"});
  ASSERT_EQ(test::run_bb(args).code, 0);
  EXPECT_NE(keys(results(d / "c")), keys(ra));
}

TEST(ScenarioRun, ThreeShardsMakeOneRun) {
  test::TempDir d;
  ASSERT_EQ(test::run_bb(small_run(d / "all")).code, 0);
  std::multiset<Key> merged;
  for (int k = 0; k < 3; ++k) {
    auto args = small_run(d / ("s" + std::to_string(k)));
    args.insert(args.end(), {"--shard", std::to_string(k) + "/3"});
    auto r = test::run_bb(args);
    ASSERT_EQ(r.code, 0) << r.err;
    auto part = keys(results(d / ("s" + std::to_string(k))));
    EXPECT_FALSE(part.empty());
    merged.insert(part.begin(), part.end());
  }
  EXPECT_EQ(merged, keys(results(d / "all")));
}

}  // namespace
}  // namespace bb

namespace bb {
namespace {

// `--rates-from`: a second run paces its writers at the rates the first run's
// capacity probes chose (the same load for `compare`), probes nothing itself,
// records where the rates came from, and refuses a cell the first run had no
// probe for -- before any work.
TEST(ScenarioRun, RatesFromAnotherRunGiveTheSameLoad) {
  test::TempDir d;
  auto a = test::run_bb({"run", "--preset", "quick", "--strategies", "online", "--modes", "wal", "--out", d / "a"});
  ASSERT_EQ(a.code, 0) << a.err;
  auto b = test::run_bb({"run", "--preset", "quick", "--strategies", "online", "--modes", "wal", "--rates-from",
                         d / "a", "--out", d / "b"});
  ASSERT_EQ(b.code, 0) << b.err;
  EXPECT_EQ(b.err.find("capacity probe"), std::string::npos) << b.err;
  auto ja = nlohmann::json::parse(test::read_file(d / "a/results.json"));
  auto jb = nlohmann::json::parse(test::read_file(d / "b/results.json"));
  EXPECT_EQ(ja["trials"][0]["rate"], jb["trials"][0]["rate"]);
  EXPECT_EQ(jb["rates_from"], d / "a");
  EXPECT_EQ(jb["probes"][0]["from"], d / "a");
  auto c = test::run_bb({"run", "--preset", "quick", "--strategies", "online", "--modes", "delete", "--rates-from",
                         d / "a", "--out", d / "c"});
  EXPECT_EQ(c.code, 2);
  EXPECT_NE(c.err.find("no capacity probe for delete-8MB-w2"), std::string::npos) << c.err;
  EXPECT_FALSE(std::filesystem::exists(d / "c/trials"));
}

}  // namespace
}  // namespace bb
