// The backup runner: owns the protocol around a strategy, as the worker loop owns
// timing around a workload. It checks the destination, marks the impact window,
// gives the strategy a temporary destination, commits it atomically, counts the
// bytes, mirrors progress into shared memory, and turns every failure into one
// outcome with one kind of error. `backup_main` is the body of the backup process
// (`backup-bench backup`, standalone or as a trial's backup process).
#pragma once
#include <sys/types.h>

#include <exception>
#include <string>
#include <utility>
#include <vector>

#include "strategies/strategy.h"

namespace bb {

struct BackupRequest {
  std::string src, dest;
  Params params;                  // complete (resolve_params)
  std::string mode;               // the source's journal mode
  bool in_trial = false;
  std::vector<pid_t> holders;     // in a trial: the worker processes
  BackupProgress* progress = nullptr;  // never null: shared memory in a trial, local otherwise
};

// Runs one strategy. Never throws for a failure of the backup itself: the outcome
// says failed, with its kind.
BackupOutcome run_backup(const StrategyInfo& info, const BackupRequest& req);

// The failure kind and message of an exception thrown by a strategy.
std::pair<FailureKind, std::string> classify_failure(std::exception_ptr e);

// Refuses (UsageError, before anything is opened) a destination that could hurt
// the source: the source itself or one of its sidecars (by name, and by device
// and inode), an existing non-regular file (FIFO, device, symlink, folder), or a
// folder that does not exist or is not writable. An existing regular file is
// fine: it is replaced atomically.
void check_destination(const std::string& src, const std::string& dest);

// The journal mode as the file header tells it (bytes 18-19 are 2 in WAL mode),
// read without opening a connection; UsageError when it is not an SQLite file.
std::string header_mode(const std::string& path);

struct BackupArgs {
  std::string strategy, src, dest;
  std::vector<std::string> opts;  // KEY=VALUE
  std::string shm, outcome;       // in a trial: the segment, and where to write the outcome
  bool in_trial = false;
};

// The backup process: prints (or, in a trial, writes) the JSON outcome. Exit 0
// completed or skipped, 1 failed, 2 bad input or a full destination disk.
int backup_main(const BackupArgs& a);

}  // namespace bb
