// `backup-bench backup`: run one strategy on any SQLite database and print a JSON
// outcome. The driver also runs this (with --shm/--outcome/--in-trial) as the
// trial's backup process. The body is strategies/runner.cpp's backup_main.
#include "cli/commands.h"
#include "strategies/runner.h"

namespace bb {

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
  cmd->callback([f, &action] { action = [f] { return backup_main(*f); }; });
}

}  // namespace bb
