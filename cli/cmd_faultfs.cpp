// `backup-bench __faultfs`: the internal entry point of the fault-injecting FUSE
// daemon (core/fault_fs.h) a trial's nemesis mounts under its destination.
#include "cli/commands.h"
#include "core/fault_fs.h"

namespace bb {

void add_faultfs_command(CLI::App& app, Action& action) {
  struct Args {
    std::string backing, mount;
    int64_t write_limit = -1, write_delay_ms = 0;
    bool fail_fsync = false;
  };
  auto a = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("__faultfs", "internal: a FUSE filesystem whose writes or fsyncs fail")->group("");
  cmd->add_option("--backing", a->backing)->required();
  cmd->add_option("--mount", a->mount)->required();
  cmd->add_option("--write-limit", a->write_limit);
  cmd->add_flag("--fail-fsync,!--no-fail-fsync", a->fail_fsync);
  cmd->add_option("--write-delay-ms", a->write_delay_ms);
  cmd->callback([a, &action] {
    action = [a] { return fault_fs_main(a->backing, a->mount, a->write_limit, a->fail_fsync, a->write_delay_ms); };
  });
}

}  // namespace bb
