// Temporary-name, fsync, rename, fsync-folder destination writing, and the
// removal of temporaries on errors, signals and after a SIGKILL.
#include "strategies/atomic_dest.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>

#include "core/files.h"
#include "core/interrupt.h"
#include "core/process.h"

namespace fs = std::filesystem;

namespace bb {
namespace {

// Paths the signal handler unlinks: fixed-size buffers, so the handler touches
// no allocator. One backup process has at most a few temporaries at a time.
constexpr int kSlots = 16;
constexpr size_t kPathMax = 4096;
struct Slot {
  volatile sig_atomic_t used = 0;
  char path[kPathMax];
};
std::array<Slot, kSlots> g_slots;

void track(const std::string& path) {
  if (path.size() >= kPathMax) return;
  for (auto& s : g_slots)
    if (!s.used) {
      std::memcpy(s.path, path.c_str(), path.size() + 1);
      s.used = 1;
      return;
    }
}

void untrack(const std::string& path) {
  for (auto& s : g_slots)
    if (s.used && path == s.path) s.used = 0;
}

void on_signal(int sig) {
  kill_capture_child();  // the sqlite3 shell of cli-backup: it stops writing before its files go
  for (auto& s : g_slots)
    if (s.used) unlink(s.path);
  _exit(128 + sig);
}

// Every file a temporary may have: the main file, SQLite's sidecars of it, a log.
std::vector<std::string> temporaries(const std::string& tmp, const std::vector<std::string>& companions) {
  std::vector<std::string> out{tmp, with_suffix(tmp, ".log")};
  for (auto s : kSidecars) out.push_back(with_suffix(tmp, s));
  for (auto& c : companions) out.push_back(with_suffix(tmp, c));
  return out;
}

}  // namespace

std::string partial_prefix(const std::string& dest) {
  return fmt::format(".{}.partial-", fs::path(dest).filename().string());
}

AtomicDest::AtomicDest(std::string dest) : dest_(std::move(dest)) {
  fs::path p(dest_);
  tmp_ = (p.parent_path() / fmt::format("{}{}", partial_prefix(dest_), getpid())).string();
  for (auto& t : temporaries(tmp_, {})) {
    fs::remove(t);
    track(t);
  }
}

AtomicDest::~AtomicDest() {
  if (!committed_) remove_temporaries();
  for (auto& t : temporaries(tmp_, companions_)) untrack(t);
}

void AtomicDest::remove_temporaries() noexcept {
  std::error_code ec;
  for (auto& t : temporaries(tmp_, companions_)) fs::remove(t, ec);
}

void AtomicDest::add_companion(std::string_view suffix) {
  if (std::find(companions_.begin(), companions_.end(), suffix) != companions_.end()) return;
  companions_.emplace_back(suffix);
  track(with_suffix(tmp_, suffix));
}

void AtomicDest::commit() {
  fs::path parent = fs::path(dest_).parent_path();
  std::string dir = parent.empty() ? std::string(".") : parent.string();
  for (auto& c : companions_) fsync_path(with_suffix(tmp_, c));
  fsync_path(tmp_);
  // A stale sidecar of an older file at the destination would be applied to the
  // new one by SQLite; the new backup carries its own companions, if any.
  for (auto s : kSidecars) {
    bool ours = std::find(companions_.begin(), companions_.end(), s) != companions_.end();
    if (!ours) fs::remove(with_suffix(dest_, s));
  }
  for (auto& c : companions_) fs::rename(with_suffix(tmp_, c), with_suffix(dest_, c));
  fs::rename(tmp_, dest_);
  committed_ = true;
  fsync_path(dir);
}

long long AtomicDest::bytes() const {
  auto path = committed_ ? dest_ : tmp_;
  long long n = file_size_or_zero(path);
  for (auto& c : companions_) n += file_size_or_zero(with_suffix(path, c));
  return n;
}

int remove_stale_partials(const std::string& dest) {
  fs::path parent = fs::path(dest).parent_path();
  const std::string prefix = partial_prefix(dest);
  int removed = 0;
  std::error_code ec;
  for (auto& e : fs::directory_iterator(parent.empty() ? fs::path(".") : parent, ec)) {
    std::string name = e.path().filename().string();
    if (name.rfind(prefix, 0) != 0) continue;
    // The pid follows the prefix, up to the first non-digit (a suffix such as -wal).
    int pid = 0;
    const char* b = name.data() + prefix.size();
    auto r = std::from_chars(b, name.data() + name.size(), pid);
    if (r.ec != std::errc() || pid <= 0) continue;
    if (pid == getpid() || !process_gone(pid)) continue;  // alive (or not ours to judge)
    if (fs::remove(e.path(), ec)) ++removed;
  }
  return removed;
}

void install_signal_cleanup() { on_sigint_sigterm(on_signal); }

}  // namespace bb
