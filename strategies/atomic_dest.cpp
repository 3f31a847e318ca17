// Temporary-name, fsync, rename, fsync-folder destination writing.
#include "strategies/atomic_dest.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include "strategies/strategy_util.h"

namespace fs = std::filesystem;

namespace bb {


AtomicDest::AtomicDest(std::string dest) : dest_(std::move(dest)) {
  fs::path p(dest_);
  tmp_ = (p.parent_path() / fmt::format(".{}.partial-{}", p.filename().string(), getpid())).string();
  // SQLite sidecars of the temporary name, should a strategy leave any.
  for (std::string_view s : {"", "-journal", "-wal", "-shm"}) fs::remove(with_suffix(tmp_, s));
}

AtomicDest::~AtomicDest() {
  if (committed_) return;
  std::error_code ec;
  for (std::string_view s : {"", "-journal", "-wal", "-shm"}) fs::remove(with_suffix(tmp_, s), ec);
  for (auto& c : companions_) fs::remove(with_suffix(tmp_, c), ec);
}

void fsync_path(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw std::runtime_error(fmt::format("open {}: {}", path, strerror(errno)));
  int rc = fsync(fd);
  int err = errno;
  close(fd);
  if (rc != 0) throw std::runtime_error(fmt::format("fsync {}: {}", path, strerror(err)));
}

void AtomicDest::commit() {
  fs::path parent = fs::path(dest_).parent_path();
  std::string dir = parent.empty() ? std::string(".") : parent.string();
  for (auto& c : companions_) {
    fsync_path(with_suffix(tmp_, c));
    fs::rename(with_suffix(tmp_, c), with_suffix(dest_, c));
  }
  fsync_path(tmp_);
  // A stale sidecar of an older file at the destination would be applied to the
  // new one by SQLite; the new backup carries its own companions, if any.
  for (std::string_view s : {"-journal", "-wal", "-shm"}) {
    bool ours = std::find(companions_.begin(), companions_.end(), s) != companions_.end();
    if (!ours) fs::remove(with_suffix(dest_, s));
  }
  fs::rename(tmp_, dest_);
  fsync_path(dir);
  committed_ = true;
}

long long AtomicDest::bytes() const {
  std::error_code ec;
  auto path = committed_ ? dest_ : tmp_;
  long long n = 0;
  auto sz = fs::file_size(path, ec);
  if (!ec) n += (long long)sz;
  for (auto& c : companions_) {
    sz = fs::file_size(with_suffix(path, c), ec);
    if (!ec) n += (long long)sz;
  }
  return n;
}

}  // namespace bb
