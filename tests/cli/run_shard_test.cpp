// --shard auto: every job engine's variables turned into a 0-based K of N, and
// every bad or inconsistent value refused with one line naming it.
#include "cli/cmd_run_shard.h"

#include <gtest/gtest.h>

#include <map>

#include "core/errors.h"

namespace bb {
namespace {

using Env = std::map<std::string, std::string>;

EnvLookup env_of(const Env& e) {
  return [e](const std::string& k) -> std::optional<std::string> {
    auto it = e.find(k);
    return it == e.end() ? std::nullopt : std::optional<std::string>(it->second);
  };
}

ShardChoice resolve(const std::string& spec, const Env& e) { return resolve_shard(spec, env_of(e)); }

// The one line a refusal gives ("" when there was none).
std::string refusal(const std::string& spec, const Env& e) {
  try {
    resolve(spec, e);
  } catch (const UsageError& u) {
    EXPECT_EQ(std::string(u.what()).find('\n'), std::string::npos) << u.what();
    return u.what();
  }
  return "";
}

void expect_refused(const std::string& spec, const Env& e, const std::string& words) {
  auto m = refusal(spec, e);
  EXPECT_NE(m.find(words), std::string::npos) << "spec " << spec << ": '" << m << "' lacks '" << words << "'";
}

TEST(ShardEnv, NoFlagIsTheWholeRun) {
  auto c = resolve("", {{"CI_NODE_INDEX", "2"}, {"CI_NODE_TOTAL", "3"}});
  EXPECT_EQ(c.k, 0);
  EXPECT_EQ(c.n, 1);
  EXPECT_EQ(c.engine, "none");
}

TEST(ShardEnv, ExplicitKOfN) {
  auto c = resolve("2/5", {});
  EXPECT_EQ(c.k, 2);
  EXPECT_EQ(c.n, 5);
  EXPECT_EQ(c.engine, "flag");
  for (auto bad : {"3/3", "1/0", "-1/3", "1/3x", "a/b", "3", "1/ 3", "1.0/3"}) EXPECT_NE(refusal(bad, {}), "") << bad;
}

TEST(ShardEnv, GitLabIsOneBased) {
  auto c = resolve("auto", {{"CI_NODE_INDEX", "2"}, {"CI_NODE_TOTAL", "3"}, {"CI_JOB_ID", "77"}});
  EXPECT_EQ(c.k, 1);
  EXPECT_EQ(c.n, 3);
  EXPECT_EQ(c.engine, "gitlab");
  EXPECT_EQ(c.job["CI_JOB_ID"], "77");
  EXPECT_EQ(c.job["CI_NODE_INDEX"], "2");
  EXPECT_EQ(resolve("auto", {{"CI_NODE_INDEX", "1"}, {"CI_NODE_TOTAL", "3"}}).k, 0);
  EXPECT_EQ(resolve("auto", {{"CI_NODE_INDEX", "3"}, {"CI_NODE_TOTAL", "3"}}).k, 2);
  // A job without `parallel:` has CI_NODE_TOTAL=1 and no index: the whole run.
  auto one = resolve("auto", {{"CI_NODE_TOTAL", "1"}});
  EXPECT_EQ(one.k, 0);
  EXPECT_EQ(one.n, 1);
  // auto/N must agree with the engine.
  EXPECT_EQ(resolve("auto/3", {{"CI_NODE_INDEX", "2"}, {"CI_NODE_TOTAL", "3"}}).k, 1);
}

TEST(ShardEnv, GitLabBadValues) {
  expect_refused("auto", {{"CI_NODE_INDEX", "0"}, {"CI_NODE_TOTAL", "3"}}, "CI_NODE_INDEX=0 is outside 1..");
  expect_refused("auto", {{"CI_NODE_INDEX", "4"}, {"CI_NODE_TOTAL", "3"}}, "CI_NODE_INDEX=4");
  expect_refused("auto", {{"CI_NODE_INDEX", "2"}}, "CI_NODE_TOTAL is not set");
  expect_refused("auto", {{"CI_NODE_TOTAL", "3"}}, "CI_NODE_INDEX is not set");
  expect_refused("auto", {{"CI_NODE_INDEX", "x"}, {"CI_NODE_TOTAL", "3"}}, "CI_NODE_INDEX='x' is not a whole number");
  expect_refused("auto", {{"CI_NODE_INDEX", "1"}, {"CI_NODE_TOTAL", "0"}}, "CI_NODE_TOTAL=0");
  expect_refused("auto/4", {{"CI_NODE_INDEX", "1"}, {"CI_NODE_TOTAL", "3"}}, "disagree");
  expect_refused("auto", {{"CI_NODE_INDEX", "1"}, {"CI_NODE_TOTAL", "3"}, {"BB_SHARDS", "2"}}, "disagree");
}

TEST(ShardEnv, KubernetesIndexedJob) {
  auto c = resolve("auto/3", {{"JOB_COMPLETION_INDEX", "2"}, {"HOSTNAME", "bb-2-x7"}});
  EXPECT_EQ(c.k, 2);
  EXPECT_EQ(c.n, 3);
  EXPECT_EQ(c.engine, "kubernetes");
  EXPECT_EQ(c.job["HOSTNAME"], "bb-2-x7");
  auto b = resolve("auto", {{"JOB_COMPLETION_INDEX", "0"}, {"BB_SHARDS", "4"}});
  EXPECT_EQ(b.k, 0);
  EXPECT_EQ(b.n, 4);
  EXPECT_EQ(resolve("auto/4", {{"JOB_COMPLETION_INDEX", "3"}, {"BB_SHARDS", "4"}}).k, 3);
}

TEST(ShardEnv, KubernetesBadValues) {
  expect_refused("auto", {{"JOB_COMPLETION_INDEX", "1"}}, "gives K but not N");
  expect_refused("auto/3", {{"JOB_COMPLETION_INDEX", "3"}}, "JOB_COMPLETION_INDEX=3 is outside 0..2");
  expect_refused("auto/3", {{"JOB_COMPLETION_INDEX", "-1"}}, "not a whole number");
  expect_refused("auto/3", {{"JOB_COMPLETION_INDEX", "1"}, {"BB_SHARDS", "4"}}, "disagree on N");
  expect_refused("auto", {{"JOB_COMPLETION_INDEX", "1"}, {"BB_SHARDS", "0"}}, "BB_SHARDS='0'");
  expect_refused("auto/0", {{"JOB_COMPLETION_INDEX", "0"}}, "expected K/N, auto or auto/N");
  expect_refused("auto/x", {{"JOB_COMPLETION_INDEX", "0"}}, "expected K/N, auto or auto/N");
}

TEST(ShardEnv, SlurmArrayFromAnyStart) {
  Env e{{"SLURM_ARRAY_TASK_ID", "12"},  {"SLURM_ARRAY_TASK_MIN", "10"}, {"SLURM_ARRAY_TASK_MAX", "12"},
        {"SLURM_ARRAY_TASK_COUNT", "3"}, {"SLURM_ARRAY_JOB_ID", "4242"}};
  auto c = resolve("auto", e);
  EXPECT_EQ(c.k, 2);
  EXPECT_EQ(c.n, 3);
  EXPECT_EQ(c.engine, "slurm");
  EXPECT_EQ(c.job["SLURM_ARRAY_JOB_ID"], "4242");
  // --array=1-9:4: tasks 1, 5, 9.
  auto s = resolve("auto", {{"SLURM_ARRAY_TASK_ID", "5"},
                            {"SLURM_ARRAY_TASK_MIN", "1"},
                            {"SLURM_ARRAY_TASK_MAX", "9"},
                            {"SLURM_ARRAY_TASK_STEP", "4"},
                            {"SLURM_ARRAY_TASK_COUNT", "3"}});
  EXPECT_EQ(s.k, 1);
  EXPECT_EQ(s.n, 3);
}

TEST(ShardEnv, SlurmBadValues) {
  expect_refused("auto", {{"SLURM_ARRAY_TASK_ID", "1"}, {"SLURM_ARRAY_TASK_COUNT", "3"}},
                 "SLURM_ARRAY_TASK_MIN is not set");
  expect_refused("auto", {{"SLURM_ARRAY_TASK_ID", "4"}, {"SLURM_ARRAY_TASK_MIN", "1"}, {"SLURM_ARRAY_TASK_COUNT", "3"}},
                 "SLURM_ARRAY_TASK_ID=4 is not one of the 3 tasks");
  expect_refused("auto", {{"SLURM_ARRAY_TASK_ID", "0"}, {"SLURM_ARRAY_TASK_MIN", "1"}, {"SLURM_ARRAY_TASK_COUNT", "3"}},
                 "SLURM_ARRAY_TASK_ID=0");
  expect_refused("auto", {{"SLURM_ARRAY_TASK_ID", "1"}, {"SLURM_ARRAY_TASK_MIN", "1"}, {"SLURM_ARRAY_TASK_COUNT", "0"}},
                 "SLURM_ARRAY_TASK_COUNT=0");
  // --array=1,4,5: three tasks, but not a range.
  expect_refused("auto",
                 {{"SLURM_ARRAY_TASK_ID", "4"},
                  {"SLURM_ARRAY_TASK_MIN", "1"},
                  {"SLURM_ARRAY_TASK_MAX", "5"},
                  {"SLURM_ARRAY_TASK_COUNT", "3"}},
                 "not a range");
  expect_refused("auto/2",
                 {{"SLURM_ARRAY_TASK_ID", "1"}, {"SLURM_ARRAY_TASK_MIN", "1"}, {"SLURM_ARRAY_TASK_COUNT", "3"}},
                 "disagree");
}

TEST(ShardEnv, ExplicitVariableWinsAndIsChecked) {
  auto c = resolve("auto", {{"BB_SHARD", "1/4"}, {"SLURM_ARRAY_TASK_ID", "9"}});
  EXPECT_EQ(c.k, 1);
  EXPECT_EQ(c.n, 4);
  EXPECT_EQ(c.engine, "BB_SHARD");
  expect_refused("auto", {{"BB_SHARD", "4/4"}}, "BB_SHARD 4/4");
  expect_refused("auto", {{"BB_SHARD", "two"}}, "BB_SHARD 'two'");
  expect_refused("auto/3", {{"BB_SHARD", "1/4"}}, "disagree");
}

TEST(ShardEnv, NoEngineOrTwoEngines) {
  expect_refused("auto", {}, "no shard in the environment");
  expect_refused("auto", {{"GITHUB_ACTIONS", "true"}}, "--shard ${{ matrix.shard }}/N");
  expect_refused("auto", {{"CI_NODE_INDEX", "1"}, {"CI_NODE_TOTAL", "2"}, {"JOB_COMPLETION_INDEX", "0"}},
                 "gitlab and kubernetes");
}

}  // namespace
}  // namespace bb
