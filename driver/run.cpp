// The run driver: scenario -> trials -> run folder.
#include "driver/run.h"

#include <fmt/format.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>

#include "driver/context.h"
#include "core/errors.h"
#include "driver/results_files.h"
#include "core/shared_state.h"
#include "driver/trial.h"
#include "validation/validator.h"

namespace fs = std::filesystem;

namespace bb {
namespace {

void on_signal(int) { g_interrupted = 1; }

std::string timestamp(const char* fmt_) {
  auto t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  char buf[64];
  strftime(buf, sizeof buf, fmt_, gmtime(&t));
  return buf;
}

// Creates the run folder and proves it writable, or fails with one clear line.
std::string prepare_out(const RunOptions& opt) {
  std::string out = opt.out.empty() ? "runs/" + timestamp("%Y%m%d-%H%M%S") : opt.out;
  std::error_code ec;
  fs::create_directories(out, ec);
  if (ec) throw UsageError(fmt::format("cannot create output folder {}: {}", out, ec.message()));
  std::string probe = out + "/.write-test";
  {
    std::ofstream f(probe);
    if (!(f << "x") || !f.flush()) throw UsageError(fmt::format("output folder {} is not writable", out));
  }
  fs::remove(probe);
  if (opt.out.empty()) {
    fs::remove("runs/latest", ec);
    fs::create_directory_symlink(fs::path(out).filename(), "runs/latest", ec);
  }
  return out;
}

nlohmann::json failed_trial(const Cell& c, const std::string& why) {
  nlohmann::json t{{"mode", c.mode}, {"strategy", c.strategy.name}, {"label", c.strategy.label},
                   {"params", c.strategy.params}, {"repetition", c.repetition}, {"seed", c.seed},
                   {"cell", c.index}, {"db_mb", c.db_mb}, {"db_bytes", 0}, {"writer_count", c.writers},
                   {"expected_safe", false}, {"wal_peak_bytes", 0}, {"errors", {why}}};
  nlohmann::json win{{"commits", 0}, {"commits_per_s", 0}, {"p50_ms", 0}, {"p90_ms", 0}, {"p99_ms", 0},
                     {"p999_ms", 0}, {"max_ms", 0}, {"busy_errors", 0}};
  t["backup"] = {{"status", "failed"}, {"error", why}, {"duration_s", 0}, {"bytes", 0}, {"mb_per_s", 0},
                 {"steps", 0}, {"restarts", 0}, {"busy_retries", 0}};
  t["writers"] = {{"baseline", win}, {"during", win}, {"max_stall_ms", 0}};
  t["readers"] = {{"baseline", win}, {"during", win}};
  t["verdict"] = to_json(no_snapshot("FAILED", "harness error: " + why));
  return t;
}

}  // namespace

int run_scenario(const Scenario& s, const RunOptions& opt) {
  if (opt.shard_n < 1 || opt.shard_k < 0 || opt.shard_k >= opt.shard_n)
    throw UsageError(fmt::format("--shard {}/{}: expected K/N with 0 <= K < N", opt.shard_k, opt.shard_n));
  auto cells = shard(expand(s), opt.shard_k, opt.shard_n);
  const std::string out = prepare_out(opt);
  remove_stale_segments();
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);

  if (unoptimised_build())
    fmt::print(stderr, "WARNING: backup-bench was built without optimisation (or with sanitizers); "
                       "latency and throughput figures are not representative.\n");
  nlohmann::json results{{"schema", "backup-bench/1"},
                         {"sqlite_version", sqlite_version()},
                         {"started_at", timestamp("%Y-%m-%dT%H:%M:%SZ")},
                         {"host", host_context(out)},
                         {"scenario", to_json(s)},
                         {"shard", {{"k", opt.shard_k}, {"n", opt.shard_n}}},
                         {"cells_total", expand(s).size()},
                         {"trials", nlohmann::json::array()}};
  const bool tty = isatty(2);
  int exit_code = 0;
  bool interrupted = false;
  for (size_t i = 0; i < cells.size(); ++i) {
    const Cell& c = cells[i];
    std::string head = fmt::format("[{}/{}] {} {} db={}MB w={} r{}", i + 1, cells.size(), c.mode,
                                   c.strategy.label, c.db_mb, c.writers, c.repetition);
    TrialEnv env{out, opt.keep_snapshots, nullptr};
    if (tty) env.progress = [&](const std::string& what) { fmt::print(stderr, "\r\033[K{}: {}", head, what); };
    nlohmann::json t;
    try {
      t = run_trial(s, c, env);
    } catch (const Interrupted&) {
      interrupted = true;
      break;
    } catch (const UsageError&) {
      throw;
    } catch (const std::exception& e) {
      t = failed_trial(c, e.what());
      exit_code = 3;
    }
    fmt::print(stderr, "{}{}: backup {} {:.2f}s, verdict {}\n", tty ? "\r\033[K" : "", head,
               t["backup"]["status"].get<std::string>(), t["backup"]["duration_s"].get<double>(),
               t["verdict"]["status"].get<std::string>());
    if (trial_is_finding(t) && exit_code == 0) exit_code = 1;
    results["trials"].push_back(std::move(t));
  }
  results["summary"] = summarize(results["trials"]);
  results["interrupted"] = interrupted;
  write_results(out, results);
  print_summary(stdout, results);
  fmt::print("\nresults: {}/results.json\n", out);
  if (interrupted) {
    fmt::print(stderr, "interrupted: partial results written to {}\n", out);
    return 130;
  }
  if (exit_code == 1)
    fmt::print(stderr, "FINDING: a strategy expected to be safe produced a snapshot that is not OK\n");
  return exit_code;
}

}  // namespace bb
