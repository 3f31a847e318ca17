// Shards from a job engine's variables, and merged shards judged as one run:
// `--shard auto` runs the shard the engine gave; `compare` takes a folder of
// shards, refuses a missing one, and `--strict` refuses shards that ran on
// unlike hosts.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "tests/test_support.h"

namespace bb {
namespace {

using json = nlohmann::json;

void expect_one_line_exit2(const test::CmdResult& r, const std::string& needle) {
  EXPECT_EQ(r.code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find(needle), std::string::npos) << "stderr: " << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << "not one line: " << r.err;
}

std::string tiny_run(const std::string& out) {
  return "run --preset quick --strategies online --db-mb 1 --rate 20 --set warmup_s=0.1 --set baseline_s=0.3 "
         "--set cooldown_s=0.1 --out " + test::sh_quote(out);
}

std::string bb() { return test::sh_quote(BB_BINARY); }

// The issue's own example: GitLab's second of three parallel jobs runs shard 1/3.
TEST(Shards, GitLabsSecondJobRunsShardOneOfThree) {
  test::TempDir d;
  auto r = test::run_sh("env -u JOB_COMPLETION_INDEX -u SLURM_ARRAY_TASK_ID -u BB_SHARD CI_NODE_INDEX=2 "
                        "CI_NODE_TOTAL=3 CI_JOB_ID=991 " + bb() + " " + tiny_run(d / "s1") + " --shard auto");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("shard 1/3 from gitlab"), std::string::npos) << r.err;
  auto j = json::parse(test::read_file(d / "s1/results.json"));
  EXPECT_EQ(j["shard"], (json{{"k", 1}, {"n", 3}}));
  EXPECT_EQ(j["job"]["engine"], "gitlab");
  EXPECT_EQ(j["job"]["vars"]["CI_JOB_ID"], "991");
  for (auto& t : j["trials"]) EXPECT_EQ(t["cell"].get<int>() % 3, 1);
}

// No engine, or a bad value: one line, exit 2, and no run folder.
TEST(Shards, AutoWithoutAnEngineIsRefusedBeforeAnyWork) {
  test::TempDir d;
  const std::string clean = "env -u CI_NODE_INDEX -u CI_NODE_TOTAL -u JOB_COMPLETION_INDEX -u SLURM_ARRAY_TASK_ID "
                            "-u BB_SHARD -u BB_SHARDS ";
  expect_one_line_exit2(test::run_sh(clean + bb() + " " + tiny_run(d / "x") + " --shard auto"),
                        "no shard in the environment");
  expect_one_line_exit2(
      test::run_sh(clean + "SLURM_ARRAY_TASK_ID=7 SLURM_ARRAY_TASK_MIN=1 SLURM_ARRAY_TASK_COUNT=3 " + bb() + " " +
                   tiny_run(d / "x") + " --shard auto"),
      "SLURM_ARRAY_TASK_ID=7 is not one of the 3 tasks");
  expect_one_line_exit2(
      test::run_sh(clean + "JOB_COMPLETION_INDEX=1 " + bb() + " " + tiny_run(d / "x") + " --shard auto"),
      "gives K but not N");
  EXPECT_FALSE(std::filesystem::exists(d / "x"));
}

// The compare fixture cut into three shards in a folder.
void write_shards(const std::string& dir, const std::function<void(int, json&)>& edit) {
  auto run = json::parse(test::read_file(test::test_data("compare-fixture/results.json")));
  for (int k = 0; k < 3; ++k) {
    json s = run;
    s["trials"] = json::array();
    for (auto& t : run["trials"])
      if (t["cell"].get<int>() % 3 == k) s["trials"].push_back(t);
    s["shard"] = {{"k", k}, {"n", 3}};
    edit(k, s);
    std::filesystem::create_directories(dir + "/shard-" + std::to_string(k));
    std::ofstream(dir + "/shard-" + std::to_string(k) + "/results.json") << s.dump();
  }
}

TEST(Shards, CompareTakesAFolderOfShardsAndNamesTheirHosts) {
  test::TempDir d;
  const auto fixture = test::test_data("compare-fixture/results.json");
  write_shards(d / "shards", [](int k, json& s) { s["host"]["hostname"] = "node-" + std::to_string(k % 2); });
  auto r = test::run_bb({"compare", fixture, d / "shards", "--strict"});
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("current: 3 shard(s) on node-0 (shards 0, 2), node-1 (shard 1)"), std::string::npos)
      << r.out;
  // A shard missing from the folder.
  std::filesystem::remove_all(d / "shards/shard-1");
  expect_one_line_exit2(test::run_bb({"compare", fixture, d / "shards"}), "shard 1/3 of the run is missing");
}

TEST(Shards, StrictCompareRefusesShardsOnUnlikeHosts) {
  test::TempDir d;
  const auto fixture = test::test_data("compare-fixture/results.json");
  write_shards(d / "shards", [](int k, json& s) {
    if (k == 2) s["host"]["kernel"] = "Linux 9.9-other";
  });
  auto loose = test::run_bb({"compare", fixture, d / "shards"});
  EXPECT_EQ(loose.code, 0) << loose.out << loose.err;
  EXPECT_NE(loose.out.find("the current run's shards ran on hosts that differ in kernel"), std::string::npos)
      << loose.out;
  auto strict = test::run_bb({"compare", fixture, d / "shards", "--strict"});
  EXPECT_EQ(strict.code, 2) << strict.out << strict.err;
}

}  // namespace
}  // namespace bb
