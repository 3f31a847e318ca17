// The trial runner: the driver's side of one experiment cell.
#include "driver/trial.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <thread>
#include <boost/interprocess/sync/scoped_lock.hpp>

#include "core/clock.h"
#include "core/files.h"
#include "driver/metrics.h"
#include "driver/populate.h"
#include "core/process.h"
#include "core/shared_state.h"
#include "driver/trial_record.h"
#include "validation/validator.h"
#include "workloads/workload.h"

namespace fs = std::filesystem;

namespace bb {

volatile sig_atomic_t g_interrupted = 0;

namespace {

// Every child process of the trial; whatever happens, none outlives it.
struct Children {
  std::vector<pid_t> pids;
  ~Children() {
    for (pid_t p : pids)
      if (p > 0) kill_and_wait(p);
  }
  void forget(pid_t p) { std::erase(pids, p); }
};

std::string sanitize(const std::string& s) {
  std::string o;
  for (char ch : s) o += std::isalnum((unsigned char)ch) || ch == '-' || ch == '_' ? ch : '_';
  return o;
}

// The driver's monitoring loop: samples file sizes, watches for failed workers and
// for Ctrl-C, and returns at `until` or when `watch` (if any) has exited. It
// paces itself with a short sleep: it observes, it never synchronises anyone.
struct Monitor {
  SharedState& st;
  const std::string& db;
  std::vector<SizeSample>& sizes;
  const std::vector<pid_t>& workers;
  const TrialEnv& env;

  std::optional<ExitStatus> run_until(int64_t until, pid_t watch, const std::string& what) {
    int64_t last_progress = 0;
    while (true) {
      int64_t now = now_ns();
      sizes.push_back({now, file_size_or_zero(db + "-wal"), file_size_or_zero(db)});
      if (g_interrupted) throw Interrupted();
      for (size_t i = 0; i < workers.size(); ++i) {
        if (st.workers[i].failed.load())
          throw std::runtime_error(fmt::format("worker {} failed: {}", i, st.workers[i].error));
      }
      if (watch > 0)
        if (auto ex = try_wait(watch)) return ex;
      if (now >= until) return std::nullopt;
      if (env.progress && now - last_progress > 100'000'000) {
        env.progress(what);
        last_progress = now;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
};

std::string last_line_of(const std::string& path) {
  std::ifstream in(path);
  std::string line, last;
  while (std::getline(in, line))
    if (!line.empty()) last = line;
  return last;
}

}  // namespace

nlohmann::json run_trial(const Scenario& s, const Cell& c, const TrialEnv& env) {
  const StrategyInfo* info = find_strategy(c.strategy.name);
  Params params = resolve_params(*info, c.strategy.params);
  TrialRecord rec;
  rec.cell = c;
  rec.params = params;
  rec.expected_safe = info->expected_safe(c.mode, params);
  rec.readers = s.readers;
  rec.rate = s.rate;

  if (auto why = info->skip_reason(c.mode, true); !why.empty()) {
    rec.outcome.status = BackupStatus::kSkipped;
    rec.outcome.error = why;
    rec.verdict = no_snapshot("SKIPPED", why);
    return rec.to_json();
  }

  // Paths inside results.json are relative to the run folder, so it can move.
  const std::string rel = fmt::format("trials/{:03d}-{}-{}-r{}", c.index, c.mode, sanitize(c.strategy.label),
                                      c.repetition);
  std::string dir = env.run_dir + "/" + rel;
  fs::create_directories(dir);
  rec.dir = dir;
  const std::string db = dir + "/db.sqlite";
  const std::string snapshot = dir + "/snapshot.db";
  if (env.progress) env.progress("populating");
  create_database(db, s, c.mode, c.db_mb, c.seed);
  rec.db_bytes = file_size_or_zero(db);

  ShmSegment seg = ShmSegment::create(make_segment_name());
  SharedState& st = *seg.state();
  const int nworkers = int(c.writers + s.readers);
  if (nworkers > kMaxWorkers) throw std::runtime_error(fmt::format("at most {} workers", kMaxWorkers));
  st.expected = nworkers;

  Children children;
  const std::string exe = self_exe();
  std::vector<pid_t> workers;
  for (int i = 0; i < nworkers; ++i) {
    bool writer = i < c.writers;
    std::vector<std::string> args{"__worker", "--shm", seg.name(), "--slot", std::to_string(i), "--role",
                                  writer ? "writer" : "reader", "--db", db, "--workload", s.workload,
                                  "--samples", fmt::format("{}/worker{}.bin", dir, i), "--seed",
                                  std::to_string(c.seed + uint64_t(i) + 1), "--rate",
                                  fmt::format("{}", writer ? s.rate : 0.0), "--busy-timeout",
                                  std::to_string(s.busy_timeout_ms), "--synchronous", s.synchronous,
                                  "--wal-autocheckpoint", std::to_string(s.wal_autocheckpoint),
                                  // Writers' schedules are spread evenly over one period, so
                                  // together they commit at a steady rate, not in bursts.
                                  "--offset-ns",
                                  std::to_string(writer && s.rate > 0 ? int64_t(1e9 / s.rate) * i / c.writers : 0)};
    pid_t p = spawn(exe, args);
    children.pids.push_back(p);
    workers.push_back(p);
  }

  // Start barrier: every worker has its connection and statements ready.
  while (!st.wait_for_arrivals(100)) {
    if (g_interrupted) throw Interrupted();
    for (int i = 0; i < nworkers; ++i) {
      if (st.workers[i].failed.load())
        throw std::runtime_error(fmt::format("worker {} failed: {}", i, st.workers[i].error));
      if (auto ex = try_wait(workers[i]))
        throw std::runtime_error(fmt::format("worker {} exited early (code {})", i, ex->code));
    }
  }
  const int64_t t0 = now_ns();
  st.release(t0);
  rec.t0_ns = t0;

  Monitor mon{st, db, rec.sizes, workers, env};
  mon.run_until(t0 + s_to_ns(s.warmup_s), 0, "warm-up");
  rec.baseline.begin = now_ns();
  mon.run_until(rec.baseline.begin + s_to_ns(s.baseline_s), 0, "baseline");

  // The backup, in its own process like a real external backup tool.
  rec.holders = holders_json(db);
  std::vector<std::string> bargs{"backup", "--strategy", info->name, "--shm", seg.name(), "--outcome",
                                 dir + "/outcome.json", "--in-trial"};
  for (auto& [k, v] : params) bargs.insert(bargs.end(), {"--opt", k + "=" + v});
  bargs.insert(bargs.end(), {db, snapshot});
  const int64_t spawned = now_ns();
  pid_t bpid = spawn(exe, bargs, {.stdout_path = dir + "/backup.log", .stderr_too = true});
  children.pids.push_back(bpid);
  auto ex = mon.run_until(spawned + s_to_ns(s.backup_timeout_s), bpid, info->name);
  int64_t ended = now_ns();
  bool timed_out = !ex;
  if (timed_out) {
    kill_and_wait(bpid);
    ended = now_ns();
    // A killed backup leaves its temporary file (never the destination) behind.
    for (auto& e : fs::directory_iterator(dir))
      if (e.path().filename().string().rfind(".snapshot.db.partial-", 0) == 0) fs::remove(e.path());
  }
  children.forget(bpid);
  const BackupProgress& bp = st.backup;
  rec.backup.begin = bp.read_begin_ns.load() ? bp.read_begin_ns.load() : spawned;
  rec.backup.end = bp.read_end_ns.load() ? bp.read_end_ns.load() : ended;
  if (timed_out || rec.backup.end < rec.backup.begin) rec.backup.end = ended;
  rec.read_outcome(dir + "/outcome.json", timed_out, ex ? ex->code : 0, last_line_of(dir + "/backup.log"),
                   s.backup_timeout_s);
  rec.outcome.steps = std::max(rec.outcome.steps, bp.steps.load());
  rec.outcome.restarts = std::max(rec.outcome.restarts, bp.restarts.load());
  rec.outcome.busy_retries = std::max(rec.outcome.busy_retries, bp.busy_retries.load());

  mon.run_until(ended + s_to_ns(s.cooldown_s), 0, "cool-down");
  st.stop = true;
  {
    // Wake anyone still at the barrier (cannot happen after release, but cheap).
    boost::interprocess::scoped_lock<boost::interprocess::interprocess_mutex> lock(st.mutex);
    st.cond.notify_all();
  }
  for (int i = 0; i < nworkers; ++i) {
    auto wex = wait_for(workers[i]);
    children.forget(workers[i]);
    if (!wex.ok())
      rec.errors.push_back(fmt::format("worker {} exited with code {}: {}", i, wex.code, st.workers[i].error));
  }
  for (int i = 0; i < nworkers; ++i) {
    auto v = read_samples(fmt::format("{}/worker{}.bin", dir, i));
    auto& into = i < c.writers ? rec.writer_samples : rec.reader_samples;
    into.insert(into.end(), v.begin(), v.end());
    rec.behind += st.workers[i].behind.load();
    rec.max_lag_ns = std::max(rec.max_lag_ns, st.workers[i].max_lag_ns.load());
    fs::remove(fmt::format("{}/worker{}.bin", dir, i));
  }
  seg.remove();

  if (env.progress) env.progress("validating");
  if (rec.outcome.completed()) {
    auto w = find_workload(s.workload)->make();
    rec.verdict = validate_snapshot(snapshot, w.get(), rec.freshness_bounds());
  } else {
    rec.verdict = no_snapshot("FAILED", rec.outcome.error);
    rec.verdict.bounds = rec.freshness_bounds();
  }
  rec.write_series(dir + "/series.json");
  rec.series = rel + "/series.json";
  if (!env.keep_snapshots) {
    remove_db_files(db);
    remove_db_files(snapshot);
  }
  return rec.to_json();
}

bool trial_is_finding(const nlohmann::json& t) {
  auto st = t["verdict"]["status"].get<std::string>();
  return t.value("expected_safe", false) && (st == "CORRUPT" || st == "INCONSISTENT" || st == "STALE");
}

}  // namespace bb
