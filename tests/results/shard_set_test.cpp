// The shards of one run as a set: found below a folder, refused when one is
// missing or of another build, and every host they ran on named with what
// differs between the hosts.
#include "results/shard_set.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/errors.h"
#include "results/merge.h"
#include "results/run_record.h"
#include "tests/test_support.h"

namespace fs = std::filesystem;

namespace bb {
namespace {

using json = nlohmann::json;

json host(const std::string& name, int cores = 2, const std::string& kernel = "Linux 6.1") {
  return {{"hostname", name}, {"cpu", "AMD EPYC"},  {"cores", cores},           {"kernel", kernel},
          {"filesystem", "ext4"}, {"build_type", "Release"}, {"sanitizers", false}, {"sqlite_version", "3.40.1"}};
}

json trial(int cell) {
  json b = {{"status", "completed"}, {"duration_s", 0.1}, {"error", nullptr}};
  return {{"mode", "wal"},          {"label", "online"},        {"strategy", "online"},
          {"db_mb", 8},             {"writer_count", 2},        {"repetition", 0},
          {"cell", cell},           {"expected_safe", true},    {"harness_error", nullptr},
          {"backup", b},            {"load", {{"steady", true}, {"reason", ""}}},
          {"writers", {{"max_stall_ms", 5}}}, {"verdict", {{"status", "OK"}}},
          {"backups", {{{"index", 0}, {"backup", b}, {"writers", {{"max_stall_ms", 5}}}, {"verdict", {{"status", "OK"}}}}}},
          {"series", nullptr}};
}

json shard(int k, int n, const json& h, const std::string& commit = "abc") {
  // A /1 file: the merge derives the /2 fields itself, so the trials stay small.
  return {{"schema", "backup-bench/1"},
          {"sqlite_version", "3.40.1"},
          {"tool", {{"name", "backup-bench"}, {"version", "0.1"}, {"commit", commit}}},
          {"host", h},
          {"scenario", {{"name", "s"}}},
          {"shard", {{"k", k}, {"n", n}}},
          {"trials", {trial(k)}}};
}

void write(const std::string& dir, const json& j) {
  fs::create_directories(dir);
  std::ofstream(dir + "/results.json") << j.dump();
}

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const UsageError& e) {
    EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos);
    return e.what();
  }
  return "(no error)";
}

TEST(ShardSet, AFolderOfShardsIsFoundInNumberOrder) {
  test::TempDir d;
  for (int k : {0, 1, 2, 10}) write(d / ("shards/shard-" + std::to_string(k)), shard(k, 11, host("a")));
  write(d / "shards/nested/deeper/shard-3", shard(3, 11, host("a")));
  fs::create_directory_symlink(d / "shards/shard-0", d / "shards/latest");  // runs/latest: not twice
  bool from_folder = false;
  auto runs = find_runs({d / "shards"}, &from_folder);
  EXPECT_TRUE(from_folder);
  ASSERT_EQ(runs.size(), 5u);
  EXPECT_EQ(runs[0], d / "shards/nested/deeper/shard-3");  // "n" sorts before "s"
  EXPECT_EQ(runs[1], d / "shards/shard-0");
  EXPECT_EQ(runs[3], d / "shards/shard-2");
  EXPECT_EQ(runs[4], d / "shards/shard-10");  // 10 after 2
  // A run folder is itself; a folder with no run below it is refused.
  EXPECT_EQ(find_runs({d / "shards/shard-1"}, &from_folder), std::vector<std::string>{d / "shards/shard-1"});
  EXPECT_FALSE(from_folder);
  fs::create_directories(d / "empty/sub");
  EXPECT_NE(message_of([&] { find_runs({d / "empty"}); }).find("holds no results.json and no run folders"),
            std::string::npos);
}

TEST(ShardSet, AMissingShardIsRefused) {
  test::TempDir d;
  write(d / "s/a", shard(0, 3, host("a")));
  write(d / "s/c", shard(2, 3, host("a")));
  auto m = message_of([&] { merge_runs({d / "s/a", d / "s/c"}); });
  EXPECT_NE(m.find("shard 1/3 of the run is missing"), std::string::npos) << m;
  // A folder of shards must hold them all, even when it holds one.
  write(d / "one/a", shard(0, 3, host("a")));
  MergeOptions complete;
  complete.complete = true;
  EXPECT_NE(message_of([&] { merge_runs(find_runs({d / "one"}), complete); }).find("shards 1/3, 2/3 of the run are"),
            std::string::npos);
  // One shard named alone is still readable (a look at a run under way).
  EXPECT_EQ(merge_runs({d / "s/a"})["trials"].size(), 1u);
  write(d / "s/b", shard(1, 3, host("a")));
  EXPECT_EQ(merge_runs(find_runs({d / "s"}), complete)["trials"].size(), 3u);
}

TEST(ShardSet, ShardsOfAnotherBuildAreRefused) {
  test::TempDir d;
  write(d / "a", shard(0, 2, host("a"), "abc"));
  write(d / "b", shard(1, 2, host("b"), "def"));
  auto m = message_of([&] { merge_runs({d / "a", d / "b"}); });
  EXPECT_NE(m.find("built differently (version 0.1, commit abc, build_type Release, sanitizers false vs "
                   "version 0.1, commit def"),
            std::string::npos)
      << m;
  json debug = shard(1, 2, host("b"), "abc");
  debug["host"]["build_type"] = "Debug";
  write(d / "b", debug);
  EXPECT_NE(message_of([&] { merge_runs({d / "a", d / "b"}); }).find("build_type Debug"), std::string::npos);
}

TEST(ShardSet, EveryHostIsNamedAndTheirDifferencesListed) {
  test::TempDir d;
  write(d / "s/0", shard(0, 3, host("a")));
  write(d / "s/1", shard(1, 3, host("b")));
  write(d / "s/2", shard(2, 3, host("a")));
  auto m = merge_runs(find_runs({d / "s"}));
  ASSERT_EQ(m["hosts"].size(), 2u);
  EXPECT_EQ(m["hosts"][0]["hostname"], "a");
  EXPECT_EQ(m["hosts"][0]["shards"], json({0, 2}));
  EXPECT_EQ(m["hosts"][1]["shards"], json({1}));
  EXPECT_EQ(hosts_text(m["hosts"]), "a (shards 0, 2), b (shard 1)");
  // Hostnames alone are no difference that matters.
  EXPECT_TRUE(m["host_differences"].empty());
  write(d / "s/1", shard(1, 3, host("b", 8, "Linux 6.8")));
  m = merge_runs(find_runs({d / "s"}));
  ASSERT_EQ(m["host_differences"].size(), 2u);
  EXPECT_EQ(m["host_differences"][0]["field"], "cores");
  EXPECT_EQ(m["host_differences"][0]["values"], json({2, 8}));
  EXPECT_EQ(differences_text(m["host_differences"]), "cores: 2 vs 8; kernel: Linux 6.1 vs Linux 6.8");
}

}  // namespace
}  // namespace bb
