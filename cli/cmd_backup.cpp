// `backup-bench backup`: run one strategy on any SQLite database and print a JSON
// outcome. The driver also runs this (with --shm/--outcome/--in-trial) as the
// trial's backup process. The body is strategies/runner.cpp's backup_main.
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/commands.h"
#include "strategies/runner.h"
#include "strategies/strategy.h"

namespace bb {
namespace {

// The source's journal family from its header (byte 18: 2 = WAL), read without
// SQLite and without waiting on anything but a regular file; empty when unknown.
std::string header_mode(const std::string& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return "";
  int fd = open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return "";
  unsigned char h[100];
  ssize_t n = pread(fd, h, sizeof h, 0);
  close(fd);
  if (n != ssize_t(sizeof h) || std::string(reinterpret_cast<char*>(h), 16) != std::string("SQLite format 3\0", 16))
    return "";
  return h[18] == 2 ? "wal" : "delete";
}

// One line on stderr when the strategy is not expected to give a consistent copy
// of this source (raw-copy anywhere; exclusive-copy in WAL mode; ...). Bad input
// is left to backup_main, which names it.
void warn_if_unsafe(const BackupArgs& a) {
  auto* info = find_strategy(a.strategy);
  auto mode = header_mode(a.src);
  if (!info || mode.empty() || !info->expected_safe || !info->skip_reason(mode, false).empty()) return;
  Params given;
  for (auto& kv : a.opts) {
    auto eq = kv.find('=');
    if (eq == std::string::npos) return;
    given[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  Params params;
  try {
    params = resolve_params(*info, given);
  } catch (const std::exception&) {
    return;
  }
  if (!info->expected_safe(mode, params))
    fmt::print(stderr, "backup-bench: warning: {} is not expected to give a consistent copy of a {} database ({})\n",
               a.strategy, mode == "wal" ? "WAL-mode" : "rollback-journal", info->safety_note);
}

}  // namespace

void add_backup_command(CLI::App& app, Action& action) {
  auto f = std::make_shared<BackupArgs>();
  auto* cmd = app.add_subcommand("backup", "back up any SQLite database with one strategy; prints a JSON outcome");
  cmd->add_option("--strategy", f->strategy, "strategy name (list strategies)")->required();
  cmd->add_option("--opt", f->opts, "strategy parameter KEY=VALUE (repeatable)");
  cmd->add_option("SRC", f->src, "source database")->required();
  cmd->add_option("DEST", f->dest, "destination file (written atomically)")->required();
  cmd->add_option("--shm", f->shm, "internal: the trial's shared segment")->group("");
  cmd->add_option("--outcome", f->outcome, "internal: write the outcome here")->group("");
  cmd->add_flag("--in-trial", f->in_trial, "internal: run as a trial's backup process")->group("");
  cmd->callback([f, &action] {
    action = [f] {
      if (!f->in_trial) warn_if_unsafe(*f);
      return backup_main(*f);
    };
  });
}

}  // namespace bb
