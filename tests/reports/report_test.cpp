// `backup-bench report` on the checked-in fixture (tests/data/report-fixture: a
// small real run with relative series paths): the page, its charts and
// summary.md; its summary table against the one `run` prints; bad input.
// The report's own logic has Python unit tests beside this file.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "results/files.h"
#include "tests/test_support.h"

namespace bb {
namespace {

using test::run_bb;

std::string fixture() { return test::test_data("report-fixture"); }

TEST(Report, BuildsEveryChartFromTheFixture) {
  test::TempDir d;
  auto r = run_bb({"report", fixture(), "--out", d.path()});
  ASSERT_EQ(r.code, 0) << r.err << r.out;
  EXPECT_NE(r.out.find(d / "report.html"), std::string::npos) << r.out;
  auto page = test::read_file(d / "report.html");
  // The fixture has one size, filesystem and SQLite version and no scheduled
  // backups, so those charts do not apply.
  for (std::string name :
       {"verdicts", "writer-impact", "backup-speed", "latency-timeline", "latency-cdf", "wal-growth"}) {
    for (std::string ext : {".png", ".svg"}) {
      EXPECT_TRUE(std::filesystem::exists(d / (name + ext))) << name + ext;
      EXPECT_GT(std::filesystem::file_size(d / (name + ext)), 1000u) << name + ext;
      EXPECT_NE(page.find("href='" + name + ext + "'"), std::string::npos) << name + ext;
    }
  }
  EXPECT_FALSE(std::filesystem::exists(d / "scaling.png"));
  EXPECT_NE(page.find("data:image/png;base64,"), std::string::npos);  // self-contained
  EXPECT_TRUE(std::filesystem::exists(d / "summary.md"));
  // The answer first, then the charts, then the claims.
  auto answer = page.find("id=answer"), charts = page.find("id=charts"), claims = page.find("id=claims");
  ASSERT_NE(answer, std::string::npos);
  EXPECT_LT(answer, charts);
  EXPECT_LT(charts, claims);
  for (std::string s : {"SQLite Backup: Safely Closing Connections &amp; Handling Open Handles", "Use wal-snapshot-copy, online or vacuum-into:",
                        "Use exclusive-copy or online:", "name=viewport", "<nav>", "SQLite 3."})
    EXPECT_NE(page.find(s), std::string::npos) << s;
  EXPECT_EQ(page.find("no readable series.json"), std::string::npos);  // relative series paths are found
}

// The table lines of `run`'s summary: from the header ("mode ...") up to the legend.
std::vector<std::string> table_lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  bool on = false;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("mode ", 0) == 0) on = true;
    if (line.rfind("steady:", 0) == 0) break;
    if (on) out.push_back(line);
  }
  return out;
}

// The report's cells, as the text of the same table (reports/summary_table.py),
// against summary_table() on one fixture; its Python tests check the page and
// summary.md show the same numbers.
void expect_same_table(const std::string& dir) {
  auto results = nlohmann::json::parse(test::read_file(dir + "/results.json"));
  const std::string printed = summary_table(results);
  auto py = test::run_sh("/usr/bin/python3 " + test::sh_quote(std::string(BB_SOURCE_DIR) + "/reports/summary_table.py") +
                         " " + test::sh_quote(dir));
  ASSERT_EQ(py.code, 0) << py.err;
  auto run_table = table_lines(printed), report_table = table_lines(py.out);
  ASSERT_EQ(run_table.size(), results["summary"].size() + 1) << printed;
  ASSERT_EQ(report_table.size(), run_table.size()) << py.out;
  for (size_t i = 0; i < run_table.size(); ++i) EXPECT_EQ(report_table[i], run_table[i]) << dir << " line " << i;
}

TEST(Report, SummaryTableShowsTheNumbersRunPrints) {
  expect_same_table(fixture());
  expect_same_table(fixture() + "/soak");  // several backups per trial
  expect_same_table(fixture() + "/axes");  // rows named by filesystem and SQLite build
  expect_same_table(fixture() + "/faults");  // no writer figures: "faulted" in both
}

TEST(Report, BadInputIsOneLineAndExit2) {
  test::TempDir d;
  auto expect_refused = [&](const std::vector<std::string>& args, const std::string& words) {
    auto r = run_bb(args);
    EXPECT_EQ(r.code, 2) << r.err;
    EXPECT_NE(r.err.find(words), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("Traceback"), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  };
  expect_refused({"report", d / "missing"}, "does not exist");
  expect_refused({"report", d.path()}, "results.json");  // a folder without results
  std::filesystem::create_directories(d / "fifo");
  ASSERT_EQ(mkfifo((d / "fifo/results.json").c_str(), 0600), 0);
  expect_refused({"report", d / "fifo"}, "not a regular file");  // no hang
  std::filesystem::create_directories(d / "empty");
  auto j = nlohmann::json::parse(test::read_file(fixture() + "/results.json"));
  j["trials"] = nlohmann::json::array();
  std::ofstream(d / "empty/results.json") << j.dump();
  expect_refused({"report", d / "empty"}, "no trials");
  std::filesystem::create_directories(d / "cut");
  auto text = test::read_file(fixture() + "/results.json");
  std::ofstream(d / "cut/results.json") << text.substr(0, text.size() / 3);
  expect_refused({"report", d / "cut"}, "not valid JSON");
  // Shards of one run are merged, but one folder named twice is a mistake.
  expect_refused({"report", fixture(), fixture(), "--out", d / "out"}, "given twice");
  EXPECT_FALSE(std::filesystem::exists(d / "out/report.html"));
}

}  // namespace
}  // namespace bb

namespace bb {
namespace {

// The shards of one run (`run --shard K/N`) make one report: merged in C++
// (results/merge.h) into merged-results.json beside the report, every trial there.
TEST(Report, ShardsOfOneRunAreMergedIntoOneReport) {
  test::TempDir d;
  for (int k = 0; k < 2; ++k) {
    auto r = test::run_bb({"run", "--preset", "quick", "--strategies", "online,raw-copy", "--modes", "wal", "--rate",
                           "20", "--shard", std::to_string(k) + "/2", "--out", d / ("s" + std::to_string(k))});
    ASSERT_EQ(r.code, 0) << r.err;
  }
  auto r = test::run_bb({"report", d / "s0", d / "s1", "--out", d / "report"});
  ASSERT_EQ(r.code, 0) << r.err;
  auto merged = nlohmann::json::parse(test::read_file(d / "report/merged-results.json"));
  EXPECT_EQ(merged["trials"].size(), 2u);
  EXPECT_EQ(merged["summary"].size(), 2u);
  auto page = test::read_file(d / "report/report.html");
  EXPECT_NE(page.find("raw-copy"), std::string::npos);
  EXPECT_NE(page.find("online"), std::string::npos);
  // Shards of different runs are not one run: exit 2, one line.
  auto other = test::run_bb({"run", "--preset", "quick", "--strategies", "online", "--modes", "delete", "--rate", "20",
                             "--out", d / "other"});
  ASSERT_EQ(other.code, 0) << other.err;
  auto bad = test::run_bb({"report", d / "s0", d / "other", "--out", d / "bad"});
  EXPECT_EQ(bad.code, 2);
  EXPECT_EQ(std::count(bad.err.begin(), bad.err.end(), '\n'), 1) << bad.err;
}

}  // namespace
}  // namespace bb
