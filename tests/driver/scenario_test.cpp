// Scenario files, the option table, matrix expansion, seeds and shards.
#include "driver/scenario.h"

#include <gtest/gtest.h>

#include <fstream>
#include <set>

#include "core/errors.h"
#include "tests/test_support.h"

namespace bb {
namespace {

std::string write(const test::TempDir& d, const std::string& text) {
  std::string p = d / "s.toml";
  std::ofstream(p) << text;
  return p;
}

TEST(Scenario, LoadsGlobalAndStrategyVariants) {
  test::TempDir d;
  auto s = load_scenario_file(write(d, R"(
[global]
modes = ["wal"]
db_mb = [4, 8]
writers = 3
rate = 50.5
[[strategy]]
name = "online"
[[strategy]]
name = "online"
label = "online-p100"
params = { pages = 100 }
)"));
  EXPECT_EQ(s.modes, std::vector<std::string>{"wal"});
  EXPECT_EQ(s.db_mb, (std::vector<int64_t>{4, 8}));
  EXPECT_EQ(s.writers, (std::vector<int64_t>{3}));
  EXPECT_DOUBLE_EQ(s.rate, 50.5);
  ASSERT_EQ(s.strategies.size(), 2u);
  EXPECT_EQ(s.strategies[1].label, "online-p100");
  EXPECT_EQ(s.strategies[1].params.at("pages"), "100");
}

TEST(Scenario, ErrorsNameFileLineAndKey) {
  test::TempDir d;
  auto p = write(d, "[global]\nmodes = [\"wal\"]\nrepeat = 0\n");
  try {
    load_scenario_file(p);
    FAIL() << "accepted repeat = 0";
  } catch (const UsageError& e) {
    std::string m = e.what();
    EXPECT_NE(m.find(p + ":3"), std::string::npos) << m;
    EXPECT_NE(m.find("repeat"), std::string::npos) << m;
  }
  p = write(d, "[global]\nbogus = 1\n");
  EXPECT_THROW(load_scenario_file(p), UsageError);
  p = write(d, "[global]\nmodes = [\"wal\"\n");  // syntax error
  EXPECT_THROW(load_scenario_file(p), UsageError);
  p = write(d, "[[strategy]]\nname = \"online\"\nparams = { pages = \"x\" }\n");
  EXPECT_THROW(load_scenario_file(p), UsageError);
  p = write(d, "[[strategy]]\nname = \"nope\"\n");
  EXPECT_THROW(load_scenario_file(p), UsageError);
}

TEST(Scenario, OptionTableRejectsBadValues) {
  Scenario s;
  EXPECT_THROW(set_option(s, "modes", {"journal"}), UsageError);
  EXPECT_THROW(set_option(s, "db_mb", {"0"}), UsageError);
  EXPECT_THROW(set_option(s, "writers", {"-1"}), UsageError);
  EXPECT_THROW(set_option(s, "writers", {"2x"}), UsageError);
  EXPECT_THROW(set_option(s, "rate", {"fast"}), UsageError);
  EXPECT_THROW(set_option(s, "page_size", {"1000"}), UsageError);
  EXPECT_THROW(set_option(s, "nope", {"1"}), UsageError);
  EXPECT_THROW(set_strategies(s, "online,nope"), UsageError);
  set_option(s, "readers", {"0"});
  EXPECT_EQ(s.readers, 0);
}

TEST(Scenario, ExpandIsTheFullMatrixWithStableSeeds) {
  Scenario s;
  s.modes = {"wal", "delete"};
  s.strategies = {{"online", "online", {}}, {"online", "p1", {{"pages", "1"}}}};
  s.db_mb = {4, 8};
  s.writers = {1, 2};
  s.repeat = 3;
  auto cells = expand(s);
  ASSERT_EQ(cells.size(), 2u * 2 * 2 * 2 * 3);
  std::set<uint64_t> seeds;
  for (auto& c : cells) seeds.insert(c.seed);
  EXPECT_EQ(seeds.size(), cells.size());  // every cell its own seed
  auto again = expand(s);
  for (size_t i = 0; i < cells.size(); ++i) EXPECT_EQ(cells[i].seed, again[i].seed);
  s.seed = 2;
  EXPECT_NE(expand(s)[0].seed, cells[0].seed);
}

TEST(Scenario, ShardsPartitionTheMatrix) {
  Scenario s;
  s.repeat = 7;
  auto all = expand(s);
  std::multiset<int> seen;
  for (int k = 0; k < 3; ++k)
    for (auto& c : shard(all, k, 3)) seen.insert(c.index);
  EXPECT_EQ(seen.size(), all.size());
  for (auto& c : all) EXPECT_EQ(seen.count(c.index), 1u);
}

TEST(Scenario, PresetsLoad) {
  auto names = preset_names();
  EXPECT_NE(std::find(names.begin(), names.end(), "quick"), names.end());
  EXPECT_NE(std::find(names.begin(), names.end(), "default"), names.end());
  for (auto& n : names) EXPECT_NO_THROW(load_preset(n)) << n;
  EXPECT_THROW(load_preset("nope"), UsageError);
}

}  // namespace
}  // namespace bb
