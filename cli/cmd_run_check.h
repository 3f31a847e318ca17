// `run --check`: what a run would do, printed without doing it: the trial
// count, and per shard the estimated time and disk (cli/cmd_run_estimate.h).
#pragma once
#include <string>

#include "driver/run.h"
#include "driver/scenario.h"

namespace bb {

// `earlier` is a run folder to take speeds from ("" for none).
int print_run_check(const Scenario& s, const RunOptions& opt, const std::string& earlier);

}  // namespace bb
