// `backup-bench __sqlite-info`: the SQLite this binary runs on, as JSON (version,
// source id, compile options, sqlite_dbpage): what a run records per build.
#include <fmt/format.h>

#include "cli/commands.h"
#include "core/sqlite_build.h"

namespace bb {

void add_sqlite_info_command(CLI::App& app, Action& action) {
  auto* cmd =
      app.add_subcommand("__sqlite-info", "internal: the SQLite library this binary runs on, as JSON")->group("");
  cmd->callback([&action] {
    action = [] {
      fmt::print("{}\n", nlohmann::json(sqlite_build()).dump(2));
      return 0;
    };
  });
}

}  // namespace bb
