// Comparing two runs for a CI gate: per journal mode × label, the change in
// writer impact and backup speed, a Mann–Whitney U test over repetitions, and
// verdict counts.
#pragma once
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace bb {

// Two-sided Mann–Whitney U test of samples x and y.
struct UTest {
  double u = 0;          // U statistic of x (count of pairs x > y, ties 1/2)
  double p = 1;          // two-sided p-value
  bool exact = false;    // exact distribution (small samples, no ties) or normal approximation
  double min_p = 1;      // the smallest p-value these sample sizes can reach
};
UTest mann_whitney_u(const std::vector<double>& x, const std::vector<double>& y);

struct CompareOptions {
  double threshold_pct = 10;  // relative change that counts as worse
  double alpha = 0.05;
  size_t min_reps = 3;        // both sides need at least this many for the U test
};

struct MetricDelta {
  std::string name;
  bool lower_is_better = true;
  std::vector<double> base, cur;   // one value per repetition
  double base_median = 0, cur_median = 0, change_pct = 0;
  std::optional<UTest> test;       // absent: not testable, threshold alone
  std::string note;                // why the test was not used
  bool worse = false;              // beyond the threshold in the bad direction
  bool regression = false;         // worse and (significant, or not testable)
};

struct LabelDelta {
  std::string key, mode, label;
  std::map<std::string, int> base_verdicts, cur_verdicts;
  std::vector<MetricDelta> metrics;
  bool lost_ok = false;
  std::string verdict_note;
  bool regression() const;
};

struct Comparison {
  std::string base_path, cur_path, base_sqlite, cur_sqlite;
  CompareOptions opts;
  std::vector<LabelDelta> labels;
  std::vector<std::string> only_base, only_cur;
  std::vector<std::string> warnings;  // the runs differ in what they measured
  bool regression() const;
};

// Loads results.json from a run folder or a results file; a comma-separated list
// (the shards of one scenario) is merged into one run. UsageError on bad input.
nlohmann::json load_results(const std::string& paths);
Comparison compare_runs(const nlohmann::json& base, const nlohmann::json& cur, const CompareOptions& opts);
std::string format_comparison(const Comparison& c);
nlohmann::json to_json(const Comparison& c);

}  // namespace bb
