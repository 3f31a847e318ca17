// `cli-backup`: the real `sqlite3` command-line shell as an external process:
// `sqlite3 SRC ".backup 'TMP'"`, then AtomicDest renames TMP over DEST. The shell
// steps the Online Backup API 100 pages at a time. It is run with `-init
// /dev/null` (no ~/.sqliterc) and, by default, `.timeout` so a lock held for a
// moment by a writer is waited for rather than reported as an error.
#include <fmt/format.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include "harness/clock.h"
#include "harness/process.h"
#include "strategies/atomic_dest.h"
#include "strategies/strategy.h"
#include "strategies/strategy_util.h"

namespace fs = std::filesystem;

namespace bb {
namespace {

// The first executable `sqlite3` on PATH; empty when there is none.
std::string find_sqlite3() {
  const char* path = std::getenv("PATH");
  std::string p = path ? path : "/usr/local/bin:/usr/bin:/bin";
  size_t pos = 0;
  while (pos <= p.size()) {
    size_t colon = p.find(':', pos);
    std::string dir = p.substr(pos, colon == std::string::npos ? std::string::npos : colon - pos);
    pos = colon == std::string::npos ? p.size() + 1 : colon + 1;
    if (dir.empty()) dir = ".";
    std::string cand = (fs::path(dir) / "sqlite3").string();
    std::error_code ec;
    if (fs::is_regular_file(cand, ec) && access(cand.c_str(), X_OK) == 0) return cand;
  }
  return {};
}

// A path the shell cannot mistake for an option.
std::string shell_path(const std::string& p) { return !p.empty() && p[0] == '-' ? with_suffix("./", p) : p; }


std::string slurp_trimmed(const std::string& path) {
  std::string s;
  if (FILE* f = fopen(path.c_str(), "r")) {
    char buf[512];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0 && s.size() < 4000) s.append(buf, n);
    fclose(f);
  }
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  for (auto& c : s)
    if (c == '\n') c = ' ';
  return s;
}

BackupOutcome run_cli_backup(const BackupRequest& req) {
  BackupOutcome out;
  auto& prog = *req.progress;
  const std::string shell = find_sqlite3();
  if (shell.empty()) throw std::runtime_error("no sqlite3 on PATH");
  const int64_t timeout_ms = param_int(req.params, "timeout_ms");
  AtomicDest dest(req.dest);
  if (dest.tmp().find('\'') != std::string::npos)
    throw std::runtime_error("cli-backup: the destination path contains a single quote, which .backup cannot take");
  std::vector<std::string> args{"-batch", "-bail", "-init", "/dev/null"};
  if (timeout_ms > 0) args.insert(args.end(), {"-cmd", fmt::format(".timeout {}", timeout_ms)});
  args.push_back(shell_path(req.src));
  args.push_back(fmt::format(".backup '{}'", dest.tmp()));
  const std::string log = with_suffix(dest.tmp(), ".log");

  const int64_t t0 = now_ns();
  prog.started_ns = t0;
  pid_t pid = spawn(shell, args, {.stdout_path = log, .stderr_too = true});
  ExitStatus st = wait_for(pid);
  prog.finished_ns = now_ns();
  std::string msg = slurp_trimmed(log);
  std::error_code ec;
  fs::remove(log, ec);
  out.duration_s = ns_to_s(prog.finished_ns - t0);
  out.extra["sqlite3"] = shell;
  if (!st.ok()) {
    out.status = "failed";
    out.error = st.signal ? fmt::format("sqlite3 killed by signal {}: {}", st.signal, msg)
                          : fmt::format("sqlite3 exited with code {}: {}", st.code, msg);
    return out;
  }
  // The shell exits 0 even when .backup reported an error in some versions.
  if (!msg.empty()) out.extra["sqlite3_output"] = msg;
  if (!fs::exists(dest.tmp(), ec) || fs::file_size(dest.tmp(), ec) == 0) {
    out.status = "failed";
    out.error = fmt::format("sqlite3 wrote no backup: {}", msg.empty() ? "no output" : msg);
    return out;
  }
  out.steps = 1;
  prog.steps = 1;
  dest.commit();
  out.bytes = dest.bytes();
  return out;
}

const bool registered = register_strategy({
    .name = "cli-backup",
    .description = "the sqlite3 command-line shell as an external process: sqlite3 SRC \".backup 'TMP'\"",
    .params = {{"timeout_ms", "5000", "shell busy timeout (.timeout) in milliseconds; 0 = none", {}}},
    .skip_reason = [](const std::string&, bool) { return find_sqlite3().empty() ? "no sqlite3 on PATH" : std::string(); },
    .expected_safe = [](const std::string&, const Params&) { return true; },
    .safety_note = "safe in every mode (stepped 100 pages at a time: may restart or time out under load)",
    .run = run_cli_backup,
});

}  // namespace
}  // namespace bb
