// The console's continuous-replication lines (results/continuous.cpp) on a run
// of two sizes (tests/data/report-fixture/sizes): one line per cell, each named
// as its row is in the summary table, so the two sizes are told apart.
#include "results/continuous.h"

#include <gtest/gtest.h>

#include <fstream>

#include "tests/test_support.h"

namespace bb {
namespace {

TEST(ContinuousTable, NamesEachCellAsTheSummaryTableDoes) {
  std::ifstream in(test::test_data("report-fixture/sizes/results.json"));
  ASSERT_TRUE(in) << "the sizes fixture is missing";
  const auto results = nlohmann::json::parse(in);
  const std::string table = continuous_table(results);
  int rows = 0;
  for (auto& r : results["summary"]) {
    if (!r.contains("continuous")) continue;
    ++rows;
    EXPECT_NE(table.find(r["mode"].get<std::string>() + "     " + r["name"].get<std::string>() + " "),
              std::string::npos)
        << r["name"] << " not in:\n"
        << table;
  }
  EXPECT_EQ(rows, 2);  // litestream at 8 and 24 MB, WAL mode only
}

}  // namespace
}  // namespace bb
