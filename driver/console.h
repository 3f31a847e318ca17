// What `run` tells whoever watches it: the live progress line (on a terminal),
// one line per trial and probe, the summary table and the closing warnings,
// all kept in the run folder as console.log; and the run folder's `progress`
// file (one line: the trial and its phase) for whoever watches without a
// terminal. run_scenario (driver/run.cpp) builds the run record; this prints it.
#pragma once
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/clock.h"
#include "driver/probe.h"
#include "driver/scenario.h"
#include "results/run_record.h"

namespace bb {

// How a run ended, for its last lines and its exit code.
struct RunEnding {
  bool interrupted = false, harness_failed = false, disk_full = false, finding = false;
  int exit_code() const { return disk_full ? 2 : interrupted ? 130 : harness_failed ? 3 : finding ? 1 : 0; }
};

class RunConsole {
 public:
  // Opens the run folder's console.log and progress file (best effort: a
  // full disk loses them, not the run).
  RunConsole(const std::string& run_dir, size_t trials);
  ~RunConsole();
  RunConsole(const RunConsole&) = delete;
  RunConsole& operator=(const RunConsole&) = delete;

  // Prints `text` to `to` (stderr or stdout) and keeps it in console.log.
  void say(std::FILE* to, const std::string& text);
  // The run's first lines: the scenario, the trial count, the user's own data.
  void started(const std::string& scenario, const RunRecord& r);
  // Trial i (from 0) of cell `c` begins; what it does now, as it changes.
  void trial_started(size_t i, const Cell& c);
  void progress(const std::string& what);
  void probe(const std::string& key, const ProbeResult& p);
  void harness_error(const std::string& what);
  void disk_full(size_t done, const std::string& what);
  // The trial's line (backup, duration, verdicts, an unsteady load) and the
  // transactions its workload's own rules refused.
  void trial_done(const nlohmann::json& t);
  // The summary table, where the results are, the unsteady trials, and the
  // progress file's last word.
  void finished(const nlohmann::json& results, const RunEnding& e);
  // The lines after the summary that say why the exit code is what it is.
  void ending(const RunEnding& e);

 private:
  // Elapsed time and an estimate of what is left, from the trials done so far.
  std::string clock(size_t done) const;
  void set_phase(std::string line);

  std::string dir_;
  size_t trials_ = 0, current_ = 0;
  std::string head_;
  bool tty_ = false;
  std::FILE* log_ = nullptr;
  int progress_fd_ = -1;
  std::string last_phase_;
  int64_t started_ = now_ns();
  std::vector<std::string> unsteady_;
};

}  // namespace bb
