// `cli-backup`: the real `sqlite3` command-line shell as an external process:
// `sqlite3 SRC ".backup 'TMP'"`, then the runner renames TMP over DEST. The shell
// steps the Online Backup API 100 pages at a time. It is run with `-init
// /dev/null` (no ~/.sqliterc) and, by default, `.timeout` so a lock held for a
// moment by a writer is waited for rather than reported as an error. It never
// checkpoints the source on close (.dbconfig no_ckpt_on_close), and a -wal and
// -shm its open created are removed after it (source_db.h): a backup leaves its
// source's files as they were.
#include <fmt/format.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "core/files.h"
#include "core/process.h"
#include "strategies/source_db.h"
#include "strategies/strategy.h"

namespace fs = std::filesystem;

namespace bb {
namespace {

// The sqlite3 shell to run: the one beside this binary, else the first on PATH;
// empty when there is none.
std::string find_sqlite3() {
  // A second build's own shell sits beside it (build/sqlite-<version>/sqlite3):
  // a run on that SQLite backs up with that SQLite's shell.
  std::error_code ec;
  const fs::path beside = fs::path(self_exe()).parent_path() / "sqlite3";
  if (fs::is_regular_file(beside, ec) && access(beside.c_str(), X_OK) == 0) return beside.string();
  const char* path = std::getenv("PATH");
  std::string p = path ? path : "/usr/local/bin:/usr/bin:/bin";
  size_t pos = 0;
  while (pos <= p.size()) {
    size_t colon = p.find(':', pos);
    std::string dir = p.substr(pos, colon == std::string::npos ? std::string::npos : colon - pos);
    pos = colon == std::string::npos ? p.size() + 1 : colon + 1;
    if (dir.empty()) dir = ".";
    std::string cand = (fs::path(dir) / "sqlite3").string();
    if (fs::is_regular_file(cand, ec) && access(cand.c_str(), X_OK) == 0) return cand;
  }
  return {};
}

// A path the shell cannot mistake for an option.
std::string shell_path(const std::string& p) { return !p.empty() && p[0] == '-' ? with_suffix("./", p) : p; }


// The shell's output on one line, for an error message.
std::string one_line(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  for (auto& c : s)
    if (c == '\n') c = ' ';
  return s.size() > 2000 ? s.substr(0, 2000) : s;
}

void run_cli_backup(BackupJob& job) {
  const std::string shell = find_sqlite3();
  if (shell.empty()) throw BackupFailure(FailureKind::kInternal, "no sqlite3 on PATH");
  const int64_t timeout_ms = job.param_int("timeout_ms");
  if (job.tmp().find('\'') != std::string::npos)
    throw BackupFailure(FailureKind::kBadInput,
                        "cli-backup: the destination path contains a single quote, which .backup cannot take");
  check_wal_source_folder(job);
  const SourceSidecars before = SourceSidecars::of(job.src);
  // .dbconfig prints the setting: sent to /dev/null so the output holds only errors.
  std::vector<std::string> args{"-batch", "-bail", "-init", "/dev/null", "-cmd", ".output /dev/null",
                                "-cmd", ".dbconfig no_ckpt_on_close on", "-cmd", ".output stdout"};
  if (timeout_ms > 0) args.insert(args.end(), {"-cmd", fmt::format(".timeout {}", timeout_ms)});
  args.push_back(shell_path(job.src));
  args.push_back(fmt::format(".backup '{}'", job.tmp()));
  job.reading();
  // Output through a pipe, not a file: on a full disk a log file would be empty.
  Captured c = run_capture(shell, args);
  job.read_done();
  try {
    if (remove_created_sidecars(job, before)) job.extra["removed_created_sidecars"] = true;
  } catch (const std::exception& e) {
    job.extra["sidecars_left"] = e.what();  // the shell's own outcome matters more
  }
  const std::string msg = one_line(c.output);
  job.extra["sqlite3"] = shell;
  // SQLite's own texts for SQLITE_FULL and SQLITE_BUSY: the shell reports
  // errors only as text.
  const bool full = msg.find(sqlite3_errstr(SQLITE_FULL)) != std::string::npos;
  const bool locked = msg.find(sqlite3_errstr(SQLITE_BUSY)) != std::string::npos;
  if (!c.status.ok()) {
    std::string why = c.status.signal ? fmt::format("sqlite3 killed by signal {}: {}", c.status.signal, msg)
                                      : fmt::format("sqlite3 exited with code {}: {}", c.status.code, msg);
    throw BackupFailure(full ? FailureKind::kDiskFull : locked ? FailureKind::kLocked : FailureKind::kInternal, why);
  }
  // The shell exits 0 even when .backup reported an error in some versions.
  if (!msg.empty()) job.extra["sqlite3_output"] = msg;
  std::error_code ec;
  if (!fs::exists(job.tmp(), ec) || fs::file_size(job.tmp(), ec) == 0)
    throw BackupFailure(full ? FailureKind::kDiskFull : FailureKind::kInternal,
                        fmt::format("sqlite3 wrote no backup: {}", msg.empty() ? "no output" : msg));
  job.step();
}

const bool registered = register_strategy({
    .name = "cli-backup",
    .description = "the sqlite3 command-line shell as an external process: sqlite3 SRC \".backup 'TMP'\"",
    .params = {{"timeout_ms", "5000", "shell busy timeout (.timeout) in milliseconds; 0 = none", {}, 0, 600'000}},
    .skip_reason = [](const std::string&, bool) { return find_sqlite3().empty() ? "no sqlite3 on PATH" : std::string(); },
    .expected_safe = [](const std::string&, const Params&) { return true; },
    .safety_note = "safe in every mode (stepped 100 pages at a time: may restart or time out under load)",
    .run = run_cli_backup,
});

}  // namespace
}  // namespace bb
