// `backup-bench __worker`: the internal entry point of writer and reader processes.
#include "cli/commands.h"
#include "workloads/worker.h"

namespace bb {

void add_worker_command(CLI::App& app, Action& action) {
  auto a = std::make_shared<WorkerArgs>();
  auto* cmd = app.add_subcommand("__worker", "internal: a writer or reader process")->group("");
  cmd->add_option("--shm", a->shm)->required();
  cmd->add_option("--slot", a->slot)->required();
  cmd->add_option("--role", a->role)->check(CLI::IsMember({"writer", "reader"}));
  cmd->add_option("--db", a->db)->required();
  cmd->add_option("--workload", a->workload);
  cmd->add_option("--samples", a->samples)->required();
  cmd->add_option("--seed", a->seed);
  cmd->add_option("--rate", a->rate);
  cmd->add_option("--offset-ns", a->offset_ns);
  cmd->add_option("--busy-timeout", a->busy_timeout_ms);
  cmd->add_option("--busy-poll", a->busy_poll_ms);
  cmd->add_option("--reader-shape", a->reader_shape);
  cmd->add_option("--synchronous", a->synchronous);
  cmd->add_option("--wal-autocheckpoint", a->wal_autocheckpoint);
  cmd->callback([a, &action] { action = [a] { return worker_main(*a); }; });
}

}  // namespace bb
