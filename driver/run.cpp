// The run driver: scenario -> (capacity probes) -> trials -> run folder.
#include "driver/run.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <signal.h>
#include <unistd.h>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <set>
#include <filesystem>
#include <fstream>
#include <map>

#include "bb_build_info.h"
#include "core/clock.h"
#include "core/errors.h"
#include "core/files.h"
#include "core/interrupt.h"
#include "core/shared_state.h"
#include "core/loop_fs.h"
#include "driver/builds.h"
#include "driver/context.h"
#include "driver/leftovers.h"
#include "results/merge.h"
#include "driver/probe.h"
#include "results/files.h"
#include "driver/templates.h"
#include "results/summary.h"
#include "driver/trial.h"
#include "driver/user_database.h"

namespace fs = std::filesystem;

namespace bb {
namespace {

std::string timestamp(const char* fmt_) {
  auto t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  char buf[64];
  strftime(buf, sizeof buf, fmt_, gmtime(&t));
  return buf;
}

// Creates the run folder, takes its lock (one run per folder) and proves it
// writable, or fails with one clear line. The lock is held until the process
// exits (the descriptor is never closed).
std::string prepare_out(const RunOptions& opt) {
  std::string out = opt.out.empty() ? "runs/" + timestamp("%Y%m%d-%H%M%S") : opt.out;
  std::error_code ec;
  fs::create_directories(out, ec);
  if (ec) throw UsageError(fmt::format("cannot create output folder {}: {}", out, ec.message()));
  if (!fs::is_directory(out, ec)) throw UsageError(fmt::format("output path {} is not a folder", out));
  const std::string lock = out + "/.run.lock";
  int fd = open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) throw UsageError(fmt::format("output folder {} is not writable: {}", out, strerror(errno)));
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    char pid[32] = {};
    if (pread(fd, pid, sizeof pid - 1, 0) < 0) pid[0] = 0;
    throw UsageError(fmt::format("output folder {} is in use by another run (pid {})", out, pid[0] ? pid : "?"));
  }
  const std::string me = std::to_string(getpid());
  if (ftruncate(fd, 0) != 0 || pwrite(fd, me.data(), me.size(), 0) != ssize_t(me.size()))
    throw UsageError(fmt::format("output folder {} is not writable: {}", out, strerror(errno)));
  if (fs::exists(out + "/results.json"))
    throw UsageError(fmt::format("output folder {} already holds a run (results.json); choose another --out", out));
  if (opt.out.empty()) {
    fs::remove("runs/latest", ec);
    fs::create_directory_symlink(fs::path(out).filename(), "runs/latest", ec);
  }
  return out;
}

// Whether the filesystem holding `dir` has (almost) no room left: how a full
// disk is recognised, whatever message the failing layer gave.
bool disk_full(const std::string& dir) {
  int64_t f = free_bytes(dir);
  return f >= 0 && f < (int64_t(8) << 20);
}

// Whether a trial's failure says a disk filled up. The trial's own files are
// gone by the time its exception arrives here (and with them the shortage), so
// the message is read: ENOSPC from a copy or a write, SQLITE_FULL from SQLite.
bool says_disk_full(const std::string& what) {
  return what.find("No space left on device") != std::string::npos ||
         what.find("database or disk is full") != std::string::npos;
}

// Room for the largest trial (database, snapshot and one recovery copy, and every
// scheduled backup's snapshot) in the run folder, and for the templates still to
// be built in the cache: checked before any work, one clear line when short.
void check_free_space(const Scenario& s, const std::vector<Cell>& cells, const std::string& out) {
  int64_t largest = 0;
  std::set<std::pair<std::string, int64_t>> templates;
  for (auto& c : cells) {
    if (c.filesystem == "host") largest = std::max(largest, c.db_mb);
    templates.insert({c.mode, c.db_mb});
  }
  const int64_t snapshots = s.backups > 1 ? s.backups : 0;
  const int64_t need_run = (largest * (3 + snapshots) + 64) << 20;
  int64_t need_cache = 0;
  if (s.template_cache)
    for (auto& [mode, mb] : templates) need_cache += mb << 20;  // an upper bound: some may be cached already
  const std::string cache = template_cache_dir();
  std::error_code ec;
  fs::create_directories(cache, ec);
  struct stat a {}, b {};
  const bool same = stat(out.c_str(), &a) == 0 && stat(cache.c_str(), &b) == 0 && a.st_dev == b.st_dev;
  auto check = [&](const std::string& where, int64_t need) {
    const int64_t have = free_bytes(where);
    if (have >= 0 && have < need)
      throw UsageError(fmt::format("not enough disk space: {} has {:.0f} MB free, the run needs about {:.0f} MB "
                                   "(the largest trial{}); free some space or use smaller db_mb",
                                   where, double(have) / 1e6, double(need) / 1e6,
                                   where == cache ? "'s template" : same ? " and its templates" : ""));
  };
  if (same) check(out, need_run + need_cache);
  else {
    check(out, need_run);
    if (need_cache) check(cache, need_cache);
  }
}

std::string probe_key(const std::string& mode, int64_t db_mb, int64_t writers, const std::string& filesystem,
                      const std::string& sqlite) {
  std::string k = fmt::format("{}-{}MB-w{}", mode, db_mb, writers);
  if (filesystem != "host") k += "-" + filesystem;
  if (sqlite != "system") k += "-sqlite" + std::to_string(std::hash<std::string>{}(sqlite) % 100000);
  return k;
}

std::string probe_key(const Cell& c) { return probe_key(c.mode, c.db_mb, c.writers, c.filesystem, c.sqlite); }

// The per-writer rates another run's capacity probes chose, by probe key; every
// cell must find one (checked before any work).
std::map<std::string, double> rates_from(const std::string& dir, const std::vector<Cell>& cells,
                                        nlohmann::json& probes) {
  auto r = merge_runs({dir}, {.summary = false});
  std::map<std::string, double> out;
  for (auto p : r.value("probes", nlohmann::json::array())) {
    p["from"] = dir;  // the probe was that run's; this run reuses its rate
    probes.push_back(p);
    out[probe_key(p.value("mode", ""), p.value("db_mb", int64_t(0)), p.value("writers", int64_t(0)),
                  p.value("filesystem", "host"), p.value("sqlite", "system"))] = p.value("writer_rate", 0.0);
  }
  for (auto& c : cells)
    if (!out.count(probe_key(c)))
      throw UsageError(fmt::format("--rates-from {}: that run has no capacity probe for {} (it ran other cells, or a "
                                   "fixed rate)",
                                   dir, probe_key(c)));
  return out;
}

// The run folder's `progress` file: one line, the trial and its phase
// ("[3/12] wal online db=8MB w=2 r0: baseline"), rewritten when the phase
// changes (not on every tick of its clock). Best effort: a full disk loses it.
class PhaseFile {
 public:
  explicit PhaseFile(const std::string& path) : fd_(open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) {}
  ~PhaseFile() {
    if (fd_ >= 0) close(fd_);
  }
  PhaseFile(const PhaseFile&) = delete;
  PhaseFile& operator=(const PhaseFile&) = delete;
  void set(std::string line) {
    // "baseline 1.2s" -> "baseline": the phase, without its running clock.
    if (auto sp = line.rfind(' '); sp != std::string::npos && line.size() > sp + 2 && line.back() == 's' &&
                                   line.find_first_not_of("0123456789.", sp + 1) == line.size() - 1)
      line.resize(sp);
    if (fd_ < 0 || line == last_) return;
    last_ = line;
    line += '\n';
    if (ftruncate(fd_, 0) == 0 && pwrite(fd_, line.data(), line.size(), 0) < 0) return;
  }

 private:
  int fd_;
  std::string last_;
};

}  // namespace

int run_scenario(const Scenario& given, const RunOptions& opt) {
  // From here on SIGINT/SIGTERM unwind whatever the run is doing (exit 130).
  install_interrupt_handler();
  // The user's database and workload file are checked before anything else,
  // and before the run folder exists: bad input leaves nothing behind.
  Scenario s = given;
  const nlohmann::json user_data = prepare_user_data(s);
  if (opt.shard_n < 1 || opt.shard_k < 0 || opt.shard_k >= opt.shard_n)
    throw UsageError(fmt::format("--shard {}/{}: expected K/N with 0 <= K < N", opt.shard_k, opt.shard_n));
  check_scenario(s);
  auto cells = shard(expand(s), opt.shard_k, opt.shard_n);
  if (!opt.rates_from.empty() && !s.rate_auto)
    throw UsageError("--rates-from takes the rates a capacity probe chose: it needs rate = auto");
  std::map<std::string, double> rates;  // capacity-derived per-writer rate per probe key
  nlohmann::json borrowed = nlohmann::json::array();
  if (!opt.rates_from.empty()) rates = rates_from(opt.rates_from, cells, borrowed);
  // Every SQLite build is found (or built) before any work: a missing one is bad input.
  nlohmann::json builds = nlohmann::json::object();
  for (auto& b : s.sqlite) builds[b] = resolve_sqlite_build(b).info;
  const std::string out = prepare_out(opt);
  check_free_space(s, cells, out);
  remove_stale_segments();
  for (auto& line : clean_stale_loop_fs()) fmt::print(stderr, "cleaned up after an earlier run: {}\n", line);
  for (auto& line : clean_dead_runs(out)) fmt::print(stderr, "cleaned up after an earlier run: {}\n", line);
  for (auto& line : clean_dead_templates(template_cache_dir()))
    fmt::print(stderr, "cleaned up after an earlier run: {}\n", line);

  if (unoptimised_build())
    fmt::print(stderr, "WARNING: backup-bench was built without optimisation (or with sanitizers); "
                       "latency and throughput figures are not representative.\n");
  nlohmann::json results{{"schema", kResultsSchema}, {"verdicts", verdict_table()},
                         {"tool", {{"name", "backup-bench"}, {"version", BB_VERSION}, {"commit", BB_GIT_COMMIT}}},
                         {"sqlite_version", sqlite_version()},
                         {"started_at", timestamp("%Y-%m-%dT%H:%M:%SZ")},
                         {"command_line", opt.command_line},
                         {"host", host_context(out)},
                         {"scenario", to_json(s)},
                         {"database", user_data["database"]},
                         {"workload_file", user_data["workload_file"]},
                         {"strategies", strategies_json()},
                         {"sqlite_builds", builds},
                         {"shard", {{"k", opt.shard_k}, {"n", opt.shard_n}}},
                         {"cells_total", expand(s).size()},
                         {"probes", borrowed},
                         {"rates_from", opt.rates_from.empty() ? nlohmann::json(nullptr) : nlohmann::json(opt.rates_from)},
                         {"trials", nlohmann::json::array()}};
  const bool tty = isatty(2);
  // What the run is doing now, for whoever watches a run without a terminal.
  PhaseFile phase_file(out + "/progress");
  // Everything `run` says (not the live progress line) is also kept in the run
  // folder as console.log.
  std::FILE* log = std::fopen((out + "/console.log").c_str(), "w");
  auto say = [&](std::FILE* to, const std::string& text) {
    fmt::print(to, "{}{}", to == stderr && tty ? "\r\033[K" : "", text);
    if (log) fmt::print(log, "{}", text), std::fflush(log);
  };
  say(stderr, fmt::format("backup-bench {}: {} trials, run folder {}\n", s.name, cells.size(), out));
  if (auto& d = user_data["database"]; !d.is_null())
    say(stderr, fmt::format("database {}: {} bytes, page size {}, {} pages, {} tables, {} indices ({} mode; never "
                            "written: every trial runs on a copy)\n",
                            d["file"].get<std::string>(), d["bytes"].get<int64_t>(), d["page_size"].get<int64_t>(),
                            d["pages"].get<int64_t>(), d["tables"].get<int64_t>(), d["indices"].get<int64_t>(),
                            d["journal_mode"].get<std::string>()));
  if (auto& w = user_data["workload_file"]; !w.is_null())
    say(stderr, fmt::format("workload file {} (hash {})\n", w["name"].get<std::string>(), w["hash"].get<std::string>()));
  int exit_code = 0;
  bool interrupted = false, harness_failed = false, full = false;
  std::vector<std::string> unsteady;
  const int64_t started = now_ns();
  for (size_t i = 0; i < cells.size() && !interrupted && !full; ++i) {
    const Cell& c = cells[i];
    std::string head = fmt::format("[{}/{}] {} {} db={}MB w={}{}{} r{}{}", i + 1, cells.size(), c.mode,
                                   c.strategy.label, c.db_mb, c.writers,
                                   c.filesystem == "host" ? "" : " fs=" + c.filesystem,
                                   c.sqlite == "system" ? "" : " sqlite=" + c.sqlite, c.repetition,
                                   c.fault == "none" ? "" : " fault=" + c.fault);
    // Elapsed time and an estimate of what is left, from the trials done so far.
    // `done`: trials finished (i while this one runs, i + 1 once it has).
    auto clock = [&](size_t done) {
      const double el = ns_to_s(now_ns() - started);
      if (done == 0 || done == cells.size()) return fmt::format("{:.0f}s", el);
      return fmt::format("{:.0f}s, ~{:.0f}s left", el, el / double(done) * double(cells.size() - done));
    };
    TrialEnv env{out, opt.keep_snapshots, s.rate, nullptr};
    env.progress = [&](const std::string& what) {
      if (tty) fmt::print(stderr, "\r\033[K{} ({}): {}", head, clock(i), what);
      phase_file.set(head + ": " + what);
    };
    nlohmann::json t;
    try {
      if (s.rate_auto) {
        const std::string key = probe_key(c);
        if (!rates.count(key)) {
          if (env.progress) env.progress("probing capacity");
          ProbeResult p = probe_capacity(s, c, out + "/probes/" + key);
          say(stderr, fmt::format("capacity probe {}: {:.0f} tx/s closed loop -> {:.1f} tx/s per writer ({:.0f}%){}\n",
                                  key, p.capacity_tx_s, p.writer_rate, 100 * p.utilisation,
                                  p.ended_early.empty() ? "" : "; ended " + p.ended_early));
          if (p.writer_rate < 0.01)
            throw HarnessError(fmt::format("the capacity probe for {} measured no commits", key));
          results["probes"].push_back(p);
          rates[key] = p.writer_rate;
        }
        env.writer_rate = rates[key];
      }
      t = run_trial(s, c, env);
      // A trial an interrupt cut short (a statement ended with SQLITE_INTERRUPT
      // may look like a verdict) is not recorded.
      throw_if_interrupted();
    } catch (const Interrupted&) {
      interrupted = true;
      break;
    } catch (const UsageError&) {
      throw;
    } catch (const std::exception& e) {
      if (g_interrupted) {
        interrupted = true;
        break;
      }
      if (says_disk_full(e.what()) || disk_full(out) || disk_full(template_cache_dir())) {
        // A full disk stops the run: what was written stays valid, the current
        // trial's files go.
        full = true;
        say(stderr, fmt::format("ERROR: the disk is full ({}); stopping after {} of {} trials: {}\n", out, i,
                                cells.size(), e.what()));
        std::error_code ec;
        for (auto& d : fs::directory_iterator(out + "/trials", ec))
          if (d.path().filename().string().rfind(fmt::format("{:03d}-", c.index), 0) == 0) fs::remove_all(d.path(), ec);
        break;
      }
      t = harness_failure(c, s, e.what());
      harness_failed = true;
      say(stderr, fmt::format("HARNESS ERROR in {}: {}\n", head, e.what()));
    }
    std::string unsteady_note;
    // A faulted trial is left out of writer figures anyway (docs/faults.md).
    if (t["harness_error"].is_null() && t["backup"]["status"] != "skipped" && !t["load"]["steady"].get<bool>() &&
        t["fault"].is_null()) {
      unsteady.push_back(fmt::format("{}/{} r{}", c.mode, c.strategy.label, c.repetition));
      unsteady_note = ", UNSTEADY load: " + t["load"]["reason"].get<std::string>();
    }
    std::string verdicts;
    for (auto& b : t["backups"]) verdicts += (verdicts.empty() ? "" : ",") + b["verdict"]["status"].get<std::string>();
    say(stderr, fmt::format("{} ({}): backup {} {:.2f}s, verdict {}{}\n", head, clock(i + 1),
                            t["backup"]["status"].get<std::string>(), t["backup"]["duration_s"].get<double>(), verdicts,
                            unsteady_note));
    // The application's own rules refused some transactions: named per kind.
    if (t.contains("workload_kinds") && t["workload_kinds"].is_object())
      for (auto& [kind, k] : t["workload_kinds"].items())
        if (k.value("constraint_errors", int64_t(0)) > 0)
          say(stderr, fmt::format("  writer kind '{}': {} transaction(s) rolled back by a constraint error ({} "
                                  "committed); last: {}\n",
                                  kind, k["constraint_errors"].get<int64_t>(), k.value("commits", int64_t(0)),
                                  k["last_error"].is_string() ? k["last_error"].get<std::string>() : "?"));
    if (trial_is_finding(t) && exit_code == 0) exit_code = 1;
    results["trials"].push_back(std::move(t));
    // What is done so far, in case the run dies: complete trials, no summary yet.
    try {
      results["partial"] = true;
      write_results(out, results);
    } catch (const std::exception& e) {
      if (!disk_full(out)) throw;
      full = true;
      say(stderr, fmt::format("ERROR: the disk is full ({}); stopping after {} of {} trials: {}\n", out, i + 1,
                              cells.size(), e.what()));
    }
  }
  results.erase("partial");
  results["summary"] = summarize(results["trials"], [&](const nlohmann::json& t) {
    return t["series"].is_string() ? out + "/" + t["series"].get<std::string>() : std::string();
  });
  // What building databases cost this run: templates built (populated) and the
  // copies every trial and probe started from.
  {
    double populate = 0, copy = 0, flush = 0;
    int built = 0;
    for (auto& e : population_log()) {
      populate += e["populate_s"].get<double>();
      copy += e["copy_s"].get<double>();
      flush += e.value("flush_s", 0.0);
      built += e["from_cache"].get<bool>() ? 0 : 1;
    }
    results["population"] = {{"templates_built", built},
                             {"populate_s", populate},
                             {"copy_s", copy},
                             {"flush_s", flush},
                             {"instances", population_log()}};
  }
  results["interrupted"] = interrupted;
  results["stopped_disk_full"] = full;
  results["finished_at"] = timestamp("%Y-%m-%dT%H:%M:%SZ");
  try {
    write_results(out, results);
  } catch (const std::exception& e) {
    if (!disk_full(out)) throw;
    say(stderr, fmt::format("ERROR: the disk is full; the results of the completed trials are in {}/results.json "
                            "without their summary: {}\n",
                            out, e.what()));
    return 2;
  }
  say(stdout, summary_table(results));
  say(stdout, fmt::format("\nresults: {}/results.json\n", out));
  if (!unsteady.empty())
    say(stderr, fmt::format("WARNING: {} trial(s) had an unsteady load before the backup and are left out of writer "
                            "figures, comparisons and recommendations: {}\n",
                            unsteady.size(), fmt::join(unsteady, ", ")));
  if (log) std::fclose(log), log = nullptr;
  phase_file.set(full ? "stopped: the disk is full" : interrupted ? "interrupted" : "finished");
  if (full) return 2;
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
