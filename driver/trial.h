// One trial: fresh database -> workers -> warm-up -> baseline window -> backup in
// its own process -> cool-down -> stop -> validate snapshot -> record.
#pragma once
#include <csignal>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "driver/scenario.h"

namespace bb {

struct TrialEnv {
  std::string run_dir;        // the run folder; trials go to run_dir/trials/<id>
  bool keep_snapshots = false;
  // Called from the monitoring loop with a short status ("backup 1.2s"), for the
  // progress line.
  std::function<void(const std::string&)> progress;
};

// Set by the SIGINT/SIGTERM handler; trials stop early and clean up when it is.
extern volatile sig_atomic_t g_interrupted;

struct Interrupted : std::runtime_error {
  Interrupted() : std::runtime_error("interrupted") {}
};

// Runs one cell; returns its trial record (product.md, results.json trials[]).
// Throws Interrupted after cleaning up if the run was interrupted.
nlohmann::json run_trial(const Scenario& s, const Cell& c, const TrialEnv& env);

// Whether a non-OK verdict of this trial is a finding (`run` exits 1).
bool trial_is_finding(const nlohmann::json& trial);

}  // namespace bb
