// Every strategy in a real trial (`run --preset quick --strategies all`): the run
// completes without a finding, a strategy expected to be safe in a mode gives an
// OK snapshot there, the unsafe ones still produce a snapshot for the validator
// to judge, and a strategy is skipped only where its skip_reason says so.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "strategies/strategy.h"
#include "tests/test_support.h"

namespace bb {
namespace {

TEST(StrategiesTrial, QuickPresetWithEveryStrategy) {
  test::TempDir d;
  auto r = test::run_bb({"run", "--preset", "quick", "--strategies", "all", "--repeat", "1", "--out", d.path()});
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  std::cout << r.out;  // the summary table, for whoever reads the test log
  auto j = nlohmann::json::parse(test::read_file(d / "results.json"));
  ASSERT_EQ(j["trials"].size(), 2 * strategies().size());
  for (auto& t : j["trials"]) {
    const std::string mode = t["mode"], name = t["strategy"];
    const std::string verdict = t["verdict"]["status"], status = t["backup"]["status"];
    SCOPED_TRACE(mode + " " + name + ": " + status + " / " + verdict + ": " + t["verdict"]["detail"].dump());
    const StrategyInfo* info = find_strategy(name);
    ASSERT_NE(info, nullptr);
    // The trial's database and snapshot live in the run folder's filesystem.
    const std::string why = skip_reason_for(*info, mode, true, d / "db.sqlite", d / "snapshot.db");
    if (!why.empty()) {
      EXPECT_EQ(status, "skipped");
      EXPECT_EQ(verdict, "SKIPPED");
      continue;
    }
    EXPECT_EQ(t["expected_safe"].get<bool>(), info->expected_safe(mode, resolve_params(*info, {})));
    if (!t["expected_safe"].get<bool>()) {
      // The unsafe ones are judged by the validator; they must still produce a snapshot.
      EXPECT_EQ(status, "completed");
      EXPECT_NE(verdict, "FAILED");
      continue;
    }
    // The sqlite3 shell's .backup gives up at the first SQLITE_BUSY of a step
    // (it has no retry loop), which a rollback-mode database under write load
    // returns sooner or later; in WAL mode it copies 100 pages a step and
    // restarts after every foreign commit, so under a few hundred commits a
    // second it never finishes. A failed or timed-out backup, no snapshot -- not
    // an unsafe one, and the reason says which.
    if (name == "cli-backup" && (status == "failed" || status == "timeout")) {
      const std::string err = t["backup"]["error"].get<std::string>();
      if (status == "failed") EXPECT_NE(err.find("locked"), std::string::npos) << err;
      else EXPECT_NE(err.find("time limit"), std::string::npos) << err;
      continue;
    }
    // Python's backup() commits its destination with the library's default
    // synchronous=FULL (fsyncs) before it lets go of the source, so in a
    // rollback mode writers wait behind those fsyncs, and on a disk whose
    // fsyncs take seconds it may run past the quick preset's 5 s limit: no
    // snapshot, for that reason.
    if (name == "python-backup" && mode != "wal" && status == "timeout") {
      EXPECT_NE(t["backup"]["error"].get<std::string>().find("time limit"), std::string::npos);
      continue;
    }
    EXPECT_EQ(status, "completed");
    EXPECT_EQ(verdict, "OK");
  }
}

}  // namespace
}  // namespace bb
