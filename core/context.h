// The context block of results.json: versions, build, machine, filesystem — what
// a reader needs to judge whether two runs are comparable.
#pragma once
#include <nlohmann/json.hpp>
#include <string>

namespace bb {

nlohmann::json host_context(const std::string& run_dir);
// True when this binary was built without optimisation (or with sanitizers).
bool unoptimised_build();
std::string sqlite_version();

}  // namespace bb
