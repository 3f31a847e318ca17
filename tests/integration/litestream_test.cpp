// The litestream strategy in real trials (docs/litestream.md): the replicator
// runs beside the load and its restore is a consistent copy; killing it
// mid-run (kill-backup) still restores a consistent copy, older by more; it is
// skipped with its reason in rollback mode; and no litestream process outlives
// the driver, however the driver ends.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "core/process.h"
#include "strategies/strategy.h"
#include "tests/test_support.h"

namespace fs = std::filesystem;

namespace bb {
namespace {

std::string litestream_missing() {
  const StrategyInfo* s = find_strategy("litestream");
  return s ? s->skip_reason("wal", true) : "no litestream strategy";
}

// litestream processes whose command line mentions `text` (our run folder): a
// litestream left behind would name its configuration there.
std::vector<pid_t> processes_naming(const std::string& text) {
  std::vector<pid_t> out;
  std::error_code ec;
  for (auto& e : fs::directory_iterator("/proc", ec)) {
    const std::string name = e.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream in(e.path() / "cmdline", std::ios::binary);
    std::string cmd((std::istreambuf_iterator<char>(in)), {});
    const std::string exe = cmd.substr(0, cmd.find('\0'));  // argv[0]: the program, not an argument
    if (cmd.find(text) != std::string::npos && fs::path(exe).filename() == "litestream")
      out.push_back(std::stoi(name));
  }
  return out;
}

// Observes (a test may poll): until no process names `text`, at most 5 s.
bool none_left(const std::string& text) {
  for (int i = 0; i < 250; ++i) {
    if (processes_naming(text).empty()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

std::string scenario(const test::TempDir& d, const std::string& extra) {
  const std::string path = d / "litestream.toml";
  std::ofstream(path) << fmt::format(R"([global]
modes = ["wal", "delete"]
db_mb = [4]
writers = [2]
readers = 1
rate = 50
reader_rate = 10
repeat = 1
warmup_s = 0.3
baseline_s = 2.5
backup_timeout_s = 10
cooldown_s = 0.2
{}

[[strategy]]
name = "litestream"
params = {{ sync_interval_ms = "100" }}
)",
                                     extra);
  return path;
}

TEST(Litestream, AKilledReplicatorStillRestoresAConsistentCopyWithALargerRecoveryPoint) {
  if (auto why = litestream_missing(); !why.empty()) GTEST_SKIP() << why;
  test::TempDir d;
  const std::string out = d / "run";
  auto r = test::run_bb({"run", "--scenario", scenario(d, "faults = [\"none\", \"kill-backup\"]\nfault_delay_ms = 100"),
                         "--out", out});
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  auto j = nlohmann::json::parse(test::read_file(out + "/results.json"));
  const nlohmann::json *calm = nullptr, *killed = nullptr;
  for (auto& t : j["trials"]) {
    SCOPED_TRACE(t["mode"].dump() + " " + t["fault"].dump());
    EXPECT_TRUE(t["harness_error"].is_null());
    if (t["mode"] == "delete") {
      // Rollback mode: skipped, with the reason.
      EXPECT_EQ(t["backup"]["status"], "skipped");
      EXPECT_NE(t["backup"]["error"].get<std::string>().find("WAL mode"), std::string::npos);
      continue;
    }
    EXPECT_EQ(t["verdict"]["status"], "OK") << t["verdict"]["detail"];
    ASSERT_TRUE(t["continuous"].is_object());
    ASSERT_TRUE(t["continuous"]["recovery_point"].is_object()) << t["continuous"].dump();
    (t["fault"].is_null() ? calm : killed) = &t;
  }
  ASSERT_TRUE(calm && killed);
  const auto& f = (*killed)["fault"];
  EXPECT_TRUE(f["injected"].get<bool>()) << f["detail"];
  EXPECT_NE(f["target"].get<std::string>().find("litestream replicate"), std::string::npos);
  EXPECT_EQ((*killed)["continuous"]["ended"], "killed by the nemesis (SIGKILL)");
  EXPECT_TRUE((*killed)["outcome_check"]["ok"].get<bool>()) << (*killed)["outcome_check"]["detail"];
  EXPECT_TRUE((*killed)["source_check"]["ok"].get<bool>()) << (*killed)["source_check"]["detail"];
  // Replicating every 100 ms, the calm copy lacks little; the killed one lacks
  // everything committed since the kill, 2.4 s before the restore (Litestream
  // looks at the WAL every second: the calm copy lacks at most about that).
  const auto& rc = (*calm)["continuous"]["recovery_point"];
  const auto& rk = (*killed)["continuous"]["recovery_point"];
  EXPECT_GT(rk["missing_tx"].get<int64_t>(), rc["missing_tx"].get<int64_t>()) << rc << rk;
  EXPECT_GT(rk["age_ms"].get<double>(), rc["age_ms"].get<double>()) << rc << rk;
  // The copy is exactly the transactions committed before the kill, give or
  // take what the replicator had not yet copied: never one committed after it.
  EXPECT_LT(rk["snapshot_seq"].get<int64_t>(), rk["committed_before_restore"].get<int64_t>());
  // The summary has the figures; the calm row measures its cost.
  bool row = false;
  for (auto& s : j["summary"])
    if (s["mode"] == "wal" && s["fault"] == "none") {
      ASSERT_TRUE(s["continuous"].is_object());
      EXPECT_EQ(s["continuous"]["recovery_point_tx"]["n"], 1);
      row = true;
    }
  EXPECT_TRUE(row);
  EXPECT_TRUE(processes_naming(out).empty());
  // Nothing of the replicator is left in the trial folders but its log.
  for (auto& t : fs::recursive_directory_iterator(out + "/trials")) {
    const std::string n = t.path().filename().string();
    EXPECT_TRUE(n != "replica" && n != ".db.sqlite-litestream" && n != "db.sqlite-litestream.yml") << t.path();
  }
}

TEST(Litestream, ItsCostIsWithheldWithoutAnotherStrategyInTheCell) {
  if (auto why = litestream_missing(); !why.empty()) GTEST_SKIP() << why;
  test::TempDir d;
  const std::string out = d / "run";
  auto r = test::run_bb({"run", "--scenario", scenario(d, ""), "--modes", "wal", "--out", out});
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  auto j = nlohmann::json::parse(test::read_file(out + "/results.json"));
  const auto& cost = j["summary"][0]["continuous"]["cost"];
  EXPECT_TRUE(cost["without"]["p99_ms"].is_null());
  EXPECT_TRUE(cost["p99_delta_ms"].is_null());
  EXPECT_NE(cost["withheld"].get<std::string>().find("no steady trial without"), std::string::npos);
}

// The driver dies during the load: SIGINT unwinds (exit 130), SIGKILL cannot,
// and the replicator dies with it either way (it is tied to the driver).
class LitestreamDriverDeath : public ::testing::TestWithParam<int> {};

TEST_P(LitestreamDriverDeath, LeavesNoReplicatorBehind) {
  if (auto why = litestream_missing(); !why.empty()) GTEST_SKIP() << why;
  test::TempDir d;
  const std::string out = d / "run";
  pid_t pid = spawn(BB_BINARY, {"run", "--scenario", scenario(d, ""), "--modes", "wal", "--set", "baseline_s=60",
                                "--out", out},
                    {.stdout_path = d / "run.log", .stderr_too = true, .die_with_parent = true});
  // Observe: until the load runs (the progress file says baseline) beside the replicator.
  bool seen = false;
  for (int i = 0; i < 1500 && !seen; ++i) {
    seen = fs::exists(out + "/progress") && test::read_file(out + "/progress").find("baseline") != std::string::npos &&
           !processes_naming(out).empty();
    if (!seen) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_TRUE(seen) << test::read_file(d / "run.log");
  const auto t0 = std::chrono::steady_clock::now();
  kill(pid, GetParam());
  const ExitStatus ex = wait_for(pid);
  if (GetParam() == SIGINT) {
    EXPECT_EQ(ex.code, 130) << test::read_file(d / "run.log");
    EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
  }
  EXPECT_TRUE(none_left(out)) << "a litestream process outlived the driver";
  if (GetParam() == SIGKILL) {
    // The next run cleans what the killed one left: the replica, the config, the metadata.
    auto r2 = test::run_bb({"run", "--scenario", scenario(d, ""), "--modes", "delete", "--out", d / "next"});
    EXPECT_EQ(r2.code, 0) << r2.out << r2.err;
    for (auto& t : fs::recursive_directory_iterator(out + "/trials")) {
      const std::string n = t.path().filename().string();
      EXPECT_TRUE(n != "replica" && n != ".db.sqlite-litestream" && n != "db.sqlite-litestream.yml") << t.path();
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Signals, LitestreamDriverDeath, ::testing::Values(SIGINT, SIGKILL));

}  // namespace
}  // namespace bb
