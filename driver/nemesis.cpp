// The nemesis: preparing a fault, striking it during the backup, and checking
// the outcome and the source afterwards.
#include "driver/nemesis.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>

#include "core/clock.h"
#include "core/fault_fs.h"
#include "core/files.h"
#include "core/loop_fs.h"
#include "core/shared_state.h"
#include "driver/load.h"
#include "strategies/atomic_dest.h"
#include "validation/validator.h"

namespace fs = std::filesystem;

namespace bb {
namespace {

int pidfd_open(pid_t pid) { return int(syscall(SYS_pidfd_open, pid, 0)); }
int pidfd_signal(int fd, int sig) { return int(syscall(SYS_pidfd_send_signal, fd, sig, nullptr, 0)); }

// Waits (up to `ms`) until the process behind a pidfd has ended.
bool wait_dead(int fd, int ms) {
  pollfd p{fd, POLLIN, 0};
  return poll(&p, 1, ms) == 1;
}

char proc_state(pid_t pid) {
  std::ifstream in(fmt::format("/proc/{}/stat", pid));
  std::string s;
  if (!std::getline(in, s)) return 0;
  auto rp = s.rfind(')');
  return rp == std::string::npos || rp + 2 >= s.size() ? 0 : s[rp + 2];
}

bool writer_fault(const std::string& k) { return k == "kill-writer" || k == "pause-writer"; }

std::string target_of(const std::string& k) {
  if (writer_fault(k)) return "writer 0";
  if (k == "kill-reader") return "reader 0";
  if (k == "kill-backup") return "the backup process";
  return "the destination";
}

// What lies at or beside `dest` that a backup may have written: the file, its
// sidecars, and temporaries (".NAME.partial-PID...").
// A completed backup's own files (the destination and the companions it wrote)
// are left out with `completed`.
std::vector<std::string> written_at(const std::string& dest, bool completed) {
  std::vector<std::string> out;
  std::error_code ec;
  if (!completed) {
    if (fs::exists(fs::symlink_status(dest, ec))) out.push_back(fs::path(dest).filename().string());
    for (auto side : kSidecars)
      if (fs::exists(fs::symlink_status(with_suffix(dest, side), ec)))
        out.push_back(fs::path(with_suffix(dest, side)).filename().string());
  }
  const std::string prefix = partial_prefix(dest);
  fs::path dir = fs::path(dest).parent_path();
  for (auto& e : fs::directory_iterator(dir.empty() ? fs::path(".") : dir, ec))
    if (e.path().filename().string().rfind(prefix, 0) == 0) out.push_back(e.path().filename().string());
  return out;
}

std::string join_names(const std::vector<std::string>& v) {
  std::string out;
  for (auto& x : v) out += (out.empty() ? "" : ", ") + x;
  return out;
}

}  // namespace

std::optional<FaultRecord> planned_fault(const Scenario& s, const Cell& c) {
  if (c.fault == "none") return std::nullopt;
  FaultRecord f;
  f.kind = c.fault;
  f.at = c.fault == "fail-dest-write" || c.fault == "fail-dest-fsync"
             ? "the destination, from the start"
             : fmt::format("{}+{}ms", s.fault_at, s.fault_delay_ms);
  f.target = target_of(c.fault);
  return f;
}

Nemesis::Nemesis(const Scenario& s, const Cell& c)
    : kind_(c.fault),
      at_(s.fault_at),
      delay_ms_(s.fault_delay_ms),
      pause_ms_(s.fault_pause_ms),
      writers_(int(c.writers)),
      workload_(s.workload) {
  if (kind_ == "fill-dest") {
    // Room for a copy of the database and a little more: the backup's own
    // free-space check passes, and the ballast fills the rest when it strikes.
    LoopFsSpec spec;
    spec.kind = FsKind::kTmpfs;
    spec.size_bytes = c.db_mb * (int64_t(3) << 19) + (int64_t(4) << 20);
    spec.label = "dest";
    LoopFsResult r = mount_loop_fs(spec);
    if (!r.fs) {
      cannot_ = r.cannot;
      return;
    }
    tmpfs_ = std::move(r.fs);
    dest_dir_ = tmpfs_->data_dir();
    fs::create_directories(dest_dir_);
  } else if (kind_ == "fail-dest-write" || kind_ == "fail-dest-fsync") {
    FaultFsSpec spec;
    if (kind_ == "fail-dest-write") spec.write_limit = s.fault_write_limit_kb * 1024;
    else spec.fail_fsync = true;
    FaultFsResult r = mount_fault_fs(spec);
    if (!r.fs) {
      cannot_ = r.cannot;
      return;
    }
    faultfs_ = std::move(r.fs);
    dest_dir_ = faultfs_->mount_point();
  }
}

Nemesis::~Nemesis() {
  {
    std::lock_guard lock(mu_);
    cancel_ = true;
  }
  cv_.notify_all();
  join();
  if (paused_ && target_fd_ >= 0) pidfd_signal(target_fd_, SIGCONT);
  if (target_fd_ >= 0) close(target_fd_);
}

std::string Nemesis::destination(const std::string& dest) const {
  return dest_dir_.empty() ? dest : dest_dir_ + "/" + fs::path(dest).filename().string();
}

void Nemesis::join() {
  if (thread_.joinable()) thread_.join();
}

bool Nemesis::wait_ms(int64_t ms) {
  std::unique_lock lock(mu_);
  return !cv_.wait_for(lock, std::chrono::microseconds(ms * 1000), [&] { return cancel_; });
}

void Nemesis::strike(Load& load, pid_t backup) {
  if (kind_ == "none" || kind_ == "fail-dest-write" || kind_ == "fail-dest-fsync") return;
  load_ = &load;
  seg_ = std::make_unique<ShmSegment>(ShmSegment::attach(load.segment()));
  pid_t pid = backup;
  if (writer_fault(kind_)) target_slot_ = 0;
  if (kind_ == "kill-reader") target_slot_ = writers_;
  if (target_slot_ >= 0) pid = load.worker_pid(target_slot_);
  if (kind_ != "fill-dest") {
    target_pid_ = pid;
    target_fd_ = pid > 0 ? pidfd_open(pid) : -1;
    if (target_fd_ < 0) {
      strike_detail_ = fmt::format("not injected: {} is not running ({})", target_of(kind_), strerror(errno));
      return;
    }
  }
  if (kind_ == "kill-writer" || kind_ == "kill-reader") load.expect_death(target_slot_, SIGKILL);
  thread_ = std::thread([this] { run_strike(); });
}

void Nemesis::run_strike() {
  SharedState& st = *seg_->state();
  const std::atomic<int64_t>& mark = at_ == "asked" ? st.backup.asked_ns : st.backup.read_begin_ns;
  while (mark.load() == 0) {
    if (backup_done_) {
      strike_detail_ = fmt::format("not injected: the backup ended before it {}",
                                   at_ == "asked" ? "asked for the database" : "read the source");
      return;
    }
    std::unique_lock lock(mu_);
    if (cv_.wait_for(lock, std::chrono::microseconds(50), [&] { return cancel_; })) return;
  }
  if (delay_ms_ > 0 && !wait_ms(delay_ms_)) return;
  strike_now();
}

void Nemesis::strike_now() {
  SharedState& st = *seg_->state();
  const BackupProgress& bp = st.backup;
  auto cancelled = [&] {
    std::lock_guard lock(mu_);
    return cancel_;
  };
  if (kind_ == "fill-dest") {
    during_backup_ = bp.released_ns.load() == 0;
    struck_ns_ = now_ns();
    struck_ = true;
    const std::string ballast = dest_dir_ + "/.nemesis-ballast";
    int fd = open(ballast.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    std::vector<char> chunk(1 << 20, 'x');
    int err = 0;
    while (fd >= 0 && !cancelled()) {
      ssize_t w = write(fd, chunk.data(), chunk.size());
      if (w > 0) ballast_bytes_ += w;
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) {
        err = w < 0 ? errno : ENOSPC;
        break;
      }
    }
    if (fd >= 0) close(fd);
    strike_detail_ = fmt::format("filled the destination's {} MB tmpfs with {:.1f} MB of ballast until {}",
                                 tmpfs_->info().value("size_bytes", int64_t(0)) >> 20, double(ballast_bytes_) / 1e6,
                                 err ? strerror(err) : "cancelled");
    return;
  }
  if (kind_ == "kill-backup" && backup_done_) {
    strike_detail_ = "not injected: the backup had ended";
    return;
  }
  const std::string who = fmt::format("{} (pid {})", target_of(kind_), target_pid_);
  if (writer_fault(kind_)) {
    // Inside a transaction, for certain: stop the writer as one begins, look at
    // its slot while it cannot move, and let it go on to try again if it had
    // already finished (a transaction lasts from well under a millisecond to a
    // few; the probes are bounded).
    // Past a short deadline (on a busy machine the probes can keep missing) it
    // strikes between transactions, and says so.
    const WorkerSlot& w = st.workers[target_slot_];
    const int64_t deadline = now_ns() + 150'000'000;
    auto go_on = [&] { return now_ns() < deadline && !st.stop.load() && !cancelled(); };
    bool inside = false;
    while (!inside && go_on()) {
      while (w.in_tx.load() && go_on()) std::this_thread::yield();  // let the current one end
      while (!w.in_tx.load() && go_on()) std::this_thread::yield();
      if (!go_on()) break;
      if (pidfd_signal(target_fd_, SIGSTOP) != 0) break;
      const int64_t stop_deadline = now_ns() + 1'000'000'000;
      while (proc_state(target_pid_) != 'T' && now_ns() < stop_deadline) std::this_thread::yield();
      inside = w.in_tx.load() != 0;
      if (!inside) pidfd_signal(target_fd_, SIGCONT);
    }
    if (st.stop.load() && !inside) {
      strike_detail_ = fmt::format("not injected: the load stopped before {} could be caught", who);
      return;
    }
    paused_ = inside;
    mid_transaction_ = inside;
    during_backup_ = bp.released_ns.load() == 0;
    if (kind_ == "pause-writer") {
      if (!inside && pidfd_signal(target_fd_, SIGSTOP) != 0) {
        strike_detail_ = fmt::format("not injected: {} had ended ({})", who, strerror(errno));
        return;
      }
      paused_ = true;
      struck_ns_ = now_ns();
      struck_ = true;
      // The pause ends early when the load stops (a stopped writer would hold
      // up the end of the trial) or the trial is cancelled.
      const int64_t until = now_ns() + pause_ms_ * 1'000'000;
      bool full = true;
      while (now_ns() < until) {
        if (st.stop.load() || !wait_ms(std::min<int64_t>(10, (until - now_ns()) / 1'000'000 + 1))) {
          full = false;
          break;
        }
      }
      // Someone else may have resumed it meanwhile (fs-snapshot resumes every
      // process it froze).
      const bool still_stopped = proc_state(target_pid_) == 'T';
      pidfd_signal(target_fd_, SIGCONT);
      paused_ = false;
      strike_detail_ = fmt::format("SIGSTOP to {} {}, SIGCONT {}{}", who,
                                   inside ? "inside a transaction (holding its locks)" : "between transactions",
                                   full ? fmt::format("{} ms later", pause_ms_) : "early (the trial ended)",
                                   still_stopped ? "" : "; it had been resumed before that by another process");
      return;
    }
  } else {
    during_backup_ = bp.released_ns.load() == 0;
  }
  if (pidfd_signal(target_fd_, SIGKILL) != 0) {
    strike_detail_ = fmt::format("not injected: {} had ended ({})", who, strerror(errno));
    return;
  }
  struck_ns_ = now_ns();
  struck_ = true;
  paused_ = false;
  wait_dead(target_fd_, 5000);
  if (target_slot_ >= 0 && kind_ == "kill-writer") {
    const WorkerSlot& w = st.workers[target_slot_];
    mid_transaction_ = w.in_tx.load() != 0;
    strike_detail_ = fmt::format("SIGKILL to {} {} (its last returned COMMIT: seq {})", who,
                                 *mid_transaction_ ? "inside a transaction" : "between transactions",
                                 w.last_committed_seq.load());
  } else {
    strike_detail_ = fmt::format("SIGKILL to {}{}", who,
                                 kind_ == "kill-backup" ? (*during_backup_ ? " while it held the database"
                                                                           : " after it released the database")
                                                        : "");
  }
}

void Nemesis::backup_ended(BackupRun& b, const ExitStatus& ex) {
  if (kind_ == "none") return;
  backup_done_ = true;
  if (kind_ != "pause-writer") join();  // a pause runs on into the cool-down
  const std::string& dest = b.snapshot_file;
  if (kind_ == "kill-backup" && struck_) {
    backup_killed_ = ex.signal == SIGKILL;
    if (backup_killed_) {
      b.backup.status = BackupStatus::kFailed;
      b.backup.failure = FailureKind::kInternal;
      b.backup.error = fmt::format("killed by the nemesis (SIGKILL at {}+{}ms{})", at_, delay_ms_,
                                   *during_backup_ ? ", while it held the database" : "");
      // What the next backup to this destination does (strategies/atomic_dest.h).
      partials_removed_ = remove_stale_partials(dest);
    } else {
      strike_detail_ += "; the backup had already ended";
    }
  }
  // Leftovers are looked at now, before anything else touches the folder.
  auto left = written_at(dest, b.backup.completed());
  std::erase_if(left, [](const std::string& n) { return n == ".nemesis-ballast"; });
  dest_left_ = join_names(left);
}

std::pair<int64_t, int64_t> Nemesis::committed_and_span(Load& load) const {
  std::vector<int64_t> seqs;
  for (auto& smp : load.writer_samples) seqs.push_back(smp.seq);
  for (int i = 0; i < writers_; ++i) {
    const int64_t last = load.state().workers[i].last_committed_seq.load();
    if (last > 0) seqs.push_back(last);
  }
  std::sort(seqs.begin(), seqs.end());
  seqs.erase(std::unique(seqs.begin(), seqs.end()), seqs.end());
  // Every transaction of a workload adds the same number of seqs: the smallest
  // step between recorded commits.
  int64_t span = 0;
  for (size_t i = 1; i < seqs.size(); ++i)
    if (span == 0 || seqs[i] - seqs[i - 1] < span) span = seqs[i] - seqs[i - 1];
  if (span == 0 && !seqs.empty()) span = seqs.front();
  return {seqs.empty() ? 0 : seqs.back(), span};
}

FreshnessBounds Nemesis::widen(FreshnessBounds bounds, Load& load) const {
  if (kind_ != "kill-writer" || !struck_ || !load.deaths().count(0)) return bounds;
  const WorkerSlot& w = load.state().workers[0];
  const int64_t last = w.last_committed_seq.load();
  // Its lost samples are all at or below its last returned COMMIT; a
  // transaction in flight, if it committed, is above every recorded one.
  int64_t hi = std::max(bounds.max.value_or(0), last);
  if (w.in_tx.load()) {
    const auto [committed, span] = committed_and_span(load);
    hi = std::max(hi, committed + span);
  }
  bounds.max = hi;
  return bounds;
}

void Nemesis::after_trial(TrialResult& t, Load& load, const std::string& db, const std::string& scratch) {
  if (kind_ == "none") return;
  join();
  if (!t.fault) {
    t.fault.emplace();
    t.fault->kind = kind_;
  }
  FaultRecord& f = *t.fault;
  f.injected = struck_ && (kind_ != "kill-backup" || backup_killed_);
  f.injected_ns = f.injected ? struck_ns_.load() : 0;
  f.during_backup = during_backup_;
  f.mid_transaction = mid_transaction_;
  f.detail = strike_detail_;
  f.partials_removed = partials_removed_;
  if (kind_ == "kill-writer" && f.injected && !t.load.steady)
    t.load.reason += "; writer 0 was killed by the nemesis, and its samples not yet written with it";
  if (tmpfs_) f.dest = tmpfs_->info();
  if (faultfs_) {
    auto errors = faultfs_->injected();
    f.dest = faultfs_->info();
    f.dest["errors"] = errors.size();
    f.injected = !errors.empty();
    f.during_backup = f.injected ? std::optional<bool>(true) : std::nullopt;
    f.detail = errors.empty() ? "not injected: no write or fsync reached the faulty destination"
                              : fmt::format("{} error(s) returned to the backup; the first: {}", errors.size(),
                                            errors.front());
  }

  // The outcome: a snapshot that is OK, or FAILED with a reason and nothing at
  // the destination; never a wrong snapshot from a strategy expected to be safe.
  FaultCheck out;
  const BackupRun& b = t.first();
  if (b.backup.status == BackupStatus::kSkipped) {
    out.detail = "skipped: " + b.backup.error;
  } else if (b.backup.completed()) {
    if (!dest_left_.empty()) {
      out.ok = false;
      out.detail = "the backup completed but left temporaries: " + dest_left_;
    } else if (b.verdict.ok()) {
      out.detail = "completed; the snapshot is OK";
    } else if (t.expected_safe) {
      out.ok = false;
      out.detail = fmt::format("a wrong snapshot from a strategy expected to be safe: {}: {}", b.verdict.status,
                               b.verdict.detail);
    } else {
      out.detail = fmt::format("completed; the snapshot is {} (the strategy is not expected to be safe here): {}",
                               b.verdict.status, b.verdict.detail);
    }
  } else if (b.backup.error.empty()) {
    out.ok = false;
    out.detail = "the backup failed without a reason";
  } else if (!dest_left_.empty()) {
    out.ok = false;
    out.detail = fmt::format("the backup failed ({}) but left {} at the destination", b.backup.error, dest_left_);
  } else {
    const nlohmann::json kind = b.backup.failure;
    out.detail = fmt::format("{} ({}): {}; nothing at the destination", b.backup.status == BackupStatus::kTimeout ? "timed out" : "failed",
                             kind.is_string() ? kind.get<std::string>() : "?", b.backup.error);
  }
  t.outcome_check = out;

  // The source: every transaction whose COMMIT returned is there, and nothing
  // else but a killed writer's transaction in flight (either way is fine).
  const auto [lo, span] = committed_and_span(load);
  const bool in_flight = kind_ == "kill-writer" && load.deaths().count(0) && load.state().workers[0].in_tx.load() != 0;
  FreshnessBounds bounds{lo, std::nullopt};
  if (!in_flight) bounds.max = lo;
  else if (span > 0) bounds.max = lo + span;
  FaultCheck src;
  src.facts = {{"committed_min", lo},
               {"committed_max", bounds.max ? nlohmann::json(*bounds.max) : nullptr},
               {"in_flight", in_flight},
               {"source_seq", nullptr}};
  try {
    Verdict v = validate_snapshot(db, workload_, bounds, ValidateOptions(false, scratch));
    src.ok = v.ok();
    src.status = v.status;
    src.facts["source_seq"] = v.snapshot_seq;
    src.facts["checks"] = v.checks;
    src.facts["recovered_copy"] = v.recovered_copy;
    if (!v.ok()) {
      src.detail = v.detail;
    } else {
      src.detail = fmt::format("consistent, and holds every transaction whose COMMIT returned (up to seq {})", lo);
      if (in_flight)
        src.detail += v.snapshot_seq > lo ? "; the killed writer's transaction in flight committed"
                                          : "; the killed writer's transaction in flight was rolled back";
    }
  } catch (const std::exception& e) {
    src.ok = false;
    src.status = "ERROR";
    src.detail = fmt::format("the source could not be checked: {}", e.what());
  }
  t.source_check = src;
}

}  // namespace bb
