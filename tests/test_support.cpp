// Test helpers.
#include "tests/test_support.h"

#include <gtest/gtest.h>
#include <signal.h>

#include <fmt/format.h>
#include <stdlib.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>


#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/sqlite_db.h"

namespace fs = std::filesystem;

namespace bb::test {

std::string sh_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) {
    if (c == '\'')
      q.append("'\\''");
    else
      q.push_back(c);
  }
  q.push_back('\'');
  return q;
}

CmdResult run_sh(const std::string& cmd) {
  TempDir t;
  std::string full = fmt::format("{} >{} 2>{} </dev/null", cmd, t / "out", t / "err");
  int st = system(full.c_str());
  CmdResult r;
  r.code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  r.out = read_file(t / "out");
  r.err = read_file(t / "err");
  return r;
}

CmdResult run_bb(const std::vector<std::string>& args) {
  std::string cmd = sh_quote(BB_BINARY);
  for (auto& a : args) cmd += " " + sh_quote(a);
  return run_sh(cmd);
}

TempDir::TempDir() {
  std::string tmpl = (fs::temp_directory_path() / "bbtest-XXXXXX").string();
  path_ = mkdtemp(tmpl.data());
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

std::string test_data(const std::string& name) { return std::string(BB_TEST_DATA) + "/" + name; }

std::string read_file(const std::string& path) {
  // Plain read(2): /proc/PID files of a process that just exited fail with
  // ESRCH, which a stream turns into an exception; here they read as empty.
  std::string out;
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return out;
  char buf[8192];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) out.append(buf, size_t(n));
  close(fd);
  return out;
}

void crash_a_writer(const std::string& path, int commits) {
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    try {
      Db db(path, SQLITE_OPEN_READWRITE);
      db.exec("PRAGMA wal_autocheckpoint = 0");
      for (int i = 0; i < commits; ++i) db.exec("INSERT INTO t(v) VALUES (randomblob(4000))");
      kill(getpid(), SIGKILL);  // with the connection open: no close, no checkpoint
    } catch (...) {
      _exit(1);
    }
    _exit(2);
  }
  int st = 0;
  ASSERT_EQ(waitpid(pid, &st, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL) << "the writer did not die by SIGKILL";
}

}  // namespace bb::test
