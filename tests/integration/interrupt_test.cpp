// Ctrl-C in the middle of a trial: the driver stops every child, removes its
// shared-memory segment, writes partial results and exits 130.
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <optional>

#include "core/clock.h"
#include "core/holders.h"
#include "core/process.h"
#include "tests/test_support.h"

namespace fs = std::filesystem;

namespace bb {
namespace {

bool segment_exists(pid_t driver) {
  std::string prefix = "backup-bench-" + std::to_string(driver) + "-";
  for (auto& e : fs::directory_iterator("/dev/shm"))
    if (e.path().filename().string().rfind(prefix, 0) == 0) return true;
  return false;
}

class Interrupt : public ::testing::TestWithParam<int> {};

TEST_P(Interrupt, StopsChildrenRemovesSegmentAndKeepsPartialResults) {
  test::TempDir d;
  std::vector<std::string> args{BB_BINARY, "run",  "--preset", "quick", "--modes", "wal",
                                "--db-mb", "1",    "--set",    "baseline_s=60", "--out", d.path()};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid;
  ASSERT_EQ(posix_spawn(&pid, BB_BINARY, nullptr, nullptr, argv.data(), environ), 0);
  // Observe (not synchronise): wait until the trial's workers hold the database.
  std::string db;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    if (fs::exists(d / "trials")) {
      for (auto& t : fs::directory_iterator(d / "trials"))
        if (fs::exists(t.path() / "db.sqlite") && segment_exists(pid) &&
            find_holders((t.path() / "db.sqlite").string()).size() >= 3)
          db = (t.path() / "db.sqlite").string();
    }
    if (!db.empty()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_FALSE(db.empty()) << "the trial never started";
  kill(pid, GetParam());
  int st = 0;
  ASSERT_EQ(waitpid(pid, &st, 0), pid);
  ASSERT_TRUE(WIFEXITED(st));
  EXPECT_EQ(WEXITSTATUS(st), 130);
  EXPECT_FALSE(segment_exists(pid));
  EXPECT_TRUE(find_holders(db).empty()) << "a worker survived the driver";
  auto r = nlohmann::json::parse(test::read_file(d / "results.json"));
  EXPECT_TRUE(r["interrupted"].get<bool>());
}

INSTANTIATE_TEST_SUITE_P(Signals, Interrupt, ::testing::Values(SIGINT, SIGTERM));

// SIGTERM in each phase of a run ends it within 1 s (the start barrier, which
// lasts milliseconds in a run, is tested on a Load: tests/driver/load_test.cpp): exit 130, results kept,
// no child, segment, database or temporary left. The phase is read from the
// run folder's `progress` file (observation, not synchronisation).
struct Phase {
  const char* name;    // test name
  const char* marker;  // what the progress line says in that phase
  const char* extra;   // scenario lines
  int64_t db_mb;
  bool fresh_cache = false;  // populate: an empty template cache
  const char* params = "{}";  // the online strategy's (backup: slow enough to be caught)
};
void PrintTo(const Phase& p, std::ostream* os) { *os << p.name; }

std::vector<pid_t> children_mentioning(const std::string& marker) {
  std::vector<pid_t> out;
  for (auto& e : fs::directory_iterator("/proc")) {
    const std::string name = e.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::string cmd = test::read_file(e.path().string() + "/cmdline");
    std::replace(cmd.begin(), cmd.end(), '\0', ' ');
    if (cmd.find(marker) != std::string::npos && pid_t(std::stol(name)) != getpid()) out.push_back(pid_t(std::stol(name)));
  }
  return out;
}

class InterruptPhase : public ::testing::TestWithParam<Phase> {};

TEST_P(InterruptPhase, SigtermEndsTheRunWithinOneSecond) {
  const Phase& p = GetParam();
  test::TempDir d, cache;
  const std::string out = d / "run";
  std::ofstream(d / "s.toml") << fmt::format(
      "[global]\nmodes = [\"wal\"]\ndb_mb = [{}]\nwriters = [2]\nreaders = 1\n{}\nreader_rate = 10\n"
      "warmup_s = 2\nbaseline_s = 2\ncooldown_s = 2\nbackup_timeout_s = 30\n{}\n"
      "[[strategy]]\nname = \"online\"\nlabel = \"online\"\nparams = {}\n",
      p.db_mb, std::string(p.extra).find("rate") == std::string::npos ? "rate = 20" : "", p.extra, p.params);
  std::string cmd = fmt::format("{}exec {} run --scenario {} --out {} >{} 2>&1",
                                p.fresh_cache ? "BB_CACHE_DIR=" + test::sh_quote(cache.path()) + " " : "", BB_BINARY,
                                test::sh_quote(d / "s.toml"), test::sh_quote(out), test::sh_quote(d / "log"));
  pid_t run = spawn("/bin/sh", {"-c", cmd});
  const int64_t give_up = now_ns() + s_to_ns(120);
  std::string seen;
  std::optional<ExitStatus> ex;
  while (now_ns() < give_up && !(ex = try_wait(run))) {
    seen = test::read_file(out + "/progress");
    if (seen.find(p.marker) != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ASSERT_FALSE(ex) << "the run ended before " << p.marker << ": " << test::read_file(d / "log");
  ASSERT_NE(seen.find(p.marker), std::string::npos) << seen;
  const int64_t sent = now_ns();
  kill(run, SIGTERM);
  while (!(ex = try_wait(run)) && now_ns() < sent + s_to_ns(10)) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  const double took = ns_to_s(now_ns() - sent);
  if (!ex) ex = kill_and_wait(run);
  const std::string log = test::read_file(d / "log");
  EXPECT_LT(took, 1.0) << "SIGTERM in phase '" << seen << "' took " << took << " s: " << log;
  EXPECT_EQ(ex->code, 130) << log;
  auto r = nlohmann::json::parse(test::read_file(out + "/results.json"), nullptr, false);
  ASSERT_FALSE(r.is_discarded()) << log;
  EXPECT_TRUE(r["interrupted"].get<bool>());
  EXPECT_TRUE(children_mentioning(out + "/").empty()) << "a child outlived the driver";
  EXPECT_FALSE(segment_exists(run));
  std::error_code ec;
  for (auto& e : fs::recursive_directory_iterator(out, ec)) {
    const std::string n = e.path().filename().string();
    EXPECT_TRUE(n.find(".partial-") == std::string::npos && n.rfind("db.sqlite", 0) != 0 && n.rfind("snapshot", 0) != 0)
        << e.path();
  }
  for (auto& e : fs::directory_iterator(cache.path(), ec))
    EXPECT_EQ(e.path().string().find(".partial-"), std::string::npos) << e.path();
}

INSTANTIATE_TEST_SUITE_P(
    Phases, InterruptPhase,
    ::testing::Values(Phase{"populate", "preparing the database", "", 400, true},
                      Phase{"probe", "probing capacity", "rate = \"auto\"\nprobe_s = 5", 8},
                      Phase{"warmup", "warm-up", "", 8}, Phase{"baseline", "baseline", "", 8},
                      Phase{"backup", "backup online", "", 8, false, "{ pages = \"1\", sleep_ms = \"2\" }"}, Phase{"cooldown", "cool-down", "", 8},
                      // The exit deletes the trial database and the snapshot: on ext4
                      // mounted with `discard` that is about 0.13 s per 300 MB idle and
                      // several times that beside other tests' I/O (a 2 x 300 MB case took
                      // 1.25 s in CI). 150 MB still validates for about half a second.
                      Phase{"validate", "validating", "", 150}),
    [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace bb
