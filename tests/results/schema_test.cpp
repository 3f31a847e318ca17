// The schema's derived values (results/schema.h), each computed once in C++:
// the verdict table, row keys and names (a fault names its row), a trial's
// `row`/`impact_counts`/`axes`, reading a backup-bench/1 file, and the readers
// beside the writers (a trial record and a summary row read back and written
// again give the same JSON: real records from the report's fixtures).
#include "results/schema.h"

#include <gtest/gtest.h>

#include <cmath>

#include "core/clock.h"
#include "results/summary.h"
#include "results/trial_result.h"
#include "tests/test_support.h"

namespace bb {
namespace {

using json = nlohmann::json;

TEST(Schema, TheVerdictTableNamesTheWrongSnapshots) {
  std::vector<std::string> wrong, no_snapshot;
  for (auto& v : verdict_table()) {
    if (v["wrong_snapshot"].get<bool>()) wrong.push_back(v["status"]);
    if (!v["snapshot"].get<bool>()) no_snapshot.push_back(v["status"]);
  }
  EXPECT_EQ(wrong, (std::vector<std::string>{"CORRUPT", "INCONSISTENT", "STALE"}));
  EXPECT_EQ(no_snapshot, (std::vector<std::string>{"FAILED", "SKIPPED"}));
  EXPECT_EQ(verdict_table().size(), 6u);
}

Cell cell(const std::string& fault = "none") {
  Cell c;
  c.mode = "wal";
  c.strategy = {"online", "online", {}};
  c.db_mb = 8;
  c.writers = 2;
  c.fault = fault;
  return c;
}

TEST(Schema, ARowKeyHoldsTheFault) {
  EXPECT_EQ(row_key(cell()), "wal/online@8MB/w2/host/system");
  EXPECT_EQ(row_key(cell("kill-writer")), "wal/online@8MB/w2/host/system+kill-writer");
  // The same key from a trial record of the previous version (its fault an object).
  json t{{"mode", "wal"}, {"label", "online"}, {"db_mb", 8}, {"writer_count", 2}, {"fault", {{"kind", "kill-writer"}}}};
  EXPECT_EQ(row_key(t), row_key(cell("kill-writer")));
  EXPECT_EQ(cell_axes(cell("fill-dest")), (json{{"filesystem", "host"}, {"sqlite", "system"}, {"fault", "fill-dest"}}));
}

json row(const std::string& fault, int64_t db_mb = 8, const std::string& fs = "host") {
  return {{"mode", "wal"}, {"label", "online"}, {"db_mb", db_mb}, {"writer_count", 2}, {"filesystem", fs},
          {"sqlite", "system"}, {"sqlite_version", "3.40.1"}, {"fault", fault}};
}

TEST(Schema, EveryFaultNamesItsRowAsTheConsoleDoes) {
  json rows = json::array();
  const std::vector<std::string> faults{"kill-writer", "kill-reader", "kill-backup", "pause-writer",
                                        "fill-dest", "fail-dest-write", "fail-dest-fsync"};
  for (auto& f : faults) rows.push_back(row(f));
  name_rows(rows);
  for (size_t i = 0; i < faults.size(); ++i) EXPECT_EQ(rows[i]["name"], "online+" + faults[i]);
  json plain = json::array({row("none")});
  name_rows(plain);
  EXPECT_EQ(plain[0]["name"], "online");
}

TEST(Schema, ARowNameAddsWhatVariesAndItsPartsJoinToIt) {
  json rows = json::array({row("none", 8, "btrfs"), row("none", 64, "btrfs"), row("kill-writer", 8, "btrfs")});
  name_rows(rows);
  EXPECT_EQ(rows[0]["name"], "online 8MB btrfs");
  EXPECT_EQ(rows[1]["name"], "online 64MB btrfs");
  EXPECT_EQ(rows[2]["name"], "online+kill-writer 8MB btrfs");
  for (auto& r : rows) {
    std::string joined;
    for (auto& p : r["name_parts"]) joined += p[1].get<std::string>();
    EXPECT_EQ(joined, r["name"]);
  }
  EXPECT_EQ(rows[2]["name_parts"][1], json::array({"fault", "+kill-writer"}));
}

json v1_trial(bool steady, const json& fault) {
  return {{"mode", "wal"},          {"label", "online"}, {"strategy", "online"}, {"db_mb", 8},
          {"writer_count", 2},      {"harness_error", nullptr}, {"backup", {{"status", "completed"}}},
          {"load", {{"steady", steady}}}, {"fault", fault}};
}

TEST(Schema, AFileOfThePreviousVersionIsGivenTheDerivedValues) {
  json r{{"schema", "backup-bench/1"},
         {"strategies", json::array({{{"name", "online"}}, {{"name", "fs-snapshot"}}})},
         {"trials", json::array({v1_trial(true, nullptr), v1_trial(false, nullptr),
                                 v1_trial(true, {{"kind", "kill-writer"}})})},
         {"summary", json::array({row("none"), row("kill-writer")})}};
  r["summary"][0].erase("fault");  // the oldest rows had none
  upgrade_v1(r);
  EXPECT_EQ(r["schema"], kResultsSchema);
  EXPECT_EQ(r["upgraded_from"], kResultsSchemaV1);
  EXPECT_EQ(r["verdicts"], verdict_table());
  auto& t = r["trials"];
  EXPECT_TRUE(t[0]["impact_counts"].get<bool>());
  EXPECT_FALSE(t[1]["impact_counts"].get<bool>());  // unsteady
  EXPECT_FALSE(t[2]["impact_counts"].get<bool>());  // a fault's figures measure the fault
  EXPECT_EQ(t[2]["row"], "wal/online@8MB/w2/host/system+kill-writer");
  EXPECT_EQ(t[2]["axes"]["fault"], "kill-writer");
  EXPECT_EQ(t[0]["axes"]["fault"], "none");
  EXPECT_EQ(r["summary"][0]["key"], t[0]["row"]);
  EXPECT_EQ(r["summary"][1]["name"], "online+kill-writer");
  EXPECT_TRUE(r["strategies"][0]["impact_representative"].get<bool>());
  EXPECT_FALSE(r["strategies"][1]["impact_representative"].get<bool>());
  // A file of this version is left as it is.
  json again = r;
  upgrade_v1(again);
  EXPECT_EQ(again, r);
}

// ---- Readers beside the writers.

TrialResult faulted_trial() {
  TrialResult t;
  t.cell = cell("kill-writer");
  t.cell.index = 3;
  t.cell.seed = 42;
  t.params = t.cell.strategy.params;
  t.readers = 1;
  t.rate = 50;
  t.reader_shape = "lookup";
  t.t0_ns = 1;
  t.baseline = {1 + s_to_ns(0.25), 1 + s_to_ns(0.75)};
  t.time_limit_s = 5;
  t.load.writers.push_back({0, 25, 25, 40, 1.5, true, ""});
  t.writers_baseline.ops = 25;
  t.writers_baseline.response = {25, 1.0, 2.0, std::nullopt, std::nullopt, 3.0};
  for (int i = 0; i < 2; ++i) {
    BackupRun& b = t.backups.emplace_back();
    b.index = i;
    b.backup.strategy = "online";
    b.backup.mode = "wal";
    b.backup.duration_s = 0.125;
    b.impact = {1 + s_to_ns(1.0 + i), 1 + s_to_ns(1.125 + i)};
    b.snapshot = b.impact;
    b.wal_peak = 4096;
    b.writer_impact.writer_gaps.push_back({0, 30, 20});
    b.writer_impact.max_stall_ms = 30;
    b.writer_impact.recovery_ms = 12;
  }
  t.fault.emplace();
  t.fault->kind = "kill-writer";
  t.fault->injected = true;
  t.fault->injected_ns = 1 + s_to_ns(1.0625);
  t.fault->mid_transaction = true;
  t.source_check = FaultCheck{true, "OK", "the source holds every commit", {{"last_seq", 9}}};
  t.series = "trials/003/series.json";
  return t;
}

TEST(TrialRecord, ReadBackItIsWrittenTheSame) {
  const TrialResult t = faulted_trial();
  json j = t;
  EXPECT_FALSE(t.impact_counts());  // a fault's figures measure the fault
  EXPECT_FALSE(j["impact_counts"].get<bool>());
  EXPECT_EQ(j["row"], "wal/online@8MB/w2/host/system+kill-writer");
  EXPECT_EQ(j["axes"]["fault"], "kill-writer");
  EXPECT_EQ(json(j.get<TrialResult>()), j);
}

TEST(TrialRecord, WithoutAFaultASteadyTrialCounts) {
  TrialResult t = faulted_trial();
  t.fault.reset();
  t.cell.fault = "none";
  EXPECT_TRUE(t.impact_counts());
  t.load.steady = false;
  EXPECT_FALSE(t.impact_counts());
}

// Equal up to the nanosecond rounding of times read back (seconds -> ns -> seconds).
bool near(const json& a, const json& b, std::string& where, const std::string& at = "") {
  if (a.is_number() && b.is_number()) {
    const double x = a.get<double>(), y = b.get<double>();
    if (std::fabs(x - y) <= 1e-9 * std::max(1.0, std::fabs(x))) return true;
  } else if (a.is_object() && b.is_object() && a.size() == b.size()) {
    for (auto& [k, v] : a.items())
      if (!b.contains(k) || !near(v, b[k], where, at + "/" + k)) return false;
    return true;
  } else if (a.is_array() && b.is_array() && a.size() == b.size()) {
    for (size_t i = 0; i < a.size(); ++i)
      if (!near(a[i], b[i], where, at + "/" + std::to_string(i))) return false;
    return true;
  } else if (a == b) {
    return true;
  }
  if (where.empty()) where = at + ": " + a.dump().substr(0, 80) + " vs " + b.dump().substr(0, 80);
  return false;
}

// The fixtures written by this version (the older ones lack fields added since,
// such as workload_kinds).
TEST(TrialRecord, EveryTrialOfTheFixturesReadsBackAsWritten) {
  int read = 0;
  for (auto* f : {"report-fixture/faults/results.json", "report-fixture/shards/0/results.json",
                  "report-fixture/shards/1/results.json"}) {
    auto r = json::parse(test::read_file(test::test_data(f)));
    ASSERT_EQ(r["schema"], kResultsSchema) << f;
    for (auto t : r["trials"]) {
      if (!t.contains("holders")) t["holders"] = json::array();  // the fixtures drop them
      // Made before continuous strategies: read as none ran (results/trial_reader.cpp).
      for (auto* k : {"continuous", "wal_over_trial"})
        if (!t.contains(k)) t[k] = nullptr;
      std::string where;
      EXPECT_TRUE(near(json(t.get<TrialResult>()), t, where)) << f << " " << t["row"] << where;
      ++read;
    }
    for (auto& row : r["summary"]) EXPECT_EQ(json(row.get<SummaryRow>()), row) << f << " " << row["key"];
  }
  EXPECT_EQ(read, 11);  // 7 faulted trials, 2 + 2 in the shards
}

}  // namespace
}  // namespace bb
