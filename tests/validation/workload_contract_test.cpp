// The validator reports `integrity`, the checks a workload declares, and `fresh`
// -- nothing else -- for every registered workload; `validate --workload auto`
// recognises the workload from the schema and says which it used.
#include <set>

#include "tests/validation/validation_support.h"

namespace bb::vtest {
namespace {

std::set<std::string> keys(const nlohmann::json& o) {
  std::set<std::string> k;
  for (auto& [name, _] : o.items()) k.insert(name);
  return k;
}

std::set<std::string> expected_keys(const std::vector<std::string>& declared) {
  std::set<std::string> k{"integrity", "fresh"};
  k.insert(declared.begin(), declared.end());
  return k;
}

// A small database of workload `name` with a few committed transactions.
int64_t build(const std::string& name, const std::string& path) {
  auto w = find_workload(name)->make();
  Db db(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  w->populate(db, {128 << 10, 1});
  auto tx = w->writer(db, 0);
  Rng rng(3);
  int64_t last = 0;
  for (int i = 0; i < 5; ++i) last = tx->run(rng);
  return last;
}

TEST(WorkloadContract, ReportedChecksAreExactlyTheDeclaredOnes) {
  ASSERT_GE(workloads().size(), 4u);
  for (auto& info : workloads()) {
    SCOPED_TRACE(info.name);
    test::TempDir d;
    int64_t last = build(info.name, d / "w.db");
    auto declared = info.make()->checks();
    ASSERT_FALSE(declared.empty());
    auto j = expect_verdict(d / "w.db", Expect("OK").workload(info.name).min(last).max(last).seq(last));
    EXPECT_EQ(keys(j["checks"]), expected_keys(declared)) << j["checks"].dump();
    for (auto& k : declared) EXPECT_EQ(j["checks"][k], true) << k;
    EXPECT_EQ(j["workload"], info.name);
    EXPECT_EQ(j["workload_source"], "given");
    // Recognised from the schema: the workload that owns it (bulk shares the
    // ledger's), with that workload's checks.
    Verdict v = validate_snapshot(d / "w.db", "auto", {last, last});
    EXPECT_EQ(to_string(v.status), "OK") << v.detail;
    EXPECT_EQ(v.workload_source, "detected");
    EXPECT_EQ(v.workload, info.schema_marker.empty() ? "ledger" : info.name);
    EXPECT_EQ(keys(v.checks), expected_keys(find_workload(v.workload)->make()->checks())) << v.checks.dump();
    // A verdict with no snapshot names the same checks, all null.
    Verdict none = no_snapshot(VerdictStatus::kFailed, "no snapshot", declared);
    EXPECT_EQ(keys(to_json(none)["checks"]), expected_keys(declared));
    for (auto& [k, val] : none.checks.items()) EXPECT_TRUE(val.is_null()) << k;
  }
  EXPECT_EQ(keys(no_snapshot(VerdictStatus::kSkipped, "why").checks), expected_keys({}));
}

// The ledger's names are the contract's results.json fields (product.md).
TEST(WorkloadContract, LedgerChecksAreTheProductsNames) {
  EXPECT_EQ(keys(no_snapshot(VerdictStatus::kFailed, "x", find_workload("ledger")->make()->checks()).checks),
            (std::set<std::string>{"integrity", "balance_sum", "seq_gapless", "replay", "fresh"}));
}

// Another application's database: integrity only, and the output says so.
TEST(WorkloadDetection, ChinookIsIntegrityOnlyAndSaysSo) {
  std::string chinook = test::test_data("chinook.sqlite");
  std::string before = test::read_file(chinook);
  auto r = run_validate({chinook});
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["status"], "OK");
  EXPECT_EQ(j["workload"], "none");
  EXPECT_EQ(j["workload_source"], "none: no workload's tables found");
  EXPECT_EQ(j["checks"], (nlohmann::json{{"integrity", "ok"}, {"fresh", nullptr}}));
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_NE(r.err.find("no workload's tables found: integrity only"), std::string::npos) << r.err;
  EXPECT_EQ(test::read_file(chinook), before);
}

TEST(WorkloadDetection, LedgerIsRecognisedAndGivenNamesStillWork) {
  test::TempDir d;
  build_ledger(d / "l.db", 20);
  auto r = run_validate({"--committed-min", "20", d / "l.db"});
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["workload"], "ledger");
  EXPECT_EQ(j["workload_source"], "detected");
  EXPECT_EQ(j["checks"]["replay"], true);
  EXPECT_EQ(j["checks"]["fresh"], true);
  EXPECT_NE(r.err.find("workload ledger, recognised from the snapshot's schema"), std::string::npos) << r.err;
  // Given explicitly: no line on stderr, and the given workload is checked.
  r = run_validate({"--workload", "append", d / "l.db"});
  EXPECT_EQ(r.code, 1) << r.out << r.err;
  EXPECT_EQ(r.err, "");
  j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["status"], "INCONSISTENT");
  EXPECT_EQ(j["workload_source"], "given");
  EXPECT_EQ(keys(j["checks"]), expected_keys(find_workload("append")->make()->checks()));
}

}  // namespace
}  // namespace bb::vtest
