// A worker process (writer or reader): attaches to the shared segment, opens its
// own SQLite connection, waits at the start barrier, runs transactions until the
// stop flag, and writes its samples to a file the driver reads.
#pragma once
#include <cstdint>
#include <string>

namespace bb {

struct WorkerArgs {
  std::string shm;
  int slot = 0;
  std::string role = "writer";  // writer | reader
  std::string db;
  std::string workload = "ledger";
  std::string samples;  // output file
  uint64_t seed = 1;
  double rate = 0;  // per-writer target tx/s; 0 = closed loop
  int64_t offset_ns = 0;  // where this writer's schedule starts within a period
  int busy_timeout_ms = 5000;
  std::string synchronous = "NORMAL";
  int wal_autocheckpoint = 1000;
};

// The body of `backup-bench __worker`; returns the process exit code.
int worker_main(const WorkerArgs& a);

}  // namespace bb
