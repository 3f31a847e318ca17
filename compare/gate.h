// Comparing two runs for a CI gate (docs/compare.md). Per cell (journal mode ×
// label × size × writer count, and any further axis the trials carry), from the
// trials that count: a new wrong snapshot of a strategy expected to be safe is a
// regression at once; more FAILED/timeouts only when Fisher's exact test says
// so; a metric only when its median moved in the bad direction by more than the
// metric can resolve and a one-sided Mann–Whitney U test, corrected over every
// test of the comparison, says so.
#pragma once
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "compare/stats.h"

namespace bb {

enum class Correction { kBenjaminiHochberg, kHolm };
const char* correction_name(Correction c);

struct CompareOptions {
  double threshold_pct = 10;  // a smaller relative change of the median is never a regression
  double load_tolerance = 0.25;  // writer paces further apart than this (relative) are not like for like
  double alpha = 0.05;        // the false-alarm rate over all the tests of one comparison
  Correction correction = Correction::kBenjaminiHochberg;
};

// One statistical test of the comparison (a metric's U test or a count's Fisher
// test). Tests that cannot reach alpha with these samples stay out of the family.
struct GateTest {
  bool run = false;          // tested at all (enough values on both sides)
  bool in_family = false;    // could reach alpha: counted in the correction
  double p = 1;              // one-sided, in the bad direction
  double min_p = 1;          // the smallest p these samples allow
  std::optional<double> q;   // adjusted over the family (absent outside it)
  bool significant(double alpha) const { return q && *q <= alpha; }
};

struct MetricDelta {
  std::string name, unit;
  bool lower_is_better = true;
  std::vector<double> base, cur;  // one value per repetition that counts, raised to the schedule floor
  double base_median = 0, cur_median = 0;
  double change = 0;              // cur_median - base_median
  double change_pct = 0;          // relative to the baseline median (infinite from 0)
  double floor = 0;               // the writers' schedule floor (one period), 0 when it does not apply
  double needed = 0;              // the smallest change in the bad direction that counts
  std::string needed_by;          // which rule set it: threshold, absolute floor, spread, schedule floor
  bool worse = false;             // moved in the bad direction by more than `needed`
  GateTest test;
  std::string note;               // why not tested, when it was not
  bool regression = false;
};

// A count compared between the runs (FAILED/timeouts; wrong snapshots).
struct CountDelta {
  int base_events = 0, base_n = 0, cur_events = 0, cur_n = 0;
  GateTest test;
  std::string note;
  bool regression = false;
};

struct CellDelta {
  std::string key;                       // "wal/online@8MB/w2", then "[axis=value]" for further axes
  std::string mode, label;
  bool expected_safe = false;            // in the current run
  std::map<std::string, int> base_verdicts, cur_verdicts;  // every trial, harness errors included
  int base_trials = 0, cur_trials = 0;
  int base_unsteady = 0, cur_unsteady = 0;  // judged but left out of writer figures
  int base_harness = 0, cur_harness = 0;
  int base_judged = 0, cur_judged = 0;      // neither skipped nor failed in the harness
  int base_steady = 0, cur_steady = 0;      // judged with a steady load: the writer figures
  double base_rate = 0, cur_rate = 0;    // the writers' pace (median tx/s per writer; 0 closed loop)
  // The runs loaded the writers differently (rate = auto probes each run): the
  // cell's figures and counts are shown but not judged; verdicts still are.
  bool load_differs = false;
  std::vector<std::string> new_wrong;    // wrong-snapshot verdicts the baseline never had (safe strategy)
  CountDelta failures;                   // failed/timeout backups among the judged trials
  std::optional<CountDelta> wrong;       // wrong snapshots of a safe strategy present on both sides
  std::vector<MetricDelta> metrics;
  bool regression() const;
  std::vector<std::string> findings() const;  // one line per regression
};

struct Comparison {
  std::string base_path, cur_path, base_sqlite, cur_sqlite;
  CompareOptions opts;
  std::vector<CellDelta> cells;
  std::vector<std::string> axes;                // the fields of the cell key
  std::vector<std::string> only_base, only_cur; // cells on one side only
  std::vector<std::string> warnings;            // the runs are not like for like (--strict: exit 2)
  std::vector<std::string> notes;               // what the reader should know about the gate's power
  size_t family = 0;                            // tests in the correction
  bool regression() const;
  std::vector<std::string> findings() const;
  // 0 no regression, 1 regression, 2 nothing in common, or warnings with --strict.
  int exit_code(bool strict) const;
};

Comparison compare_runs(const nlohmann::json& base, const nlohmann::json& cur, const CompareOptions& opts);

// The one line `compare` exits 2 with when the runs share no cell.
std::string no_common_cell_line(const Comparison& c);

// Outputs (compare/output.cpp).
std::string format_comparison(const Comparison& c, bool strict);
std::string markdown_comparison(const Comparison& c, bool strict);
std::string junit_comparison(const Comparison& c, bool strict);
nlohmann::json to_json(const Comparison& c, bool strict);

}  // namespace bb
