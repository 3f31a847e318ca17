// Which shard of the matrix this process runs: `--shard K/N` as given, or
// `--shard auto[/N]` read from the job engine that started it (GitLab's
// parallel jobs, a Kubernetes Indexed Job, a Slurm array, or BB_SHARD). Each
// engine numbers its jobs its own way; this is the one place that knows how.
#pragma once
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace bb {

struct ShardChoice {
  int k = 0, n = 1;
  // Where K/N came from: "none" (no --shard), "flag" (--shard K/N), "BB_SHARD",
  // "gitlab", "kubernetes" or "slurm".
  std::string engine = "none";
  // The engine's job identity, the variables that name this job (recorded in
  // results.json so a shard can be traced back to the job that ran it).
  nlohmann::json job = nlohmann::json::object();
};

// Reads one environment variable (tests pass their own).
using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;
EnvLookup process_env();

// `spec` is --shard's value ("" when not given). Throws UsageError with one
// line naming the variable and the problem: no engine found for `auto`, a
// value that is not a number, out of range, or engines and N that disagree.
ShardChoice resolve_shard(const std::string& spec, const EnvLookup& env);

}  // namespace bb
