// The load on one database: writer and reader processes (fork + exec of this
// binary) started together at a shared-memory barrier, watched by the driver
// while it runs, then stopped and their samples read back. A trial and a
// capacity probe both run one. A worker that dies before it is told to stop is
// a harness error, reported as soon as the driver sees it.
#pragma once
#include <sys/types.h>

#include <csignal>

#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/interrupt.h"
#include "core/proc_memory.h"
#include "core/process.h"
#include "core/samples.h"
#include "core/shared_state.h"
#include "results/metrics.h"

namespace bb {

struct LoadSpec {
  std::string exe;  // the backup-bench binary the workers run (a cell's SQLite build); empty: this one
  std::string db;
  std::string workload = "ledger";
  int writers = 2, readers = 1;
  double writer_rate = 0, reader_rate = 0;  // per process; 0 = closed loop
  std::string reader_shape = "lookup";
  uint64_t seed = 1;
  int64_t busy_timeout_ms = 5000, busy_poll_ms = 0;
  std::string synchronous = "NORMAL";
  int64_t wal_autocheckpoint = 1000;
  std::string samples_dir;  // where workers stream their samples
};

// A harness failure: a worker died or failed (the trial is recorded as a harness
// error, not judged).
struct HarnessError : std::runtime_error {
  using std::runtime_error::runtime_error;
};



// WAL size around one backup: at the moment it asked for the database, and the
// largest seen while it held it.
struct WalWatch {
  int64_t at_start = -1, peak = 0;
};

class Load {
 public:
  // Spawns the workers and waits until every one is at the barrier, then
  // releases them at t0. Throws HarnessError when a worker fails first,
  // Interrupted on Ctrl-C.
  explicit Load(const LoadSpec& spec);
  ~Load();  // kills what still runs, removes the segment
  Load(const Load&) = delete;
  Load& operator=(const Load&) = delete;

  SharedState& state() { return *seg_.state(); }
  const std::string& segment() const { return seg_.name(); }
  int64_t t0() const { return t0_; }
  std::vector<Schedule> writer_schedules() const;
  std::vector<Schedule> reader_schedules() const;

  // Watches until `until`, until `watch` (if > 0) exits (its status is
  // returned), or until `enough` (if given) says so. Samples file sizes, follows
  // the backup's marks for `wal`, reports `what` to `progress` every 100 ms.
  // Throws HarnessError / Interrupted.
  std::optional<ExitStatus> watch_until(int64_t until, pid_t watch, const std::string& what, WalWatch* wal = nullptr,
                                        const std::function<bool()>& enough = {});
  std::function<void(const std::string&)> progress;

  // Children the caller starts (the backup process): killed with the load.
  void adopt(pid_t p) { extra_.push_back(p); }
  void forget(pid_t p);

  // Sets the stop flag, waits for every worker, reads their samples (and removes
  // the sample files). Throws HarnessError when a worker failed.
  void stop();

  // A death injected on purpose (driver/nemesis.h): worker `i` (writers first,
  // then readers) ending by `signal` is recorded in deaths(), not a harness
  // error. Any other ending of it, or of another worker, still is.
  void expect_death(int i, int signal);
  // The worker's pid while it runs (0 once reaped).
  pid_t worker_pid(int i) const { return workers_.at(size_t(i)) > 0 ? workers_[size_t(i)] : 0; }
  // Expected deaths seen so far: worker index -> how it ended.
  const std::map<int, ExitStatus>& deaths() const { return deaths_; }
  std::vector<Sample> writer_samples, reader_samples;
  // A file workload's transaction kinds: name -> {role, commits, constraint_errors, last_error}.
  nlohmann::json kinds = nlohmann::json::object();
  int64_t behind = 0, max_lag_ns = 0;
  std::vector<SizeSample> sizes;  // decimated: at most kMaxSizes, evenly spread
  // Peak memory per kind of process, sampled while the load runs (every 10 ms
  // while a backup runs, else every 100 ms): anonymous and file-backed resident
  // memory apart, since a process that maps the database shows its pages as RSS.
  MemoryPeak mem_driver, mem_writers, mem_readers, mem_backup;

  static constexpr size_t kMaxSizes = 4096;
  // How long stop() waits for the workers to end after the stop flag.
  static constexpr int64_t kStopTimeoutMs = 10'000;

 private:
  // Spawns the n workers and waits at the start barrier (the constructor's work).
  void start_workers(int n);
  // Kills and reaps every process started, removes the sample files (idempotent).
  void kill_all() noexcept;
  void check_workers();
  void add_kind_stats(const std::string& path);
  // Whether worker i ending as `ex` was expected (and records it).
  bool expected(int i, const ExitStatus& ex);
  void sample_sizes(int64_t now, WalWatch* wal);
  void sample_memory(int64_t now);
  std::string samples_path(int i) const;
  std::string worker_name(int i) const;

  LoadSpec spec_;
  ShmSegment seg_;
  std::vector<pid_t> workers_, extra_;
  std::map<int, int> expected_deaths_;  // worker index -> signal
  std::map<int, ExitStatus> deaths_;
  int64_t t0_ = 0;
  int64_t size_every_ns_ = 5'000'000, last_size_ = 0, last_memory_ = 0;
};

}  // namespace bb
