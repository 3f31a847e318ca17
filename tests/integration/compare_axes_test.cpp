// compare over the report's fixtures of every axis: faulted trials, scheduled
// backups, filesystems x SQLite builds, and the shards of one run (given with
// commas). A run against itself passes, and each axis splits the cells.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/test_support.h"

namespace bb {
namespace {

using json = nlohmann::json;

std::vector<std::string> cell_keys(const std::string& base, const std::string& cur, int* code) {
  test::TempDir d;
  auto r = test::run_bb({"compare", base, cur, "--json", d / "c.json"});
  *code = r.code;
  std::vector<std::string> keys;
  const json out = json::parse(test::read_file(d / "c.json"));
  for (auto& c : out["cells"]) keys.push_back(c["key"]);
  return keys;
}

bool any_has(const std::vector<std::string>& keys, const std::string& part) {
  for (auto& k : keys)
    if (k.find(part) != std::string::npos) return true;
  return false;
}

TEST(CompareAxes, EachAxisOfTheFixturesSplitsTheCellsAndARunAgainstItselfPasses) {
  const std::string f = test::test_data("report-fixture");
  int code = -1;
  auto faults = cell_keys(f + "/faults", f + "/faults", &code);
  EXPECT_EQ(code, 0);
  EXPECT_EQ(faults.size(), 7u);
  EXPECT_TRUE(any_has(faults, "[fault=kill-writer]"));
  EXPECT_TRUE(any_has(faults, "[fault=fail-dest-fsync]"));
  auto axes = cell_keys(f + "/axes", f + "/axes", &code);
  EXPECT_EQ(code, 0);
  EXPECT_TRUE(any_has(axes, "[filesystem=btrfs]"));
  EXPECT_TRUE(any_has(axes, "[filesystem=ext4]"));
  EXPECT_TRUE(any_has(axes, "[sqlite=3.50.4]"));
  auto soak = cell_keys(f + "/soak", f + "/soak", &code);
  EXPECT_EQ(code, 0);
  EXPECT_EQ(soak.size(), 2u);
  const std::string shards = f + "/shards/0," + f + "/shards/1";
  auto merged = cell_keys(shards, shards, &code);
  EXPECT_EQ(code, 0);
  EXPECT_EQ(merged.size(), 4u);  // both shards' cells
}

}  // namespace
}  // namespace bb
