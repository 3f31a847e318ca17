// `backup-bench compare` as a CI gate, on the checked-in report fixture (a real
// quick run): a run against itself passes; a copy with one label's writer p99
// and stall inflated in every repetition fails and names the regression; bad
// input is exit 2.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "tests/test_support.h"

namespace bb {
namespace {

using test::run_bb;

std::string fixture() { return test::test_data("report-fixture"); }

TEST(CompareCli, ARunAgainstItselfPasses) {
  test::TempDir d;
  auto r = run_bb({"compare", fixture(), fixture() + "/results.json", "--json", d / "cmp.json"});
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("no regression"), std::string::npos) << r.out;
  auto j = nlohmann::json::parse(test::read_file(d / "cmp.json"));
  EXPECT_FALSE(j["regression"].get<bool>());
  EXPECT_FALSE(j["labels"].empty());
}

TEST(CompareCli, AnInflatedLabelIsARegressionByName) {
  test::TempDir d;
  auto j = nlohmann::json::parse(test::read_file(fixture() + "/results.json"));
  int changed = 0;
  for (auto& t : j["trials"])
    if (t["mode"] == "wal" && t["label"] == "vacuum-into") {
      // The label with a p99 in the fixture's baseline (compare skips a figure the
      // baseline lacks). A window with fewer than 100 commits has no p99 (null):
      // inflate its maximum instead.
      auto& during = t["writers"]["during"];
      during["p99_ms"] = (during["p99_ms"].is_number() ? during["p99_ms"] : during["max_ms"]).get<double>() * 5 + 10;
      t["writers"]["max_stall_ms"] = t["writers"]["max_stall_ms"].get<double>() * 5 + 10;
      ++changed;
    }
  ASSERT_GT(changed, 0);
  std::ofstream(d / "results.json") << j.dump();
  auto r = run_bb({"compare", fixture(), d.path(), "--json", d / "cmp.json"});
  EXPECT_EQ(r.code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("wal/vacuum-into during_p99_ms"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("wal/vacuum-into max_stall_ms"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("threshold alone"), std::string::npos) << r.out;  // the fixture has 2 repetitions
  auto c = nlohmann::json::parse(test::read_file(d / "cmp.json"));
  EXPECT_TRUE(c["regression"].get<bool>());
  // A huge threshold lets the same change through.
  EXPECT_EQ(run_bb({"compare", fixture(), d.path(), "--threshold", "100000"}).code, 0);
}

TEST(CompareCli, ALostOkVerdictIsARegression) {
  test::TempDir d;
  auto j = nlohmann::json::parse(test::read_file(fixture() + "/results.json"));
  for (auto& t : j["trials"])
    if (t["mode"] == "delete" && t["label"] == "online") t["verdict"]["status"] = "INCONSISTENT";
  std::ofstream(d / "results.json") << j.dump();
  auto r = run_bb({"compare", fixture(), d / "results.json"});
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_NE(r.out.find("delete/online verdicts"), std::string::npos) << r.out;
}

TEST(CompareCli, BadInputIsExit2) {
  test::TempDir d;
  auto missing = run_bb({"compare", d / "nope", fixture()});
  EXPECT_EQ(missing.code, 2);
  EXPECT_NE(missing.err.find("nope"), std::string::npos);
  auto empty = run_bb({"compare", d.path(), fixture()});
  EXPECT_EQ(empty.code, 2);
  EXPECT_NE(empty.err.find("results.json"), std::string::npos);
  std::ofstream(d / "x.json") << "{\"hello\": 1}";
  auto notres = run_bb({"compare", fixture(), d / "x.json"});
  EXPECT_EQ(notres.code, 2);
  EXPECT_NE(notres.err.find("not a backup-bench results file"), std::string::npos) << notres.err;
  std::ofstream(d / "junk.json") << "not json";
  EXPECT_EQ(run_bb({"compare", fixture(), d / "junk.json"}).code, 2);
}

}  // namespace
}  // namespace bb
