// Each subcommand lives in its own cli/cmd_*.cpp and adds itself to the app here;
// when CLI11 selects it, it stores the action main() runs.
#pragma once
#include <CLI/CLI.hpp>
#include <functional>
#include <string>

namespace bb {

using Action = std::function<int()>;

void add_run_command(CLI::App& app, Action& action);
void add_backup_command(CLI::App& app, Action& action);
void add_validate_command(CLI::App& app, Action& action);
void add_holders_command(CLI::App& app, Action& action);
void add_list_command(CLI::App& app, Action& action);
void add_report_command(CLI::App& app, Action& action);
void add_compare_command(CLI::App& app, Action& action);
void add_worker_command(CLI::App& app, Action& action);  // internal: __worker
void add_copy_command(CLI::App& app, Action& action);    // internal: __copy
void add_faultfs_command(CLI::App& app, Action& action);  // internal: __faultfs
void add_sqlite_info_command(CLI::App& app, Action& action);  // internal: __sqlite-info
void add_cache_command(CLI::App& app, Action& action);
void add_skip_reason_command(CLI::App& app, Action& action);  // internal: __skip-reason
void add_merge_command(CLI::App& app, Action& action);   // internal: __merge OUT_JSON RUN... (for report)

// The command line as typed (for results.json), set by run_cli.
const std::string& command_line();

// Runs the CLI (main() and tests): parse, dispatch, map errors to exit codes.
int run_cli(int argc, char** argv);

}  // namespace bb
