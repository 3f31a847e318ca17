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
    if (kind_ == "fail-dest-write")
      spec.write_limit = s.fault_write_limit_kb * 1024;
    else
      spec.fail_fsync = true;
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
    strike_detail_ =
        fmt::format("SIGKILL to {} {} (its last returned COMMIT: seq {})", who,
                    *mid_transaction_ ? "inside a transaction" : "between transactions", w.last_committed_seq.load());
  } else {
    strike_detail_ = fmt::format(
        "SIGKILL to {}{}", who,
        kind_ == "kill-backup" ? (*during_backup_ ? " while it held the database" : " after it released the database")
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

}  // namespace bb
