// The run record is written and read by one type: what one writes, the other
// reads back, and a run under way says so.
#include "results/run_record.h"

#include <gtest/gtest.h>

namespace bb {
namespace {

RunRecord a_record() {
  RunRecord r;
  r.tool = {{"name", "backup-bench"}, {"version", "1.2.3"}};
  r.sqlite_version = "3.40.1";
  r.started_at = "2026-12-04T08:00:00Z";
  r.command_line = "backup-bench run --preset quick";
  r.host = {{"cpus", 2}};
  r.scenario = {{"name", "quick"}};
  r.shard_k = 1;
  r.shard_n = 3;
  r.cells_total = 12;
  r.rates_from = "runs/earlier";
  r.trials.push_back({{"mode", "wal"}});
  return r;
}

TEST(RunRecord, AnUnfinishedRunIsPartialWithoutASummary) {
  nlohmann::json j = a_record();
  EXPECT_EQ(j["partial"], true);
  EXPECT_FALSE(j.contains("summary"));
  EXPECT_FALSE(j.contains("finished_at"));
  EXPECT_EQ(j["schema"], kResultsSchema);
  EXPECT_EQ(j["shard"], (nlohmann::json{{"k", 1}, {"n", 3}}));
  EXPECT_FALSE(j.get<RunRecord>().finished());
}

TEST(RunRecord, WhatIsWrittenIsReadBack) {
  RunRecord r = a_record();
  r.summary = nlohmann::json::array({{{"mode", "wal"}}});
  r.population = {{"templates_built", 1}};
  r.interrupted = true;
  r.finished_at = "2026-12-04T08:01:00Z";
  const nlohmann::json j = r;
  EXPECT_FALSE(j.contains("partial"));
  const RunRecord back = j.get<RunRecord>();
  EXPECT_TRUE(back.finished());
  EXPECT_EQ(nlohmann::json(back), j);
  EXPECT_EQ(back.rates_from, "runs/earlier");
  EXPECT_TRUE(back.interrupted);
}

TEST(RunRecord, AMissingRequiredFieldIsNamed) {
  nlohmann::json j = a_record();
  j.erase("sqlite_version");
  try {
    (void)j.get<RunRecord>();
    FAIL() << "read a record without sqlite_version";
  } catch (const nlohmann::json::exception& e) {
    EXPECT_NE(std::string(e.what()).find("sqlite_version"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace bb
