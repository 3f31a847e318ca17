// Database files on disk: sidecars, sizes, fsync.
#include "core/files.h"

#include "core/interrupt.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <system_error>

namespace bb {

void remove_db_files(const std::string& path) noexcept {
  std::error_code ec;
  std::filesystem::remove(path, ec);
  for (auto s : kSidecars) std::filesystem::remove(with_suffix(path, s), ec);
}

int64_t file_size_or_zero(const std::string& path) {
  struct stat sb;
  return stat(path.c_str(), &sb) == 0 ? int64_t(sb.st_size) : 0;
}

int64_t free_bytes(const std::string& dir) {
  struct statvfs v;
  if (statvfs(dir.c_str(), &v) != 0) return -1;
  return int64_t(v.f_bavail) * int64_t(v.f_frsize);
}

std::string clone_or_copy(const std::string& src, const std::string& dst) {
  struct Fd {
    int fd;
    ~Fd() {
      if (fd >= 0) close(fd);
    }
  };
  Fd in{open(src.c_str(), O_RDONLY | O_CLOEXEC)};
  if (in.fd < 0) throw std::system_error(errno, std::generic_category(), "open " + src);
  Fd out{open(dst.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)};
  if (out.fd < 0) throw std::system_error(errno, std::generic_category(), "create " + dst);
  if (ioctl(out.fd, FICLONE, in.fd) == 0) return "reflink";
  bool ranged = true;  // copy_file_range refuses some pairs of filesystems (EXDEV): then sendfile
  // In 64 MB chunks: an interrupt is seen between two (a fraction of a second).
  constexpr size_t kChunk = size_t(64) << 20;
  while (true) {
    throw_if_interrupted();
    ssize_t n = ranged ? copy_file_range(in.fd, nullptr, out.fd, nullptr, kChunk, 0)
                       : sendfile(out.fd, in.fd, nullptr, kChunk);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && ranged && (errno == EXDEV || errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP)) {
      ranged = false;
      continue;
    }
    if (n < 0) throw std::system_error(errno, std::generic_category(), "copy " + src + " -> " + dst);
    if (n == 0) return "copy";
  }
}

void fsync_path(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "open " + path);
  int rc = fsync(fd);
  int err = errno;
  close(fd);
  if (rc != 0) throw std::system_error(err, std::generic_category(), "fsync " + path);
}

}  // namespace bb
