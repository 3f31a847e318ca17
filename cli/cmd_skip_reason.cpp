// `backup-bench __skip-reason`: why a strategy cannot run here (empty when it
// can), as this binary sees it. The driver asks a cell's own build: whether a
// strategy applies can depend on the SQLite it runs (sqlite_dbpage).
#include <fmt/format.h>

#include "cli/commands.h"
#include "core/errors.h"
#include "strategies/strategy.h"

namespace bb {

void add_skip_reason_command(CLI::App& app, Action& action) {
  struct Args {
    std::string strategy, mode, src, dest;
  };
  auto a = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("__skip-reason", "internal: why a strategy would be skipped here")->group("");
  cmd->add_option("--strategy", a->strategy)->required();
  cmd->add_option("--mode", a->mode)->required();
  cmd->add_option("SRC", a->src)->required();
  cmd->add_option("DEST", a->dest)->required();
  cmd->callback([a, &action] {
    action = [a] {
      const StrategyInfo* info = find_strategy(a->strategy);
      if (!info) throw UsageError(fmt::format("unknown strategy '{}'", a->strategy));
      fmt::print("{}\n", skip_reason_for(*info, a->mode, true, a->src, a->dest));
      return 0;
    };
  });
}

}  // namespace bb
