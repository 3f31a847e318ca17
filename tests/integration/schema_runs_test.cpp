// Real runs against the schema of results.json (docs/results.schema.json, checked
// by tests/tools/check-results with python3-jsonschema): a quick run, a faults
// run, two shards and their merge, scheduled backups. A faults run's rows are
// named alike by the console, summary.md and report.html. Files of the previous
// version (backup-bench/1) are read by report, compare and the merge; any other
// version is refused with one line. Each run is tiny (1 MB, short phases).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <algorithm>
#include <regex>
#include <set>
#include <sstream>

#include "driver/fault.h"
#include "tests/test_support.h"

namespace bb {
namespace {

using json = nlohmann::json;
using test::run_bb;

const std::vector<std::string> kShort{"--db-mb", "1", "--set", "warmup_s=0.1", "--set", "baseline_s=0.3",
                                      "--set", "cooldown_s=0.1"};

std::vector<std::string> args(std::vector<std::string> a, const std::vector<std::string>& more = kShort) {
  a.insert(a.end(), more.begin(), more.end());
  return a;
}

test::CmdResult check_results(const std::string& file) {
  return test::run_sh("/usr/bin/python3 " + std::string(BB_TEST_DATA) + "/../tools/check-results " +
                      test::sh_quote(file));
}

void expect_valid(const std::string& file) {
  auto c = check_results(file);
  EXPECT_EQ(c.code, 0) << file << ":\n" << c.out << c.err;
}

void write(const std::string& path, const json& j) { std::ofstream(path) << j.dump(1); }

TEST(SchemaRuns, AQuickRunValidatesAndARemovedFieldIsCaught) {
  test::TempDir d;
  auto r = run_bb(args({"run", "--preset", "quick", "--strategies", "online,raw-copy", "--modes", "wal", "--repeat",
                        "1", "--rate", "50", "--out", d / "run"}));
  ASSERT_EQ(r.code, 0) << r.err;
  expect_valid(d / "run/results.json");
  // A field the writer stopped writing fails the check, named.
  auto j = json::parse(test::read_file(d / "run/results.json"));
  for (auto ptr : {"/trials/0/impact_counts", "/trials/0/backups/0/writers/recovery_ms", "/summary/0/name",
                   "/verdicts", "/strategies/0/impact_representative"}) {
    json cut = j;
    auto p = json::json_pointer(ptr);
    cut[p.parent_pointer()].erase(p.back());
    write(d / "cut.json", cut);
    auto c = check_results(d / "cut.json");
    EXPECT_EQ(c.code, 1) << ptr;
    EXPECT_NE(c.out.find("'" + p.back() + "' is a required property"), std::string::npos) << ptr << c.out;
  }
}

// The table rows' names of the console (console.log), summary.md and report.html.
std::vector<std::string> console_names(const std::string& log) {
  std::vector<std::string> out;
  std::istringstream in(log);
  for (std::string line; std::getline(in, line);)
    if (line.rfind("wal ", 0) == 0) out.push_back(line.substr(8, line.find(' ', 8) - 8));
  return out;
}
std::vector<std::string> matches(const std::string& text, const std::string& re) {
  std::vector<std::string> out;
  std::regex r(re);
  for (auto it = std::sregex_iterator(text.begin(), text.end(), r); it != std::sregex_iterator(); ++it)
    out.push_back((*it)[1]);
  return out;
}

// One row per registered fault kind (seven when the issue was written; pause-backup since).
TEST(SchemaRuns, AFaultsRunValidatesAndEachFaultsRowIsNamedAlikeEverywhere) {
  test::TempDir d;
  auto r = run_bb(args({"run", "--preset", "faults", "--strategies", "online", "--modes", "wal", "--repeat", "1",
                        "--out", d / "run"}));
  ASSERT_EQ(r.code, 0) << r.err;
  expect_valid(d / "run/results.json");
  auto rep = run_bb({"report", d / "run"});
  ASSERT_EQ(rep.code, 0) << rep.err;
  auto console = console_names(test::read_file(d / "run/console.log"));
  auto md = matches(test::read_file(d / "run/summary.md"), R"(\n\| wal \| ([^ |]+) \|)");
  auto html = matches(test::read_file(d / "run/report.html"),
                      "<td class=name>wal</td><td class=name>([^<]*)</td>");
  const size_t kinds = fault_kinds().size();
  ASSERT_GE(kinds, 7u);
  ASSERT_EQ(console.size(), kinds) << test::read_file(d / "run/console.log");
  EXPECT_EQ(std::set<std::string>(console.begin(), console.end()).size(), kinds);
  for (auto& n : console) EXPECT_EQ(n.rfind("online+", 0), 0u) << n;
  EXPECT_EQ(md, console);
  EXPECT_EQ(html, console);
}

TEST(SchemaRuns, ShardsAndTheirMergeValidate) {
  test::TempDir d;
  for (auto k : {"0", "1"}) {
    auto r = run_bb(args({"run", "--preset", "quick", "--strategies", "online,vacuum-into", "--modes", "wal,delete",
                          "--repeat", "1", "--rate", "50", "--shard", std::string(k) + "/2", "--out",
                          d / ("s" + std::string(k))}));
    ASSERT_EQ(r.code, 0) << r.err;
    expect_valid(d / ("s" + std::string(k) + "/results.json"));
  }
  auto m = run_bb({"__merge", d / "merged.json", d / "s0", d / "s1"});
  ASSERT_EQ(m.code, 0) << m.err;
  expect_valid(d / "merged.json");
  EXPECT_EQ(json::parse(test::read_file(d / "merged.json"))["summary"].size(), 4u);
}

TEST(SchemaRuns, ScheduledBackupsValidate) {
  test::TempDir d;
  auto r = run_bb(args({"run", "--preset", "quick", "--strategies", "online", "--modes", "wal", "--repeat", "1",
                        "--rate", "50", "--set", "backups=3", "--set", "backup_interval_s=0.3", "--out", d / "run"}));
  ASSERT_EQ(r.code, 0) << r.err;
  expect_valid(d / "run/results.json");
  auto j = json::parse(test::read_file(d / "run/results.json"));
  EXPECT_EQ(j["trials"][0]["backups"].size(), 3u);
  EXPECT_EQ(j["summary"][0]["backups"], 3);
}

// A run's results as the previous version wrote them: no derived values.
json as_v1(json j) {
  j["schema"] = "backup-bench/1";
  j.erase("verdicts");
  for (auto& t : j["trials"])
    for (auto* k : {"row", "impact_counts", "axes"}) t.erase(k);
  for (auto& r : j["summary"])
    for (auto* k : {"key", "name", "name_parts"}) r.erase(k);
  for (auto& s : j["strategies"]) s.erase("impact_representative");
  return j;
}

TEST(SchemaRuns, AFileOfThePreviousVersionIsReadAndAnyOtherRefusedWithOneLine) {
  test::TempDir d;
  auto r = run_bb(args({"run", "--preset", "quick", "--strategies", "online,fs-snapshot", "--modes", "wal",
                        "--repeat", "1", "--rate", "50", "--out", d / "run"}));
  ASSERT_EQ(r.code, 0) << r.err;
  const auto now = json::parse(test::read_file(d / "run/results.json"));
  std::filesystem::copy(d / "run", d / "v1", std::filesystem::copy_options::recursive);
  write(d / "v1/results.json", as_v1(now));
  // compare reads it: the same run on both sides, nothing to report.
  auto c = run_bb({"compare", d / "v1", d / "run"});
  EXPECT_EQ(c.code, 0) << c.out << c.err;
  // the merge reads it as this version, with the same derived values.
  auto m = run_bb({"__merge", d / "merged.json", d / "v1"});
  ASSERT_EQ(m.code, 0) << m.err;
  expect_valid(d / "merged.json");
  auto merged = json::parse(test::read_file(d / "merged.json"));
  EXPECT_EQ(merged["upgraded_from"], "backup-bench/1");
  for (size_t i = 0; i < now["trials"].size(); ++i)
    for (auto* k : {"row", "impact_counts", "axes"}) EXPECT_EQ(merged["trials"][i][k], now["trials"][i][k]) << k;
  for (size_t i = 0; i < now["summary"].size(); ++i)
    for (auto* k : {"key", "name", "name_parts"}) EXPECT_EQ(merged["summary"][i][k], now["summary"][i][k]) << k;
  EXPECT_EQ(merged["strategies"], now["strategies"]);
  // report reads it (through the merge).
  auto rep = run_bb({"report", d / "v1", "--out", d / "v1-report"});
  EXPECT_EQ(rep.code, 0) << rep.err;
  EXPECT_TRUE(std::filesystem::exists(d / "v1-report/summary.md"));
  // Any other version: one line, exit 2, saying to run again.
  auto v3 = now;
  v3["schema"] = "backup-bench/3";
  std::filesystem::copy(d / "run", d / "v3", std::filesystem::copy_options::recursive);
  write(d / "v3/results.json", v3);
  for (auto cmd : {std::vector<std::string>{"compare", d / "v3", d / "run"},
                   std::vector<std::string>{"report", d / "v3", "--out", d / "v3-report"}}) {
    auto x = run_bb(cmd);
    EXPECT_EQ(x.code, 2) << cmd[0] << x.err;
    EXPECT_EQ(std::count(x.err.begin(), x.err.end(), '\n'), 1) << cmd[0] << x.err;
    EXPECT_NE(x.err.find("run the scenario again"), std::string::npos) << cmd[0] << x.err;
  }
}

}  // namespace
}  // namespace bb
