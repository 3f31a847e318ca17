// Merging the shards of one run: trials concatenated, series found from each
// shard's own folder, the summary recomputed, and anything that is not the
// shards of one run refused with a line naming it.
#include "results/merge.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/errors.h"
#include "tests/test_support.h"

namespace fs = std::filesystem;

namespace bb {
namespace {

using json = nlohmann::json;

json trial(const std::string& label, int cell, const json& series) {
  return {{"mode", "wal"},
          {"label", label},
          {"strategy", label},
          {"db_mb", 8},
          {"writer_count", 2},
          {"repetition", 0},
          {"cell", cell},
          {"expected_safe", true},
          {"harness_error", nullptr},
          {"backup", {{"status", "completed"}, {"duration_s", 0.1 * (cell + 1)}, {"error", nullptr}}},
          {"load", {{"steady", true}, {"reason", ""}}},
          {"writers", {{"max_stall_ms", 5}}},
          {"verdict", {{"status", "OK"}}},
          {"backups", {{{"index", 0},
                        {"backup", {{"status", "completed"}, {"duration_s", 0.1 * (cell + 1)}, {"error", nullptr}}},
                        {"writers", {{"max_stall_ms", 5}}},
                        {"verdict", {{"status", "OK"}}}}}},
          {"series", series}};
}

json shard(int k, int n, std::vector<json> trials) {
  return {{"schema", "backup-bench/1"},
          {"sqlite_version", "3.40.1"},
          {"scenario", {{"name", "s"}, {"repeat", 1}}},
          {"shard", {{"k", k}, {"n", n}}},
          {"interrupted", false},
          {"trials", trials}};
}

void write(const std::string& path, const json& j) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path) << j.dump();
}

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const UsageError& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(Merge, ShardsAreConcatenatedWithTheirSeriesResolvedAndTheSummaryRecomputed) {
  test::TempDir d;
  write(d / "a/results.json", shard(0, 2, {trial("online", 0, "trials/000/series.json")}));
  write(d / "b/results.json", shard(1, 2, {trial("online", 1, nullptr), trial("vacuum-into", 3, nullptr)}));
  write(d / "a/trials/000/series.json", json::object());
  auto m = merge_runs({d / "a", d / "b/results.json"});
  ASSERT_EQ(m["trials"].size(), 3u);
  EXPECT_EQ(m["trials"][0]["series"], (fs::path(d.path()) / "a/trials/000/series.json").string());
  EXPECT_EQ(m["shard"]["k"], json({0, 1}));
  EXPECT_EQ(m["shard"]["n"], 2);
  ASSERT_EQ(m["summary"].size(), 2u);  // online (two repetitions) and vacuum-into
  EXPECT_EQ(m["summary"][0]["trials"], 2);
  EXPECT_EQ(m["summary"][0]["figures"]["backup_duration_s"]["n"], 2);
  EXPECT_FALSE(merge_runs({d / "a"}, {.summary = false}).contains("summary"));
  // Written back: series relative to the merged file's folder, like a run's own.
  write_merged(d / "out.json", m);
  auto back = json::parse(test::read_file(d / "out.json"));
  EXPECT_EQ(back["trials"][0]["series"], "a/trials/000/series.json");
  EXPECT_EQ(back["summary"].size(), 2u);
}

TEST(Merge, AMovedRunFolderStillFindsItsSeriesByTheirTails) {
  test::TempDir d;
  write(d / "moved/results.json", shard(0, 1, {trial("online", 0, "/elsewhere/run7/trials/000/series.json")}));
  write(d / "moved/trials/000/series.json", json::object());
  auto m = merge_runs({d / "moved"});
  EXPECT_EQ(m["trials"][0]["series"], (fs::path(d.path()) / "moved/trials/000/series.json").string());
}

TEST(Merge, WhatIsNotTheShardsOfOneRunIsRefused) {
  test::TempDir d;
  write(d / "a/results.json", shard(0, 2, {trial("online", 0, nullptr)}));
  write(d / "b/results.json", shard(0, 2, {trial("online", 2, nullptr)}));
  write(d / "c/results.json", shard(1, 3, {trial("online", 1, nullptr)}));
  auto other = shard(1, 2, {trial("online", 1, nullptr)});
  other["scenario"]["repeat"] = 4;
  write(d / "e/results.json", other);
  EXPECT_NE(message_of([&] { merge_runs({d / "a", d / "b"}); }).find("are both shard 0/2"), std::string::npos);
  EXPECT_NE(message_of([&] { merge_runs({d / "a", d / "c"}); }).find("of 2 shards"), std::string::npos);
  EXPECT_NE(message_of([&] { merge_runs({d / "a", d / "e"}); }).find("scenarios differ in 'repeat'"),
            std::string::npos);
  // The same scenario on other data (run --database): not one run.
  auto other_db = shard(1, 2, {trial("online", 1, nullptr)});
  other_db["database"] = {{"file", "app.db"}, {"identity", "x"}};
  write(d / "f/results.json", other_db);
  EXPECT_NE(message_of([&] { merge_runs({d / "a", d / "f"}); }).find("their 'database' differ"), std::string::npos);
  EXPECT_NE(message_of([&] { merge_runs({d / "a", d / "a/results.json"}); }).find("given twice"), std::string::npos);
  EXPECT_NE(message_of([&] { merge_runs({}); }).find("no run folder"), std::string::npos);
}

TEST(Merge, CommaListsSplitIntoPaths) {
  EXPECT_EQ(split_paths("a,b,,c"), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_TRUE(split_paths("").empty());
}

}  // namespace
}  // namespace bb
