// The load's start barrier: bounded and interruptible, whatever its workers do.
// The workers here are stand-ins (a shell script in place of the binary), so
// each case is exact: one that never arrives, one that dies on the way.
#include "driver/load.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "core/clock.h"
#include "core/interrupt.h"
#include "tests/test_support.h"

namespace fs = std::filesystem;

namespace bb {
namespace {

// A stand-in worker: `body` as a shell script, given the worker's arguments.
std::string stand_in(const test::TempDir& d, const std::string& body) {
  const std::string path = d / "worker.sh";
  std::ofstream(path) << "#!/bin/sh\n" << body << "\n";
  fs::permissions(path, fs::perms::owner_all);
  return path;
}

LoadSpec spec_for(const test::TempDir& d, const std::string& exe) {
  LoadSpec s;
  s.exe = exe;
  s.db = d / "db.sqlite";
  s.samples_dir = d.path();
  return s;
}

int processes_running(const std::string& exe) {
  int n = 0;
  for (auto& e : fs::directory_iterator("/proc")) {
    const std::string name = e.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    if (test::read_file(e.path().string() + "/cmdline").find(exe) != std::string::npos) ++n;
  }
  return n;
}

TEST(LoadBarrier, SigtermWhileAWorkerNeverArrivesEndsItWithinASecondAndKillsTheWorkers) {
  test::TempDir d;
  const std::string exe = stand_in(d, "exec sleep 600");
  install_interrupt_handler();
  std::thread signaller([] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    kill(getpid(), SIGTERM);
  });
  const int64_t t0 = now_ns();
  EXPECT_THROW(Load load(spec_for(d, exe)), Interrupted);
  const double took = ns_to_s(now_ns() - t0);
  signaller.join();
  g_interrupted = 0;
  signal(SIGTERM, SIG_DFL);
  signal(SIGINT, SIG_DFL);
  EXPECT_LT(took, 1.3) << "SIGTERM came at 0.3 s";
  EXPECT_EQ(processes_running(exe), 0) << "a worker outlived the failed start";
}

TEST(LoadBarrier, AWorkerThatDiesBeforeArrivingIsAHarnessErrorNamingIt) {
  test::TempDir d;
  const std::string exe = stand_in(d, "exit 7");
  const int64_t t0 = now_ns();
  try {
    Load load(spec_for(d, exe));
    FAIL() << "the load started without its workers";
  } catch (const HarnessError& e) {
    EXPECT_NE(std::string(e.what()).find("exited with code 7"), std::string::npos) << e.what();
  }
  EXPECT_LT(ns_to_s(now_ns() - t0), 5.0);
  EXPECT_EQ(processes_running(exe), 0);
}

}  // namespace
}  // namespace bb
