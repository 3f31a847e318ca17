// The shards of one run, found and checked as a set: `report` and `compare`
// take a folder that holds shard run folders (as a CI job collects them) and
// find them; whatever was given, the shards must be of one scenario and one
// build, each shard once and none missing. It also names every host the
// shards ran on and what differs between those hosts.
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace bb {

// The runs the user named: a path holding results.json (or a results file) is
// a run; a folder without one is a folder of shards, and its subfolders that
// hold results.json (at any depth below it, in name order) are taken instead.
// `from_folder` is set when a folder of shards was expanded. UsageError for a
// folder with no run in it.
std::vector<std::string> find_runs(const std::vector<std::string>& given, bool* from_folder = nullptr);

// What a merge checks on the set of runs beyond each file (results/merge.cpp
// already refuses different scenarios and a shard given twice): one build of
// backup-bench (tool version and commit, build type, sanitizers), and, when
// several runs are merged or a folder of shards was given, every shard 0..N-1
// present. `names[i]` names runs[i] in messages. UsageError, one line.
void check_shard_set(const std::vector<nlohmann::json>& runs, const std::vector<std::string>& names,
                     bool must_be_complete);

// The hosts the runs ran on: [{hostname, cpu, cores, kernel, filesystem,
// sqlite_version, shards: [k...]}], one per distinct host (by all of those).
nlohmann::json hosts_of(const std::vector<nlohmann::json>& runs);
// What differs between those hosts, among the fields that change a benchmark's
// figures (kHostFields): [{field, values: [...]}]; empty when they are alike.
nlohmann::json host_differences(const nlohmann::json& hosts);
// One line each, for the console: "vm1 (shards 0, 2), vm2 (shard 1)" and
// "cpu: A vs B; kernel: X vs Y".
std::string hosts_text(const nlohmann::json& hosts);
std::string differences_text(const nlohmann::json& differences);
inline constexpr const char* kHostFields[] = {"cpu", "cores", "kernel", "filesystem", "sqlite_version"};

}  // namespace bb
