// --shard K/N and --shard auto[/N]: the job engines' own numbering turned into
// a 0-based K of N, every value checked before any work.
#include "cli/cmd_run_shard.h"

#include <fmt/format.h>

#include <cstdlib>
#include <vector>

#include "core/errors.h"

namespace bb {
namespace {

// A whole number written as digits only: engines write plain integers, and
// anything else ("2.0", "-1", " 3", "3x") is a mistake in the job's set-up.
std::optional<long long> whole(const std::string& s) {
  if (s.empty() || s.size() > 12 || s.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
  return std::stoll(s);
}

long long number(const EnvLookup& env, const std::string& var) {
  auto v = env(var);
  if (!v) throw UsageError(fmt::format("--shard auto: {} is not set", var));
  auto n = whole(*v);
  if (!n) throw UsageError(fmt::format("--shard auto: {}='{}' is not a whole number", var, *v));
  return *n;
}

// "K/N" with 0 <= K < N.
std::pair<int, int> parse_k_of_n(const std::string& what, const std::string& text) {
  auto slash = text.find('/');
  auto k = slash == std::string::npos ? std::nullopt : whole(text.substr(0, slash));
  auto n = slash == std::string::npos ? std::nullopt : whole(text.substr(slash + 1));
  if (!k || !n) throw UsageError(fmt::format("{} '{}': expected K/N, e.g. 0/3", what, text));
  if (*n < 1 || *k >= *n)
    throw UsageError(fmt::format("{} {}/{}: expected K/N with 0 <= K < N", what, *k, *n));
  return {int(*k), int(*n)};
}

// The variables that name a job, those that are set.
nlohmann::json identity(const EnvLookup& env, std::initializer_list<const char*> vars) {
  nlohmann::json j = nlohmann::json::object();
  for (auto* v : vars)
    if (auto x = env(v)) j[v] = *x;
  return j;
}

ShardChoice checked(ShardChoice c, const std::string& source) {
  if (c.n < 1 || c.k < 0 || c.k >= c.n)
    throw UsageError(fmt::format("--shard auto: {} gives shard {}/{}, out of range (0 <= K < N)", source, c.k, c.n));
  return c;
}

ShardChoice from_gitlab(const EnvLookup& env) {
  ShardChoice c;
  c.engine = "gitlab";
  const long long total = number(env, "CI_NODE_TOTAL");
  if (total < 1) throw UsageError(fmt::format("--shard auto: CI_NODE_TOTAL={} is below 1", total));
  // GitLab sets CI_NODE_INDEX only in a `parallel:` job; without it the job is the only one.
  if (!env("CI_NODE_INDEX")) {
    if (total != 1)
      throw UsageError(fmt::format("--shard auto: CI_NODE_TOTAL={} but CI_NODE_INDEX is not set", total));
  } else {
    const long long index = number(env, "CI_NODE_INDEX");  // 1-based
    if (index < 1 || index > total)
      throw UsageError(fmt::format("--shard auto: CI_NODE_INDEX={} is outside 1..CI_NODE_TOTAL={} (GitLab counts "
                                   "from 1)",
                                   index, total));
    c.k = int(index - 1);
  }
  c.n = int(total);
  c.job = identity(env, {"CI_NODE_INDEX", "CI_NODE_TOTAL", "CI_JOB_ID", "CI_JOB_NAME", "CI_PIPELINE_ID",
                         "CI_PROJECT_PATH", "CI_COMMIT_SHA"});
  return checked(c, fmt::format("CI_NODE_INDEX/CI_NODE_TOTAL"));
}

ShardChoice from_kubernetes(const EnvLookup& env, std::optional<int> n) {
  ShardChoice c;
  c.engine = "kubernetes";
  const long long index = number(env, "JOB_COMPLETION_INDEX");  // 0-based
  if (!n)
    throw UsageError(fmt::format("--shard auto: JOB_COMPLETION_INDEX={} gives K but not N: use --shard auto/N or "
                                 "set BB_SHARDS to the Job's completions",
                                 index));
  if (index >= *n)
    throw UsageError(fmt::format("--shard auto: JOB_COMPLETION_INDEX={} is outside 0..{} (N = {})", index, *n - 1,
                                 *n));
  c.k = int(index);
  c.n = *n;
  c.job = identity(env, {"JOB_COMPLETION_INDEX", "JOB_NAME", "POD_NAME", "HOSTNAME"});
  return checked(c, "JOB_COMPLETION_INDEX");
}

ShardChoice from_slurm(const EnvLookup& env) {
  ShardChoice c;
  c.engine = "slurm";
  const long long id = number(env, "SLURM_ARRAY_TASK_ID");
  const long long min = number(env, "SLURM_ARRAY_TASK_MIN");
  const long long count = number(env, "SLURM_ARRAY_TASK_COUNT");
  // --array=1-9:2 numbers its tasks 1,3,5..: the step turns an id into a position.
  const long long step = env("SLURM_ARRAY_TASK_STEP") ? number(env, "SLURM_ARRAY_TASK_STEP") : 1;
  if (count < 1) throw UsageError(fmt::format("--shard auto: SLURM_ARRAY_TASK_COUNT={} is below 1", count));
  if (step < 1) throw UsageError(fmt::format("--shard auto: SLURM_ARRAY_TASK_STEP={} is below 1", step));
  // A list such as --array=1,4,5 is no range: its positions would not be 0..N-1.
  if (env("SLURM_ARRAY_TASK_MAX")) {
    const long long max = number(env, "SLURM_ARRAY_TASK_MAX");
    if (max < min || (max - min) / step + 1 != count || (max - min) % step != 0)
      throw UsageError(fmt::format("--shard auto: the Slurm array is not a range (MIN={} MAX={} STEP={} COUNT={}); "
                                   "use --array=0-{} or set BB_SHARD=K/N",
                                   min, max, step, count, count - 1));
  }
  if (id < min || (id - min) % step != 0 || (id - min) / step >= count)
    throw UsageError(fmt::format("--shard auto: SLURM_ARRAY_TASK_ID={} is not one of the {} tasks from "
                                 "SLURM_ARRAY_TASK_MIN={} in steps of {}",
                                 id, count, min, step));
  c.k = int((id - min) / step);
  c.n = int(count);
  c.job = identity(env, {"SLURM_ARRAY_JOB_ID", "SLURM_ARRAY_TASK_ID", "SLURM_JOB_ID", "SLURM_JOB_NAME",
                         "SLURM_CLUSTER_NAME", "SLURMD_NODENAME"});
  return checked(c, "SLURM_ARRAY_TASK_ID/MIN/COUNT");
}

ShardChoice resolve_auto(const std::string& spec, const EnvLookup& env) {
  // N given with auto (--shard auto/N), and BB_SHARDS: both say the same when both are there.
  std::optional<int> n;
  if (spec != "auto") {
    auto v = whole(spec.substr(5));
    if (spec.rfind("auto/", 0) != 0 || !v || *v < 1)
      throw UsageError(fmt::format("--shard '{}': expected K/N, auto or auto/N", spec));
    n = int(*v);
  }
  if (auto s = env("BB_SHARDS")) {
    auto v = whole(*s);
    if (!v || *v < 1) throw UsageError(fmt::format("--shard auto: BB_SHARDS='{}' is not a whole number >= 1", *s));
    if (n && *n != *v)
      throw UsageError(fmt::format("--shard {} but BB_SHARDS={}: they disagree on N", spec, *v));
    n = int(*v);
  }
  ShardChoice c;
  if (auto s = env("BB_SHARD")) {
    // The user's own choice, over any engine's.
    auto [k, nn] = parse_k_of_n("BB_SHARD", *s);
    c.k = k;
    c.n = nn;
    c.engine = "BB_SHARD";
    c.job = {{"BB_SHARD", *s}};
  } else {
    std::vector<std::string> found;
    if (env("CI_NODE_INDEX") || env("CI_NODE_TOTAL")) found.push_back("gitlab");
    if (env("JOB_COMPLETION_INDEX")) found.push_back("kubernetes");
    if (env("SLURM_ARRAY_TASK_ID")) found.push_back("slurm");
    if (found.empty())
      throw UsageError(
          "--shard auto: no shard in the environment (looked for BB_SHARD, GitLab's CI_NODE_INDEX/CI_NODE_TOTAL, "
          "Kubernetes' JOB_COMPLETION_INDEX, Slurm's SLURM_ARRAY_TASK_ID); on GitHub Actions pass "
          "--shard ${{ matrix.shard }}/N");
    if (found.size() > 1)
      throw UsageError(fmt::format("--shard auto: the environment holds the shard variables of {} and {}; set "
                                   "BB_SHARD=K/N to say which",
                                   found[0], found[1]));
    if (found[0] == "gitlab") c = from_gitlab(env);
    if (found[0] == "kubernetes") c = from_kubernetes(env, n);
    if (found[0] == "slurm") c = from_slurm(env);
  }
  if (n && *n != c.n)
    throw UsageError(fmt::format("--shard auto: {} gives shard {}/{} but N = {} was given ({}); they disagree",
                                 c.engine, c.k, c.n, *n, env("BB_SHARDS") ? "BB_SHARDS" : "--shard auto/N"));
  return c;
}

}  // namespace

EnvLookup process_env() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    return v ? std::optional<std::string>(v) : std::nullopt;
  };
}

ShardChoice resolve_shard(const std::string& spec, const EnvLookup& env) {
  if (spec.empty()) return {};
  if (spec.rfind("auto", 0) == 0) return resolve_auto(spec, env);
  ShardChoice c;
  auto [k, n] = parse_k_of_n("--shard", spec);
  c.k = k;
  c.n = n;
  c.engine = "flag";
  return c;
}

}  // namespace bb
