// Measuring this machine's copy speed for scaled time limits.
#include "databases/time_limit.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/sendfile.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <system_error>

#include "core/clock.h"

namespace bb {

double copy_speed_mb_s(const std::string& key, const std::string& file, const std::string& scratch_dir,
                       int64_t sample_bytes) {
  static std::map<std::string, double> memo;
  if (auto it = memo.find(key); it != memo.end()) return it->second;
  const std::string tmp = fmt::format("{}/.copy-speed-{}", scratch_dir, getpid());
  int in = open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0) throw std::system_error(errno, std::generic_category(), "open " + file);
  int out = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (out < 0) {
    int err = errno;
    close(in);
    throw std::system_error(err, std::generic_category(), "create " + tmp);
  }
  const int64_t t = now_ns();
  int64_t copied = 0;
  while (copied < sample_bytes) {
    ssize_t n = sendfile(out, in, nullptr, size_t(sample_bytes - copied));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    copied += n;
  }
  fdatasync(out);
  const double secs = std::max(ns_to_s(now_ns() - t), 1e-6);
  close(in);
  close(out);
  unlink(tmp.c_str());
  return memo[key] = double(copied) / 1e6 / secs;
}

double auto_time_limit_s(int64_t db_bytes, double speed_mb_s) {
  if (speed_mb_s <= 0) return kMinLimitS * 10;
  return std::max(kMinLimitS, kLimitFactor * double(db_bytes) / 1e6 / speed_mb_s);
}

}  // namespace bb
