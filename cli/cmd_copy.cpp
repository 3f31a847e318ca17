// `backup-bench __copy`: the child process of file-copy strategies (see
// strategies/file_copy.h for why copies are made from a separate process).
#include "cli/commands.h"
#include "strategies/file_copy.h"

namespace bb {

void add_copy_command(CLI::App& app, Action& action) {
  auto args = std::make_shared<std::vector<std::string>>();
  auto* cmd = app.add_subcommand("__copy", "internal: copy files with plain I/O")->group("");
  cmd->allow_extras();
  cmd->prefix_command();
  cmd->callback([cmd, args, &action] {
    *args = cmd->remaining();
    action = [args] { return copy_main(*args); };
  });
}

}  // namespace bb
