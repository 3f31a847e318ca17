// A child's memory is its own only once it has exec'd: between fork and exec it
// shows this process's pages (shared copy-on-write). memory_of_child() skips
// it until then; memory_of() reads any process.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "core/proc_memory.h"

namespace bb {
namespace {

struct Child {
  pid_t pid;
  ~Child() {
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
  }
};

TEST(ProcMemory, AChildIsReadOnlyAfterItExecd) {
  Child forked{fork()};
  ASSERT_GE(forked.pid, 0);
  if (forked.pid == 0) {
    for (;;) pause();  // never execs
  }
  ASSERT_TRUE(memory_of(forked.pid).has_value());
  EXPECT_FALSE(memory_of_child(forked.pid).has_value()) << "a forked child showed the parent's pages as its own";

  Child execd{fork()};
  ASSERT_GE(execd.pid, 0);
  if (execd.pid == 0) {
    execl("/bin/sleep", "sleep", "30", static_cast<char*>(nullptr));
    _exit(127);
  }
  bool seen = false;
  for (auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
       !seen && std::chrono::steady_clock::now() < deadline; std::this_thread::sleep_for(std::chrono::milliseconds(5)))
    seen = memory_of_child(execd.pid).has_value();
  EXPECT_TRUE(seen) << "an exec'd child was never read";
}

}  // namespace
}  // namespace bb
