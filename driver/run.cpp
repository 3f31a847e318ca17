// The run driver: scenario -> (capacity probes) -> trials -> run folder. It
// builds the run record (results/run_record.h); the console (driver/console.h)
// prints it.
#include "driver/run.h"

#include <fmt/format.h>

#include <filesystem>
#include <map>

#include "bb_build_info.h"
#include "core/errors.h"
#include "core/interrupt.h"
#include "core/loop_fs.h"
#include "core/shared_state.h"
#include "core/sqlite_builds.h"
#include "driver/console.h"
#include "core/context.h"
#include "databases/leftovers.h"
#include "driver/probe.h"
#include "driver/run_folder.h"
#include "databases/templates.h"
#include "driver/trial.h"
#include "databases/user_database.h"
#include "results/files.h"
#include "results/summary.h"

namespace fs = std::filesystem;

namespace bb {
namespace {

// What a run will do, settled before any work: its cells, the rates borrowed
// from another run, its SQLite builds, the user's own data.
struct RunPlan {
  std::vector<Cell> cells;
  std::map<std::string, double> rates;  // per-writer rate per probe key (capacity-derived)
  nlohmann::json borrowed = nlohmann::json::array();
  nlohmann::json builds = nlohmann::json::object();
  nlohmann::json user_data;
};

// Checks everything the user gave before the run folder exists: bad input
// leaves nothing behind (UsageError).
RunPlan plan_run(Scenario& s, const RunOptions& opt) {
  RunPlan p;
  // The user's database and workload file first: they may set db_mb.
  p.user_data = prepare_user_data(database_spec(s), s.db_mb);
  if (opt.shard_n < 1 || opt.shard_k < 0 || opt.shard_k >= opt.shard_n)
    throw UsageError(fmt::format("--shard {}/{}: expected K/N with 0 <= K < N", opt.shard_k, opt.shard_n));
  check_scenario(s);
  p.cells = shard(expand(s), opt.shard_k, opt.shard_n);
  if (!opt.rates_from.empty() && !s.rate_auto)
    throw UsageError("--rates-from takes the rates a capacity probe chose: it needs rate = auto");
  if (!opt.rates_from.empty()) p.rates = rates_from(opt.rates_from, p.cells, p.borrowed);
  // Every SQLite build is found (or built) before any work: a missing one is bad input.
  for (auto& b : s.sqlite) p.builds[b] = resolve_sqlite_build(b).info;
  return p;
}

// The run folder, checked for room, and what earlier runs left cleaned up.
std::string prepare_folder(const Scenario& s, const RunPlan& p, const RunOptions& opt) {
  const std::string out = prepare_out(opt);
  check_free_space(s, p.cells, out);
  remove_stale_segments();
  std::vector<std::string> cleaned = clean_stale_loop_fs();
  for (auto& line : clean_dead_runs(out)) cleaned.push_back(line);
  for (auto& line : clean_dead_templates(template_cache_dir())) cleaned.push_back(line);
  for (auto& line : cleaned) fmt::print(stderr, "cleaned up after an earlier run: {}\n", line);
  if (unoptimised_build())
    fmt::print(stderr, "WARNING: backup-bench was built without optimisation (or with sanitizers); "
                       "latency and throughput figures are not representative.\n");
  return out;
}

RunRecord start_record(const Scenario& s, const RunPlan& p, const RunOptions& opt, const std::string& out) {
  RunRecord r;
  r.tool = {{"name", "backup-bench"}, {"version", BB_VERSION}, {"commit", BB_GIT_COMMIT}};
  r.sqlite_version = sqlite_version();
  r.started_at = timestamp("%Y-%m-%dT%H:%M:%SZ");
  r.command_line = opt.command_line;
  r.host = host_context(out);
  r.scenario = to_json(s);
  r.database = p.user_data["database"];
  r.workload_file = p.user_data["workload_file"];
  r.strategies = strategies_json();
  r.sqlite_builds = p.builds;
  r.shard_k = opt.shard_k;
  r.shard_n = opt.shard_n;
  r.shard_engine = opt.shard_engine;
  r.shard_job = opt.shard_job;
  r.cells_total = int64_t(expand(s).size());
  r.probes = p.borrowed;
  if (!opt.rates_from.empty()) r.rates_from = opt.rates_from;
  return r;
}

// One run under way: its scenario, plan, folder, record and console.
struct Run {
  const Scenario& s;
  RunPlan& plan;
  const RunOptions& opt;
  const std::string& out;
  RunRecord& record;
  RunConsole& console;
  RunEnding ending;
};

// The per-writer rate of cell `c`: the scenario's, or (rate = auto) what a
// capacity probe measured for cells like it, probing once per key.
double writer_rate(Run& run, const Cell& c) {
  if (!run.s.rate_auto) return run.s.rate;
  const std::string key = probe_key(c);
  if (!run.plan.rates.count(key)) {
    run.console.progress("probing capacity");
    ProbeResult p = probe_capacity(run.s, c, run.out + "/probes/" + key);
    run.console.probe(key, p);
    if (p.writer_rate < 0.01) throw HarnessError(fmt::format("the capacity probe for {} measured no commits", key));
    run.record.probes.push_back(p);
    run.plan.rates[key] = p.writer_rate;
  }
  return run.plan.rates[key];
}

// A full disk stops the run: what was written stays valid, the current
// trial's files go.
void stop_disk_full(Run& run, size_t i, const Cell& c, const std::string& what) {
  run.ending.disk_full = true;
  run.console.disk_full(i, what);
  std::error_code ec;
  for (auto& d : fs::directory_iterator(run.out + "/trials", ec))
    if (d.path().filename().string().rfind(fmt::format("{:03d}-", c.index), 0) == 0) fs::remove_all(d.path(), ec);
}

// Runs cell i into the record (a harness failure is recorded as one); false
// when the run must stop (an interrupt, a full disk).
bool run_cell(Run& run, size_t i) {
  const Cell& c = run.plan.cells[i];
  run.console.trial_started(i, c);
  TrialSpec spec = trial_spec(run.s, c, run.s.rate);
  TrialEnv env{run.out, run.opt.keep_snapshots, [&](const std::string& what) { run.console.progress(what); }};
  nlohmann::json t;
  try {
    spec.load.writer_rate = writer_rate(run, c);
    t = run_trial(spec, env);
    // A trial an interrupt cut short (a statement ended with SQLITE_INTERRUPT
    // may look like a verdict) is not recorded.
    throw_if_interrupted();
  } catch (const Interrupted&) {
    run.ending.interrupted = true;
    return false;
  } catch (const UsageError&) {
    throw;
  } catch (const std::exception& e) {
    if (g_interrupted) return !(run.ending.interrupted = true);
    if (says_disk_full(e.what()) || disk_full(run.out) || disk_full(template_cache_dir())) {
      stop_disk_full(run, i, c, e.what());
      return false;
    }
    t = harness_failure(spec, e.what());
    run.ending.harness_failed = true;
    run.console.harness_error(e.what());
  }
  run.console.trial_done(t);
  if (trial_is_finding(t)) run.ending.finding = true;
  run.record.trials.push_back(std::move(t));
  // What is done so far, in case the run dies: complete trials, no summary yet.
  try {
    write_results(run.out, run.record);
  } catch (const std::exception& e) {
    if (!disk_full(run.out)) throw;
    run.ending.disk_full = true;
    run.console.disk_full(i + 1, e.what());
    return false;
  }
  return true;
}

// What building databases cost this run: templates built (populated) and the
// copies every trial and probe started from.
nlohmann::json population() {
  double populate = 0, copy = 0, flush = 0;
  int built = 0;
  for (auto& e : population_log()) {
    populate += e["populate_s"].get<double>();
    copy += e["copy_s"].get<double>();
    flush += e.value("flush_s", 0.0);
    built += e["from_cache"].get<bool>() ? 0 : 1;
  }
  return {{"templates_built", built},
          {"populate_s", populate},
          {"copy_s", copy},
          {"flush_s", flush},
          {"instances", population_log()}};
}

// The summary, the final results.json, the console's last lines; the exit code.
int finish(Run& run) {
  RunRecord& r = run.record;
  r.summary = summarize(r.trials, [&](const nlohmann::json& t) {
    return t["series"].is_string() ? run.out + "/" + t["series"].get<std::string>() : std::string();
  });
  r.population = population();
  r.interrupted = run.ending.interrupted;
  r.stopped_disk_full = run.ending.disk_full;
  r.finished_at = timestamp("%Y-%m-%dT%H:%M:%SZ");
  try {
    write_results(run.out, r);
  } catch (const std::exception& e) {
    if (!disk_full(run.out)) throw;
    run.console.say(stderr, fmt::format("ERROR: the disk is full; the results of the completed trials are in "
                                        "{}/results.json without their summary: {}\n",
                                        run.out, e.what()));
    return 2;
  }
  run.console.finished(nlohmann::json(r), run.ending);
  run.console.ending(run.ending);
  return run.ending.exit_code();
}

}  // namespace

int run_scenario(const Scenario& given, const RunOptions& opt) {
  // From here on SIGINT/SIGTERM unwind whatever the run is doing (exit 130).
  install_interrupt_handler();
  Scenario s = given;
  RunPlan plan = plan_run(s, opt);
  const std::string out = prepare_folder(s, plan, opt);
  RunRecord record = start_record(s, plan, opt, out);
  RunConsole console(out, plan.cells.size());
  console.started(s.name, record);
  Run run{s, plan, opt, out, record, console, {}};
  for (size_t i = 0; i < plan.cells.size(); ++i)
    if (!run_cell(run, i)) break;
  return finish(run);
}

}  // namespace bb
