// Part of `compare`: whether two runs are like for like, and the cell key's
// further axes. Each check appends one line per difference to `warnings`.
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace bb {

// A trial's value of an axis field: from its `axes` object, else its own field.
nlohmann::json axis_value(const nlohmann::json& trial, const std::string& field);
std::string axis_text(const nlohmann::json& v);  // strings bare, anything else as JSON

// The first `most` items joined, and how many there are in all.
std::string list_some(const std::vector<std::string>& v, size_t most = 6);

// Fields beyond mode/label/size/writers that join the cell key: the known
// optional axes and any a trial's `axes` names, when either run holds several
// values of them. One constant per run but differing between runs is a warning.
std::vector<std::string> extra_axes(const nlohmann::json& base, const nlohmann::json& cur,
                                    std::vector<std::string>& warnings);

// The scenarios (seed, name and description aside), the machines, and each
// run's state (interrupted, harness errors).
void scenario_warnings(const nlohmann::json& base, const nlohmann::json& cur, std::vector<std::string>& warnings);
// The user's database or workload file differ (run --database / --workload-file).
void data_warnings(const nlohmann::json& base, const nlohmann::json& cur, std::vector<std::string>& warnings);
void host_warnings(const nlohmann::json& base, const nlohmann::json& cur, std::vector<std::string>& warnings);
// The shards of one side ran on hosts that differ (merged results'
// `host_differences`, results/shard_set.h): its figures mix machines.
void shard_host_warnings(const char* side, const nlohmann::json& run, std::vector<std::string>& warnings);
void run_warnings(const char* side, const nlohmann::json& run, int harness_trials, std::vector<std::string>& warnings);

}  // namespace bb
