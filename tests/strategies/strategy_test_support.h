// Helpers for the strategy tests: databases in several shapes, sqldiff, a
// holder process that keeps committed frames in a -wal.
#pragma once
#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "tests/test_support.h"
#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "core/sqlite_db.h"

namespace bb::test {

// `sqldiff A B`: empty output means logically identical.
CmdResult sqldiff(const std::string& a, const std::string& b);
// PRAGMA integrity_check of a file ("ok" when sound).
std::string integrity(const std::string& path);
// A copy of chinook at `path` with the given page size and journal mode.
void make_chinook(const std::string& path, int page_size, const std::string& mode);
// A hash of a file's bytes (checks that a source is untouched).
uint64_t file_hash(const std::string& path);
// The JSON outcome of `backup` (stdout), or a null value.
std::string outcome_status(const CmdResult& r);

// A `sqlite3` shell holding a database open, driven through pipes: run() sends
// SQL and waits until the shell has answered a marker line, so the caller knows
// the statements are done. The shell stays alive (connection open) until
// finish() closes its stdin.
class ShellHolder {
 public:
  explicit ShellHolder(const std::string& db);
  ~ShellHolder();
  ShellHolder(const ShellHolder&) = delete;
  ShellHolder& operator=(const ShellHolder&) = delete;
  // Sends `sql` and returns the shell's output up to the marker.
  std::string run(const std::string& sql);
  void finish();
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  int to_ = -1, from_ = -1;
  std::string buffered_;
  int marker_ = 0;
};

// ---- definitions (header-only: tests/CMakeLists.txt globs *_test.cpp only) ----

namespace fs_ = std::filesystem;



inline CmdResult sqldiff(const std::string& a, const std::string& b) {
  return run_sh(fmt::format("sqldiff {} {}", sh_quote(a), sh_quote(b)));
}

inline std::string integrity(const std::string& path) {
  Db db(path, SQLITE_OPEN_READWRITE);
  return db.query_text("PRAGMA integrity_check");
}

inline void make_chinook(const std::string& path, int page_size, const std::string& mode) {
  fs_::copy_file(test_data("chinook.sqlite"), path, fs_::copy_options::overwrite_existing);
  Db db(path, SQLITE_OPEN_READWRITE);
  db.exec(fmt::format("PRAGMA page_size = {}; VACUUM", page_size));
  if (db.query_int("PRAGMA page_size") != page_size) throw std::runtime_error("page_size did not change");
  db.query_text(fmt::format("PRAGMA journal_mode = {}", mode));
  if (journal_mode(db) != mode) throw std::runtime_error("journal_mode did not change");
}

inline uint64_t file_hash(const std::string& path) {
  std::string s = read_file(path);
  uint64_t h = 1469598103934665603ull;  // FNV-1a
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  return h ^ s.size();
}

inline std::string outcome_status(const CmdResult& r) {
  try {
    return nlohmann::json::parse(r.out).value("status", "");
  } catch (const std::exception&) {
    return "";
  }
}

inline ShellHolder::ShellHolder(const std::string& db) {
  int in[2], out[2];
  if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0) throw std::runtime_error("pipe");
  std::vector<std::string> args{"sqlite3", "-batch", "-init", "/dev/null", db};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_ = fork();  // no SQLite connection is open in this test process now; the child execs
  if (pid_ < 0) throw std::runtime_error("fork");
  if (pid_ == 0) {
    dup2(in[0], 0);
    dup2(out[1], 1);
    dup2(out[1], 2);
    execvp("sqlite3", argv.data());
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  to_ = in[1];
  from_ = out[0];
}

inline ShellHolder::~ShellHolder() {
  finish();
  if (from_ >= 0) close(from_);
}

inline std::string ShellHolder::run(const std::string& sql) {
  const std::string marker = fmt::format("bb-marker-{}", ++marker_);
  std::string cmd = fmt::format("{}\nSELECT '{}';\n", sql, marker);
  for (size_t off = 0; off < cmd.size();) {
    ssize_t n = write(to_, cmd.data() + off, cmd.size() - off);
    if (n < 0) throw std::runtime_error(fmt::format("write to sqlite3: {}", strerror(errno)));
    off += size_t(n);
  }
  // Blocks on the pipe until the shell prints the marker: it has run everything before.
  while (true) {
    auto at = buffered_.find(marker + "\n");
    if (at != std::string::npos) {
      std::string got = buffered_.substr(0, at);
      buffered_.erase(0, at + marker.size() + 1);
      return got;
    }
    char buf[4096];
    ssize_t n = read(from_, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw std::runtime_error("sqlite3 holder exited: " + buffered_);
    buffered_.append(buf, size_t(n));
  }
}

inline void ShellHolder::finish() {
  if (to_ >= 0) {
    close(to_);  // EOF: the shell closes its connection and exits
    to_ = -1;
  }
  if (pid_ > 0) {
    int st;
    while (waitpid(pid_, &st, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
  }
}

}  // namespace bb::test
