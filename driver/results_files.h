// The run folder's files: results.json, trials.csv, and the summary table.
#pragma once
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

namespace bb {

void write_results(const std::string& dir, const nlohmann::json& results);
// Flat CSV, one row per trial.
std::string trials_csv(const nlohmann::json& trials);
// One row per mode x label.
void print_summary(FILE* out, const nlohmann::json& results);
nlohmann::json summarize(const nlohmann::json& trials);

}  // namespace bb
