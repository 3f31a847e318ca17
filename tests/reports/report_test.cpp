// `backup-bench report` on the checked-in fixture (tests/data/report-fixture: a
// small real run with relative series paths): every chart is written as PNG and
// SVG and report.html references each; the claims and recommendations are there.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "tests/test_support.h"

namespace bb {
namespace {

using test::run_bb;

TEST(Report, BuildsEveryChartFromTheFixture) {
  test::TempDir d;
  auto r = run_bb({"report", test::test_data("report-fixture"), "--out", d.path()});
  ASSERT_EQ(r.code, 0) << r.err << r.out;
  EXPECT_NE(r.out.find(d / "report.html"), std::string::npos) << r.out;
  auto page = test::read_file(d / "report.html");
  // The fixture has no scaling dimension, so every chart but `scaling` applies.
  for (std::string name :
       {"latency-timeline", "stall-p99", "latency-cdf", "backup-speed", "wal-growth", "verdicts"}) {
    for (std::string ext : {".png", ".svg"}) {
      EXPECT_TRUE(std::filesystem::exists(d / (name + ext))) << name + ext;
      EXPECT_GT(std::filesystem::file_size(d / (name + ext)), 1000u) << name + ext;
      EXPECT_NE(page.find("href=\"" + name + ext + "\""), std::string::npos) << name + ext;
    }
    EXPECT_NE(page.find("data:image/png;base64,"), std::string::npos);  // self-contained
  }
  // Series paths are relative to the run folder: found, so no trial lacks its series.
  EXPECT_EQ(page.find("no readable series.json"), std::string::npos);
  for (std::string s : {"Claims of the seed article", "VACUUM INTO", "Online Backup API", "crash-consistent",
                        "Recommendation per journal mode", "wal mode", "delete mode", "SQLite 3."})
    EXPECT_NE(page.find(s), std::string::npos) << s;
}

TEST(Report, ShardsAreMergedAndBadInputIsExit2) {
  test::TempDir d;
  auto fx = test::test_data("report-fixture");
  auto r = run_bb({"report", fx, fx, "--out", d.path()});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(std::filesystem::exists(d / "report.html"));
  auto bad = run_bb({"report", d / "missing"});
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.err.find("missing"), std::string::npos) << bad.err;
  auto notrun = run_bb({"report", d.path()});  // a folder without results.json
  EXPECT_EQ(notrun.code, 2);
  EXPECT_NE(notrun.err.find("results.json"), std::string::npos) << notrun.err;
}

TEST(Report, ARunWithSeveralDatabaseSizesGetsTheScalingChart) {
  test::TempDir d;
  std::filesystem::copy(test::test_data("report-fixture"), d / "run", std::filesystem::copy_options::recursive);
  auto j = nlohmann::json::parse(test::read_file(d / "run/results.json"));
  for (auto& t : j["trials"])
    if (t["repetition"] == 1) t["db_mb"] = 64;  // pretend the second repetition ran on a larger database
  std::ofstream(d / "run/results.json") << j.dump();
  auto r = run_bb({"report", d / "run"});
  ASSERT_EQ(r.code, 0) << r.err;
  auto page = test::read_file(d / "run/report.html");
  for (std::string f : {"scaling.png", "scaling.svg"}) {
    EXPECT_TRUE(std::filesystem::exists(d / ("run/" + f))) << f;
    EXPECT_NE(page.find("href=\"" + f + "\""), std::string::npos) << f;
  }
}

}  // namespace
}  // namespace bb
