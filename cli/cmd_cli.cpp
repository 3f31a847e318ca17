// Parsing and dispatch, with the exit-code contract: 0 success, 1 a finding,
// 2 bad usage or input (one line naming the problem), 3 internal failure.
#include <fmt/format.h>

#include "cli/commands.h"
#include "core/errors.h"

namespace bb {

namespace {
std::string g_command_line;

// An error is one line whatever it quotes: a value with a newline or another
// control character in it (a scenario's multi-line string) is shown escaped.
std::string one_line(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (c == '\n') out += "\\n";
    else if (c < 0x20 || c == 0x7f) out += fmt::format("\\x{:02x}", c);
    else out += char(c);
  }
  return out;
}
}  // namespace

const std::string& command_line() { return g_command_line; }

int run_cli(int argc, char** argv) {
  g_command_line.clear();
  for (int i = 0; i < argc; ++i) g_command_line += (i ? " " : "") + std::string(argv[i]);
  CLI::App app{"backup-bench: what happens when you back up a live SQLite database", "backup-bench"};
  app.require_subcommand(1);
  Action action;
  add_run_command(app, action);
  add_backup_command(app, action);
  add_validate_command(app, action);
  add_holders_command(app, action);
  add_list_command(app, action);
  add_report_command(app, action);
  add_compare_command(app, action);
  add_worker_command(app, action);
  add_copy_command(app, action);
  add_faultfs_command(app, action);
  add_cache_command(app, action);
  add_skip_reason_command(app, action);
  add_sqlite_info_command(app, action);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    fmt::print(stderr, "backup-bench: {}\n", one_line(e.what()));
    return 2;
  }
  try {
    return action ? action() : 2;
  } catch (const UsageError& e) {
    fmt::print(stderr, "backup-bench: {}\n", one_line(e.what()));
    return 2;
  } catch (const std::exception& e) {
    fmt::print(stderr, "backup-bench: internal error: {}\n", e.what());
    return 3;
  }
}

}  // namespace bb
