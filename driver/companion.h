// A process that runs beside the load for a whole trial: a continuous
// strategy's replicator (`litestream replicate`, StrategyInfo::companion). It
// starts before any worker and is ready (its first snapshot written) before the
// warm-up begins, so the baseline measures replication in its steady state
// against the load; it is stopped once the load has stopped. Its snapshot, made
// by the strategy at the backup point, trails the source: how far (the
// recovery point) is measured here, not judged as staleness. docs/litestream.md.
//
// run_trial calls it at a few places: constructed before the Load, kill_at()
// for a kill-backup fault, check() before each backup, judged() for the
// freshness bounds, stop() after the load stops, record() once the trial is
// judged.
#pragma once
#include <sys/types.h>

#include <condition_variable>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/process.h"
#include "core/samples.h"
#include "strategies/strategy.h"
#include "validation/validator.h"

namespace bb {

struct TrialResult;

class Companion {
 public:
  // Nothing happens for a strategy without a companion. Otherwise: starts it
  // (fork + exec; it dies with the driver) with its replica in `replica_dir`,
  // its output in `log`, and waits -- bounded by `ready_timeout_s`, answering
  // SIGINT/SIGTERM -- until it says it is ready or ends.
  Companion(const StrategyInfo& info, const Params& params, const std::string& db, const std::string& replica_dir,
            const std::string& log, double ready_timeout_s);
  ~Companion();  // kills and reaps it, removes the files it made
  Companion(const Companion&) = delete;
  Companion& operator=(const Companion&) = delete;

  bool active() const { return started_ns_ != 0; }
  // A fault kind that kills the backup process (kill-backup) strikes the
  // replicator, not the restore: a continuous strategy's "backup process" is
  // the one that runs for the whole trial.
  bool takes_fault(const std::string& kind) const;
  // SIGKILL at `at_ns` (CLOCK_MONOTONIC), from a thread that waits for it.
  void kill_at(int64_t at_ns);
  // Reaps it if it has ended (noting how); whether it still runs.
  bool check();
  // Freshness bounds for its snapshot: no lower one (it trails the source by
  // its recovery point); the given ones are kept for record(). Identity when
  // not active.
  FreshnessBounds judged(const FreshnessBounds& b);
  // After the load stopped: SIGKILL and reap.
  void stop();
  // Into the trial: `continuous` (the companion, when it was ready, how it
  // ended, each backup's recovery point, restore time, replica size), each
  // snapshot's committed_before_start restored, the fault record of a kill.
  void record(TrialResult& t, const std::vector<Sample>& writers);

 private:
  void wait_ready(double timeout_s);
  void cleanup() noexcept;  // stop(), then remove the files it made
  void reap_locked(const ExitStatus& ex);
  void join();

  CompanionSpec spec_;
  std::string log_;
  std::mutex mu_;
  std::condition_variable cv_;
  pid_t pid_ = 0;  // 0 once reaped (under mu_)
  bool cancel_ = false;
  std::thread killer_;
  int64_t started_ns_ = 0, ready_ns_ = 0, kill_at_ns_ = 0, killed_ns_ = 0, ended_ns_ = 0;
  std::string ended_;  // how it ended, in words; empty while it runs
  std::string not_ready_;  // what it said instead of becoming ready
  std::vector<FreshnessBounds> given_;  // per backup, in order
};

}  // namespace bb
