// `backup-bench compare` as a CI gate on real results (tests/data/compare-fixture:
// two runs of one scenario pooled, 10 repetitions per cell): random halves of
// one run pass (A/A); a regression in every cell, a new wrong snapshot of a safe
// strategy fail; runs with nothing in common, bad files and FIFOs are exit 2.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>

#include "tests/test_support.h"

namespace bb {
namespace {

using json = nlohmann::json;
using test::run_bb;

std::string fixture() { return test::test_data("compare-fixture/results.json"); }
json load_fixture() { return json::parse(test::read_file(fixture())); }

void write(const std::string& path, const json& j) { std::ofstream(path) << j.dump(); }

// Each cell's repetitions split at random into two halves, as two runs.
std::pair<json, json> split(const json& run, unsigned seed) {
  std::mt19937 rng(seed);
  json a = run, b = run;
  a["trials"] = b["trials"] = json::array();
  std::map<std::string, std::vector<json>> cells;
  for (auto& t : run["trials"])
    cells[t["mode"].get<std::string>() + "/" + t["label"].get<std::string>()].push_back(t);
  for (auto& [k, ts] : cells) {
    std::shuffle(ts.begin(), ts.end(), rng);
    for (size_t i = 0; i < ts.size(); ++i) (i < ts.size() / 2 ? a : b)["trials"].push_back(ts[i]);
  }
  a["scenario"]["repeat"] = b["scenario"]["repeat"] = run["scenario"]["repeat"].get<int>() / 2;
  return {a, b};
}

// Runs a command that must not hang: `timeout` turns a hang into exit 124.
test::CmdResult run_bb_within(int seconds, const std::vector<std::string>& args) {
  std::string cmd = "timeout " + std::to_string(seconds) + " " + test::sh_quote(BB_BINARY);
  for (auto& a : args) cmd += " " + test::sh_quote(a);
  return test::run_sh(cmd);
}

void expect_one_line_exit2(const test::CmdResult& r, const std::string& needle) {
  EXPECT_EQ(r.code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find(needle), std::string::npos) << "stderr: " << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << "not one line: " << r.err;
}

TEST(CompareCli, RandomHalvesOfOneRunPassOverSeveralSeeds) {
  test::TempDir d;
  auto run = load_fixture();
  for (unsigned seed = 1; seed <= 6; ++seed) {
    auto [a, b] = split(run, seed);
    write(d / "a.json", a);
    write(d / "b.json", b);
    auto r = run_bb({"compare", d / "a.json", d / "b.json", "--strict"});
    EXPECT_EQ(r.code, 0) << "seed " << seed << "\n" << r.out << r.err;
    EXPECT_NE(r.out.find("result: no regression"), std::string::npos) << r.out;
  }
}

TEST(CompareCli, ASlowerBuildInEveryCellIsARegressionByName) {
  test::TempDir d;
  auto [a, b] = split(load_fixture(), 1);
  // Every backup takes 3x as long plus 50 ms.
  for (auto& t : b["trials"])
    if (t["backup"]["duration_s"].is_number())
      t["backup"]["duration_s"] = t["backup"]["duration_s"].get<double>() * 3 + 0.05;
  write(d / "a.json", a);
  write(d / "b.json", b);
  auto r = run_bb({"compare", d / "a.json", d / "b.json", "--json", d / "cmp.json"});
  EXPECT_EQ(r.code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("backup_duration_s"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("REGRESSION"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Benjamini-Hochberg"), std::string::npos) << r.out;
  auto c = json::parse(test::read_file(d / "cmp.json"));
  EXPECT_TRUE(c["regression"].get<bool>());
  EXPECT_EQ(c["exit_code"], 1);
  // A huge threshold lets the same change through.
  EXPECT_EQ(run_bb({"compare", d / "a.json", d / "b.json", "--threshold", "100000"}).code, 0);
}

TEST(CompareCli, ANewStaleOfASafeStrategyIsARegression) {
  test::TempDir d;
  auto run = load_fixture();
  bool changed = false;
  for (auto& t : run["trials"])
    if (!changed && t["mode"] == "wal" && t["label"] == "online" && t["verdict"]["status"] == "OK") {
      t["verdict"]["status"] = "STALE";
      changed = true;
    }
  ASSERT_TRUE(changed);
  write(d / "results.json", run);
  auto r = run_bb({"compare", fixture(), d.path()});
  EXPECT_EQ(r.code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("wal/online@8MB/w2: new STALE (1 of 10)"), std::string::npos) << r.out;
}

TEST(CompareCli, RunsWithNoCellInCommonAreExit2) {
  test::TempDir d;
  const auto run = load_fixture();
  auto wal = run, del = run;
  wal["trials"] = del["trials"] = json::array();
  for (auto& t : run["trials"]) (t["mode"] == "wal" ? wal : del)["trials"].push_back(t);
  write(d / "wal.json", wal);
  write(d / "del.json", del);
  auto r = run_bb({"compare", d / "wal.json", d / "del.json", "--markdown", d / "cmp.md"});
  expect_one_line_exit2(r, "share no cell");
  EXPECT_NE(r.err.find("wal/online@8MB/w2"), std::string::npos) << r.err;
  EXPECT_NE(test::read_file(d / "cmp.md").find("not comparable"), std::string::npos);
}

TEST(CompareCli, DifferingScenariosWarnAndStrictMakesThemExit2) {
  test::TempDir d;
  auto cur = load_fixture();
  json kept = json::array();
  for (auto& t : cur["trials"])
    if (t["label"] != "vacuum-into") kept.push_back(t);
  cur["trials"] = kept;
  json strategies = json::array();
  for (auto& s : cur["scenario"]["strategies"])
    if (s["label"] != "vacuum-into") strategies.push_back(s);
  cur["scenario"]["strategies"] = strategies;
  cur["scenario"]["db_mb"] = {8, 16};
  write(d / "cur.json", cur);
  auto r = run_bb({"compare", fixture(), d / "cur.json"});
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("WARNING: the strategies differ (only in the baseline: vacuum-into)"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("WARNING: the database sizes (db_mb) differ"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("only in the baseline, not compared: wal/vacuum-into@8MB/w2"), std::string::npos) << r.out;
  auto strict = run_bb({"compare", fixture(), d / "cur.json", "--strict"});
  EXPECT_EQ(strict.code, 2) << strict.out << strict.err;
  EXPECT_NE(strict.out.find("not comparable"), std::string::npos) << strict.out;
}

TEST(CompareCli, MarkdownJUnitAndJsonAreWritten) {
  test::TempDir d;
  auto r = run_bb({"compare", fixture(), fixture(), "--markdown", d / "cmp.md", "--junit", d / "cmp.xml", "--json",
                   d / "cmp.json"});
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  auto md = test::read_file(d / "cmp.md");
  EXPECT_NE(md.find("### ✅ backup-bench compare: no regression"), std::string::npos) << md;
  EXPECT_NE(md.find("| cell | verdicts (baseline → current) |"), std::string::npos) << md;
  EXPECT_NE(md.find("| wal/online@8MB/w2 |"), std::string::npos) << md;
  auto xml = test::read_file(d / "cmp.xml");
  EXPECT_EQ(xml.rfind("<?xml", 0), 0u);
  EXPECT_NE(xml.find("<testcase classname=\"compare.wal\" name=\"wal/online@8MB/w2\">"), std::string::npos);
  EXPECT_NE(xml.find("failures=\"0\""), std::string::npos);
  EXPECT_EQ(json::parse(test::read_file(d / "cmp.json"))["exit_code"], 0);
  // An output folder that does not exist is bad input, found before any work.
  expect_one_line_exit2(run_bb({"compare", fixture(), fixture(), "--markdown", d / "no/cmp.md"}), "does not exist");
}

TEST(CompareCli, ShardsOfOneRunAreMerged) {
  test::TempDir d;
  auto run = load_fixture();
  json s0 = run, s1 = run;
  s0["trials"] = s1["trials"] = json::array();
  for (auto& t : run["trials"]) (t["cell"].get<int>() % 2 ? s1 : s0)["trials"].push_back(t);
  s0["shard"] = {{"k", 0}, {"n", 2}};
  s1["shard"] = {{"k", 1}, {"n", 2}};
  std::filesystem::create_directories(d / "s0");
  std::filesystem::create_directories(d / "s1");
  write(d / "s0/results.json", s0);
  write(d / "s1/results.json", s1);
  auto r = run_bb({"compare", fixture(), d / "s0" + "," + d / "s1", "--strict"});
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  // The same shard twice would count its trials twice.
  expect_one_line_exit2(run_bb({"compare", fixture(), d / "s0" + "," + d / "s0/results.json"}), "given twice");
  write(d / "s1/results.json", s0);
  expect_one_line_exit2(run_bb({"compare", fixture(), d / "s0" + "," + d / "s1"}), "both shard 0/2");
}

TEST(CompareCli, BadInputIsOneLineAndExit2) {
  test::TempDir d;
  const std::string f = fixture();
  expect_one_line_exit2(run_bb({"compare", d / "nope", f}), "nope does not exist");
  expect_one_line_exit2(run_bb({"compare", d.path(), f}), "holds no results.json");
  std::filesystem::create_directories(d / "dir-run/results.json");
  expect_one_line_exit2(run_bb({"compare", d / "dir-run", f}), "results.json is a directory");
  // A FIFO where results.json should be: refused without opening it (a read
  // would wait for a writer forever).
  std::filesystem::create_directories(d / "fifo-run");
  ASSERT_EQ(mkfifo((d / "fifo-run/results.json").c_str(), 0600), 0);
  auto t0 = std::chrono::steady_clock::now();
  auto fifo = run_bb_within(20, {"compare", d / "fifo-run", f});
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(10));
  expect_one_line_exit2(fifo, "is a FIFO");
  // Truncated, junk, not an object, no schema.
  auto text = test::read_file(f);
  std::ofstream(d / "cut.json") << text.substr(0, text.size() / 2);
  expect_one_line_exit2(run_bb({"compare", f, d / "cut.json"}), "truncated");
  std::ofstream(d / "junk.json") << "not json";
  expect_one_line_exit2(run_bb({"compare", f, d / "junk.json"}), "not valid JSON");
  std::ofstream(d / "empty.json") << "";
  expect_one_line_exit2(run_bb({"compare", f, d / "empty.json"}), "is empty");
  std::ofstream(d / "array.json") << "[1, 2]";
  expect_one_line_exit2(run_bb({"compare", f, d / "array.json"}), "not a backup-bench results object");
  std::ofstream(d / "other.json") << "{\"hello\": 1}";
  expect_one_line_exit2(run_bb({"compare", f, d / "other.json"}), "not a backup-bench results file");
  // Wrong types, named with the trial they are in.
  auto run = load_fixture();
  auto bad = run;
  bad["trials"] = "many";
  write(d / "bad.json", bad);
  expect_one_line_exit2(run_bb({"compare", f, d / "bad.json"}), "'trials' is a string, expected an array");
  bad = run;
  bad["trials"][0]["load"].erase("steady");
  write(d / "bad.json", bad);
  expect_one_line_exit2(run_bb({"compare", f, d / "bad.json"}), "trials[0] (wal/online): 'load.steady' is missing");
  bad = run;
  bad["trials"][0]["writer_count"] = "two";
  write(d / "bad.json", bad);
  expect_one_line_exit2(run_bb({"compare", f, d / "bad.json"}), "'writer_count' is a string, expected a number");
  bad = run;
  bad["trials"][0]["verdict"]["status"] = "FINE";
  write(d / "bad.json", bad);
  expect_one_line_exit2(run_bb({"compare", f, d / "bad.json"}), "verdict 'FINE' is not a known verdict");
  // The tool's own interrupted run with no trial yet.
  bad = run;
  bad["trials"] = json::array();
  bad["interrupted"] = true;
  write(d / "zero.json", bad);
  expect_one_line_exit2(run_bb({"compare", f, d / "zero.json"}), "holds no trials");
  // Results from before the load-health model.
  bad = run;
  for (auto& t : bad["trials"]) t.erase("harness_error"), t.erase("load");
  write(d / "old.json", bad);
  expect_one_line_exit2(run_bb({"compare", f, d / "old.json"}), "older backup-bench");
  // Bad flags.
  expect_one_line_exit2(run_bb({"compare", f, f, "--alpha", "0"}), "--alpha");
  EXPECT_EQ(run_bb({"compare", f, f, "--correction", "bonferroni"}).code, 2);
}

TEST(CompareCli, HelpDocumentsTheExitCodes) {
  auto r = run_bb({"compare", "--help"});
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("Exit codes:"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("2  bad input, runs that share no cell"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("--threshold PCT=10"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace bb
