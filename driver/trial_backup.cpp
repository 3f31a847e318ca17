// One backup of a trial: spawned like a real external backup tool, watched
// while the load runs, its outcome read back (or made from how it ended).
#include <fmt/format.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "core/files.h"
#include "driver/companion.h"
#include "driver/trial_steps.h"
#include "strategies/atomic_dest.h"

namespace fs = std::filesystem;

namespace bb {
namespace {

std::string last_line_of(const std::string& path) {
  std::ifstream in(path);
  std::string line, last;
  while (std::getline(in, line))
    if (!line.empty()) last = line;
  return last;
}

// The outcome the backup process wrote, or what its ending says when it wrote none.
BackupOutcome read_outcome(const std::string& path, const TrialResult& t, const BackupRun& b, bool timed_out,
                           const ExitStatus& ex, const std::string& log_line) {
  if (!timed_out && ex.ok()) {
    std::ifstream in(path);
    auto j = nlohmann::json::parse(in, nullptr, false);
    if (!j.is_discarded()) {
      try {
        return j.get<BackupOutcome>();
      } catch (const nlohmann::json::exception&) {
      }
    }
  }
  BackupOutcome o;
  o.strategy = t.cell.strategy.name;
  o.params = t.params;
  o.mode = t.cell.mode;
  o.duration_s = ns_to_s(b.impact.end - b.impact.begin);
  if (timed_out) {
    o.status = BackupStatus::kTimeout;
    o.failure = FailureKind::kLocked;
    o.error = fmt::format("no snapshot within the {:g} s time limit", t.time_limit_s);
  } else {
    o.status = BackupStatus::kFailed;
    o.failure = FailureKind::kInternal;
    o.error = log_line.empty() ? fmt::format("backup process exited with code {}", ex.code) : log_line;
  }
  return o;
}

// The command line of the trial's backups (each writes the same destination).
std::vector<std::string> backup_args(const TrialState& ts, Load& load) {
  std::vector<std::string> args{"backup", "--strategy", ts.info.name, "--shm", load.segment(), "--outcome",
                                ts.dir + "/outcome.json", "--in-trial"};
  for (auto& [k, v] : ts.t.params) args.insert(args.end(), {"--opt", k + "=" + v});
  args.insert(args.end(), {ts.db, ts.snapshot});
  return args;
}

// The backup's marks in the shared segment, cleared before it starts.
void clear_marks(BackupProgress& bp) {
  for (auto* m : {&bp.asked_ns, &bp.read_begin_ns, &bp.read_end_ns, &bp.released_ns, &bp.steps, &bp.restarts,
                  &bp.busy_retries, &bp.remaining})
    m->store(0);
}

// The windows the backup marked (impact: asked..released; snapshot: first..last
// read), or the process's own lifetime where it marked nothing.
void take_windows(BackupRun& b, const BackupProgress& bp, int64_t spawned, int64_t ended, bool timed_out) {
  auto mark = [](int64_t v, int64_t fallback) { return v ? v : fallback; };
  b.impact = {mark(bp.asked_ns.load(), spawned), mark(bp.released_ns.load(), ended)};
  b.snapshot = {mark(bp.read_begin_ns.load(), b.impact.begin), mark(bp.read_end_ns.load(), b.impact.end)};
  if (timed_out) b.impact.end = b.snapshot.end = ended;
  b.snapshot.end = std::max(b.snapshot.end, b.snapshot.begin);
}

// With several backups, each snapshot is set aside (a reflink where the
// filesystem has them) for validation after the load stops; the destination
// stays for the next backup (an incremental strategy finds its previous one).
void set_aside(BackupRun& b, const TrialState& ts) {
  b.snapshot_file = fmt::format("{}/snapshot-{}.db", ts.dest_dir, b.index);
  remove_db_files(b.snapshot_file);
  clone_or_copy(ts.snapshot, b.snapshot_file);
  for (auto side : kSidecars)
    if (fs::exists(with_suffix(ts.snapshot, side)))
      clone_or_copy(with_suffix(ts.snapshot, side), with_suffix(b.snapshot_file, side));
}

}  // namespace

void run_backup(TrialState& ts, Load& load, Nemesis& nemesis, int k, int64_t first_due, int64_t& ended) {
  const TrialSpec& spec = ts.spec;
  BackupRun& b = ts.t.backups.emplace_back();
  b.index = k;
  const int64_t due = first_due + s_to_ns(spec.backup_interval_s) * k;
  if (k > 0) load.watch_until(due, 0, fmt::format("waiting for backup {}/{}", k + 1, spec.backups));
  BackupProgress& bp = load.state().backup;
  clear_marks(bp);
  fs::remove(ts.dir + "/outcome.json");
  const int64_t spawned = now_ns();
  pid_t pid = spawn(ts.build.exe, backup_args(ts, load), {.stdout_path = ts.dir + "/backup.log", .stderr_too = true});
  load.adopt(pid);
  if (!ts.companion || !ts.companion->takes_fault(spec.cell.fault)) nemesis.strike(load, pid);
  WalWatch wal;
  const std::string what = fmt::format("backup {}{} (time limit {:g}s)", ts.info.name,
                                       spec.backups > 1 ? fmt::format(" {}/{}", k + 1, spec.backups) : "",
                                       ts.t.time_limit_s);
  auto ex = load.watch_until(spawned + s_to_ns(ts.t.time_limit_s), pid, what, &wal);
  const bool timed_out = !ex;
  if (timed_out) {
    ex = kill_and_wait(pid);
    remove_stale_partials(ts.snapshot);  // a killed backup leaves its temporary, never the destination
  }
  ended = now_ns();
  load.forget(pid);
  take_windows(b, bp, spawned, ended, timed_out);
  b.wal_at_start = std::max<int64_t>(0, wal.at_start);
  b.wal_peak = wal.peak;
  b.backup = read_outcome(ts.dir + "/outcome.json", ts.t, b, timed_out, *ex, last_line_of(ts.dir + "/backup.log"));
  b.backup.steps = std::max(b.backup.steps, bp.steps.load());
  b.backup.restarts = std::max(b.backup.restarts, bp.restarts.load());
  b.backup.busy_retries = std::max(b.backup.busy_retries, bp.busy_retries.load());
  b.backup.extra["started_late_ms"] = ns_to_ms(std::max<int64_t>(0, spawned - due));
  b.snapshot_file = ts.snapshot;
  nemesis.backup_ended(b, *ex);
  // A backup that a signal ended, when neither the time limit nor the nemesis
  // sent it, was killed from outside: the harness cannot judge it.
  if (ex->signal && !timed_out && !nemesis.killed_backup()) {
    remove_stale_partials(ts.snapshot);
    throw HarnessError(fmt::format("the backup process (pid {}) {}", pid, how_it_ended(*ex)));
  }
  if (spec.backups > 1 && b.backup.completed()) set_aside(b, ts);
}

}  // namespace bb
