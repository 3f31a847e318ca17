// Helpers shared by the tests: temporary folders, running the real binary,
// building small databases.
#pragma once
#include <string>
#include <vector>

namespace bb::test {

struct CmdResult {
  int code = -1;
  std::string out, err;
};

// Quotes a word for /bin/sh.
std::string sh_quote(const std::string& s);

// Runs backup-bench (the built binary) with `args`; captures stdout and stderr.
CmdResult run_bb(const std::vector<std::string>& args);
// Runs any command line through /bin/sh.
CmdResult run_sh(const std::string& cmd);

// A fresh temporary folder, removed by the destructor.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

std::string test_data(const std::string& name);

// A writer that crashes: a child process commits `commits` rows of 4000 random
// bytes into table t(v) of the WAL database at `path` with checkpoints off, then
// SIGKILLs itself with its connection open, so those commits live only in the
// -wal. Fails the calling test (gtest assertions) when it did not go so.
void crash_a_writer(const std::string& path, int commits);
std::string read_file(const std::string& path);

}  // namespace bb::test
