// A worker process (writer or reader): attaches to the shared segment, opens its
// own SQLite connection, waits at the start barrier, runs transactions until the
// stop flag, and streams its samples to a file the driver reads.
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
  std::string reader_shape = "lookup";  // readers: lookup | scan
  std::string samples;  // output file
  uint64_t seed = 1;
  double rate = 0;        // target operations/s of this worker; 0 = closed loop
  int64_t offset_ns = 0;  // where this worker's schedule starts within a period
  int busy_timeout_ms = 5000;
  int busy_poll_ms = 0;  // 0: SQLite's back-off schedule
  std::string synchronous = "NORMAL";
  int wal_autocheckpoint = 1000;
};

// The body of `backup-bench __worker`; returns the process exit code.
int worker_main(const WorkerArgs& a);

}  // namespace bb
