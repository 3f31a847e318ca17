// The companion process of a continuous strategy (driver/companion.h).
#include "driver/companion.h"

#include "driver/fault.h"

#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "core/clock.h"
#include "core/interrupt.h"
#include "core/process.h"
#include "results/metrics.h"
#include "results/trial_result.h"

namespace fs = std::filesystem;

namespace bb {
namespace {

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::string last_line(const std::string& text) {
  std::string s = text;
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  auto nl = s.rfind('\n');
  return nl == std::string::npos ? s : s.substr(nl + 1);
}

int64_t tree_bytes(const std::string& dir) {
  std::error_code ec;
  int64_t n = 0;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec))
    if (it->is_regular_file(ec)) n += int64_t(it->file_size(ec));
  return n;
}

}  // namespace

Companion::Companion(const StrategyInfo& info, const Params& params, const std::string& db,
                     const std::string& replica_dir, const std::string& log, double ready_timeout_s)
    : log_(log) {
  if (!info.companion) return;
  spec_ = info.companion(db, replica_dir, params);
  // The log exists before the process does, so its first line cannot be missed.
  { std::ofstream(log_, std::ios::trunc); }
  started_ns_ = now_ns();
  pid_ = spawn(spec_.exe, spec_.args, {.stdout_path = log_, .stderr_too = true});
  try {
    wait_ready(ready_timeout_s);
  } catch (...) {
    cleanup();  // no destructor runs for a constructor that throws
    throw;
  }
}

Companion::~Companion() { cleanup(); }

void Companion::cleanup() noexcept {
  try {
    stop();
  } catch (...) {
  }
  std::error_code ec;
  for (auto& f : spec_.files) fs::remove_all(f, ec);
}

void Companion::wait_ready(double timeout_s) {
  if (spec_.ready_text.empty()) {
    ready_ns_ = now_ns();
    return;
  }
  // Woken by each write to the log (inotify), never by a timer alone: the
  // 100 ms bound is for Ctrl-C and for a process that ends without a word.
  int fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
  if (fd >= 0) inotify_add_watch(fd, log_.c_str(), IN_MODIFY);
  const int64_t deadline = started_ns_ + s_to_ns(timeout_s);
  while (true) {
    const std::string text = read_all(log_);
    if (text.find(spec_.ready_text) != std::string::npos) {
      ready_ns_ = now_ns();
      break;
    }
    if (!spec_.fail_text.empty())
      if (auto at = text.find(spec_.fail_text); at != std::string::npos) {
        size_t bol = text.rfind('\n', at);
        bol = bol == std::string::npos ? 0 : bol + 1;
        const size_t eol = text.find('\n', at);
        not_ready_ = text.substr(bol, eol == std::string::npos ? std::string::npos : eol - bol);
        break;
      }
    if (g_interrupted) {
      if (fd >= 0) close(fd);
      throw Interrupted();
    }
    if (!check() || now_ns() > deadline) break;
    pollfd p{fd, POLLIN, 0};
    if (fd >= 0 && poll(&p, 1, 100) > 0) {
      char buf[4096];
      while (read(fd, buf, sizeof buf) > 0) {
      }
    } else if (fd < 0) {
      poll(nullptr, 0, 10);  // no inotify: look again shortly
    }
  }
  if (fd >= 0) close(fd);
}

void Companion::reap_locked(const ExitStatus& ex) {
  pid_ = 0;
  ended_ns_ = now_ns();
  if (killed_ns_)
    ended_ = "killed by the nemesis (SIGKILL)";
  else if (ended_.empty())
    ended_ = fmt::format("{} on its own: {}", how_it_ended(ex), last_line(read_all(log_)));
}

bool Companion::check() {
  std::lock_guard lock(mu_);
  if (pid_ <= 0) return false;
  if (auto ex = try_wait(pid_)) {
    reap_locked(*ex);
    return false;
  }
  return true;
}

void Companion::kill_at(int64_t at_ns) {
  if (!active() || killer_.joinable()) return;
  kill_at_ns_ = at_ns;
  killer_ = std::thread([this] {
    std::unique_lock lock(mu_);
    // A deadline on the monotonic clock the trial's times use.
    while (!cancel_ && now_ns() < kill_at_ns_)
      cv_.wait_for(lock, std::chrono::nanoseconds(std::min<int64_t>(kill_at_ns_ - now_ns(), 100'000'000)));
    if (cancel_ || pid_ <= 0) return;
    killed_ns_ = now_ns();
    kill(pid_, SIGKILL);  // not reaped yet (reaping takes mu_): the pid is still ours
  });
}

void Companion::join() {
  {
    std::lock_guard lock(mu_);
    cancel_ = true;
  }
  cv_.notify_all();
  if (killer_.joinable()) killer_.join();
}

bool Companion::takes_fault(const std::string& kind) const {
  const FaultKind* k = find_fault(kind);
  return active() && k && k->aim == FaultAim::kBackup && k->kills;
}

FreshnessBounds Companion::judged(const FreshnessBounds& b) {
  if (!active()) return b;
  given_.push_back(b);
  return {std::nullopt, b.max};
}

void Companion::stop() {
  if (!active()) return;
  join();
  std::lock_guard lock(mu_);
  if (pid_ <= 0) return;
  if (auto ex = try_wait(pid_)) return reap_locked(*ex);
  if (ended_.empty()) ended_ = "stopped by the harness after the load";
  reap_locked(kill_and_wait(pid_));
}

void Companion::record(TrialResult& t, const std::vector<Sample>& writers) {
  if (!active()) return;
  stop();
  auto rel_s = [&](int64_t ns) { return ns ? nlohmann::json(ns_to_s(ns - t.t0_ns)) : nlohmann::json(nullptr); };
  nlohmann::json backups = nlohmann::json::array();
  for (size_t i = 0; i < t.backups.size(); ++i) {
    BackupRun& b = t.backups[i];
    nlohmann::json rp = nullptr;
    if (i < given_.size()) {
      const FreshnessBounds& given = given_[i];
      b.verdict.bounds.min = given.min;  // what the source had committed when the restore began
      if (b.backup.completed() && given.min &&
          (b.verdict.status == VerdictStatus::kOk || b.verdict.status == VerdictStatus::kStale)) {
        const int64_t k = b.verdict.snapshot_seq, lo = *given.min;
        // The oldest committed transaction the copy lacks: how much time of
        // data a failure at the backup point would have cost.
        int64_t oldest = 0;
        for (auto& s : writers)
          if (s.seq > k && s.seq <= lo && s.end < b.snapshot.begin && (!oldest || s.end < oldest)) oldest = s.end;
        const int64_t missing = std::max<int64_t>(0, lo - k);
        rp = {{"missing_tx", missing},
              {"age_ms", missing && oldest ? nlohmann::json(ns_to_ms(b.snapshot.begin - oldest)) : nlohmann::json(0.0)},
              {"committed_before_restore", lo},
              {"snapshot_seq", k}};
        if (missing)
          b.verdict.detail += fmt::format("{}a continuous replica: it lacks the last {} committed transaction(s), "
                                          "{:.0f} ms of commits (its recovery point)",
                                          b.verdict.detail.empty() ? "" : "; ", missing,
                                          rp["age_ms"].get<double>());
      }
    }
    backups.push_back({{"index", b.index},
                       {"recovery_point", rp},
                       {"restore_s", b.backup.completed() ? nlohmann::json(b.backup.duration_s) : nlohmann::json(nullptr)},
                       {"companion_running", ended_ns_ == 0 || ended_ns_ > b.impact.begin}});
  }
  const bool killed = killed_ns_ != 0;
  nlohmann::json j{{"companion", spec_.name},
                   {"exe", spec_.exe},
                   {"version", spec_.version},
                   {"settings", spec_.facts},
                   {"log", fs::path(log_).filename().string()},
                   {"started_s", rel_s(started_ns_)},
                   {"ready_s", ready_ns_ ? nlohmann::json(ns_to_s(ready_ns_ - started_ns_)) : nlohmann::json(nullptr)},
                   {"ended", ended_},
                   {"ended_s", rel_s(ended_ns_)},
                   {"killed_s", rel_s(killed_ns_)},
                   {"replica_bytes", tree_bytes(spec_.files.size() > 2 ? spec_.files[2] : std::string())},
                   {"recovery_point", backups.at(0)["recovery_point"]},
                   {"restore_s", backups.at(0)["restore_s"]},
                   {"backups", backups}};
  if (!ready_ns_) {
    const std::string why = not_ready_.empty() ? last_line(read_all(log_)) : not_ready_;
    j["not_ready"] = why;
    t.errors.push_back(spec_.name + " was never ready: " + why);
  }
  t.continuous = j;
  if (t.fault && takes_fault(t.fault->kind)) {
    FaultRecord& f = *t.fault;
    f.target = spec_.name + " (the replicating process)";
    f.at = fmt::format("baseline+{}ms", kill_at_ns_ && t.baseline.begin ? (kill_at_ns_ - t.baseline.begin) / 1'000'000 : 0);
    f.injected = killed;
    f.injected_ns = killed_ns_;
    f.during_backup = killed ? std::optional<bool>(false) : std::nullopt;
    f.detail = killed ? fmt::format("SIGKILL to {} {:.0f} ms into the baseline; the restore read the replica it left",
                                    spec_.name, ns_to_ms(killed_ns_ - t.baseline.begin))
                      : "not injected: " + (ended_.empty() ? std::string("the trial ended first") : ended_);
  }
}

}  // namespace bb
