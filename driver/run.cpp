// The run driver: scenario -> (capacity probes) -> trials -> run folder.
#include "driver/run.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>

#include "core/errors.h"
#include "core/shared_state.h"
#include "driver/context.h"
#include "driver/probe.h"
#include "driver/results_files.h"
#include "driver/summary.h"
#include "driver/trial.h"

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

std::string probe_key(const std::string& mode, int64_t mb, int64_t writers) {
  return fmt::format("{}/{}MB/w{}", mode, mb, writers);
}

}  // namespace

int run_scenario(const Scenario& s, const RunOptions& opt) {
  if (opt.shard_n < 1 || opt.shard_k < 0 || opt.shard_k >= opt.shard_n)
    throw UsageError(fmt::format("--shard {}/{}: expected K/N with 0 <= K < N", opt.shard_k, opt.shard_n));
  check_scenario(s);
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
                         {"command_line", opt.command_line},
                         {"host", host_context(out)},
                         {"scenario", to_json(s)},
                         {"strategies", strategies_json()},
                         {"shard", {{"k", opt.shard_k}, {"n", opt.shard_n}}},
                         {"cells_total", expand(s).size()},
                         {"probes", nlohmann::json::array()},
                         {"trials", nlohmann::json::array()}};
  const bool tty = isatty(2);
  int exit_code = 0;
  bool interrupted = false, harness_failed = false;
  std::map<std::string, double> rates;  // capacity-derived per-writer rate per probe key
  std::vector<std::string> unsteady;
  for (size_t i = 0; i < cells.size() && !interrupted; ++i) {
    const Cell& c = cells[i];
    std::string head = fmt::format("[{}/{}] {} {} db={}MB w={} r{}{}", i + 1, cells.size(), c.mode,
                                   c.strategy.label, c.db_mb, c.writers, c.repetition,
                                   c.fault == "none" ? "" : " fault=" + c.fault);
    TrialEnv env{out, opt.keep_snapshots, s.rate, nullptr};
    if (tty) env.progress = [&](const std::string& what) { fmt::print(stderr, "\r\033[K{}: {}", head, what); };
    nlohmann::json t;
    try {
      if (s.rate_auto) {
        const std::string key = probe_key(c.mode, c.db_mb, c.writers);
        if (!rates.count(key)) {
          if (env.progress) env.progress("probing capacity");
          ProbeResult p = probe_capacity(s, c.mode, c.db_mb, c.writers, out + "/probes/" + key, c.seed);
          fmt::print(stderr, "{}capacity probe {}: {:.0f} tx/s closed loop -> {:.1f} tx/s per writer ({:.0f}%)\n",
                     tty ? "\r\033[K" : "", key, p.capacity_tx_s, p.writer_rate, 100 * p.utilisation);
          if (p.writer_rate < 0.01)
            throw HarnessError(fmt::format("the capacity probe for {} measured no commits", key));
          results["probes"].push_back(p);
          rates[key] = p.writer_rate;
        }
        env.writer_rate = rates[key];
      }
      t = run_trial(s, c, env);
    } catch (const Interrupted&) {
      interrupted = true;
      break;
    } catch (const UsageError&) {
      throw;
    } catch (const std::exception& e) {
      t = harness_failure(c, s, e.what());
      harness_failed = true;
      fmt::print(stderr, "{}HARNESS ERROR in {}: {}\n", tty ? "\r\033[K" : "", head, e.what());
    }
    fmt::print(stderr, "{}{}: backup {} {:.2f}s, verdict {}{}\n", tty ? "\r\033[K" : "", head,
               t["backup"]["status"].get<std::string>(), t["backup"]["duration_s"].get<double>(),
               t["verdict"]["status"].get<std::string>(),
               t["load"]["steady"].get<bool>() || !t["harness_error"].is_null() || t["backup"]["status"] == "skipped"
                   ? ""
                   : ", UNSTEADY load: " + t["load"]["reason"].get<std::string>());
    // A faulted trial is left out of writer figures anyway (docs/faults.md).
    if (t["harness_error"].is_null() && t["backup"]["status"] != "skipped" && !t["load"]["steady"].get<bool>() &&
        t["fault"].is_null())
      unsteady.push_back(fmt::format("{}/{} r{}", c.mode, c.strategy.label, c.repetition));
    if (trial_is_finding(t) && exit_code == 0) exit_code = 1;
    results["trials"].push_back(std::move(t));
  }
  results["summary"] = summarize(results["trials"], [&](const nlohmann::json& t) {
    return t["series"].is_string() ? out + "/" + t["series"].get<std::string>() : std::string();
  });
  results["interrupted"] = interrupted;
  results["finished_at"] = timestamp("%Y-%m-%dT%H:%M:%SZ");
  write_results(out, results);
  print_summary(stdout, results);
  fmt::print("\nresults: {}/results.json\n", out);
  if (!unsteady.empty())
    fmt::print(stderr,
               "WARNING: {} trial(s) had an unsteady load before the backup and are left out of writer figures, "
               "comparisons and recommendations: {}\n",
               unsteady.size(), fmt::join(unsteady, ", "));
  if (interrupted) {
    fmt::print(stderr, "interrupted: partial results written to {}\n", out);
    return 130;
  }
  if (exit_code == 1)
    fmt::print(stderr, "FINDING: a strategy expected to be safe produced a snapshot that is not OK\n");
  if (harness_failed) {
    fmt::print(stderr, "ERROR: trial(s) failed in the harness (see HARNESS ERROR above); exit 3\n");
    return 3;
  }
  return exit_code;
}

}  // namespace bb
