// The run folder: created, locked, proven writable, with room for its trials.
#include "driver/run_folder.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <set>

#include "core/errors.h"
#include "core/files.h"
#include "databases/templates.h"

namespace fs = std::filesystem;

namespace bb {

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

}  // namespace bb
