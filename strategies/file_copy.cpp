// Byte copies (sendfile), in this process or in a child.
#include "strategies/file_copy.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <system_error>

#include "core/process.h"

namespace bb {
namespace {

struct Fd {
  int fd;
  ~Fd() {
    if (fd >= 0) close(fd);
  }
};

}  // namespace

int64_t copy_in_process(const CopyItem& item) {
  Fd in{open(item.src.c_str(), O_RDONLY | O_CLOEXEC)};
  if (in.fd < 0) {
    if (item.optional && errno == ENOENT) return -1;
    throw std::system_error(errno, std::generic_category(), "open " + item.src);
  }
  Fd out{open(item.dst.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)};
  if (out.fd < 0) throw std::system_error(errno, std::generic_category(), "create " + item.dst);
  int64_t total = 0;
  while (true) {
    // sendfile, not copy_file_range: on btrfs and xfs copy_file_range makes a
    // reflink clone when both files share the filesystem, which would turn every
    // copy strategy there into reflink-copy (a clone of 256 MB in 0.1 ms).
    ssize_t n = sendfile(out.fd, in.fd, nullptr, 1 << 30);
    if (n < 0 && (errno == ENOSYS || errno == EINVAL)) {
      // Fallback: read/write in chunks.
      char buf[1 << 16];
      while ((n = read(in.fd, buf, sizeof buf)) > 0)
        for (ssize_t off = 0; off < n;) {
          ssize_t w = write(out.fd, buf + off, size_t(n - off));
          if (w < 0) throw std::system_error(errno, std::generic_category(), "write " + item.dst);
          off += w;
          total += w;
        }
    }
    if (n < 0) throw std::system_error(errno, std::generic_category(), fmt::format("copy {} -> {}", item.src, item.dst));
    if (n == 0) break;
    total += n;
  }
  return total;
}

int64_t copy_in_child(const std::vector<CopyItem>& items) {
  std::vector<std::string> args{"__copy"};
  for (auto& i : items) {
    if (i.optional) args.push_back("--optional");
    args.push_back(i.src);
    args.push_back(i.dst);
  }
  Captured c = run_capture(self_exe(), args);
  // The child prints the bytes copied, or "error ERRNO MESSAGE": its errno
  // travels back so a full disk is a full disk here too.
  int err = 0;
  char msg[400] = {};
  if (std::sscanf(c.output.c_str(), "error %d %399[^\n]", &err, msg) == 2) {
    std::string m = msg;
    const std::string tail = std::string(": ") + std::strerror(err);  // system_error appends it again
    if (m.size() > tail.size() && m.compare(m.size() - tail.size(), tail.size(), tail) == 0)
      m.resize(m.size() - tail.size());
    throw std::system_error(err, std::generic_category(), m);
  }
  if (!c.status.ok()) throw std::runtime_error(fmt::format("copy process failed (exit {}): {}", c.status.code, c.output));
  return std::stoll(c.output.empty() ? "0" : c.output);
}

int copy_main(const std::vector<std::string>& args) {
  int64_t total = 0;
  try {
    for (size_t i = 0; i < args.size();) {
      bool optional = args[i] == "--optional";
      if (optional) ++i;
      if (i + 1 >= args.size()) throw std::runtime_error("__copy: expected SRC DST pairs");
      int64_t n = copy_in_process({args[i], args[i + 1], optional});
      if (n > 0) total += n;
      i += 2;
    }
  } catch (const std::system_error& e) {
    fmt::print("error {} {}\n", e.code().value(), e.what());
    return 3;
  } catch (const std::exception& e) {
    fmt::print("error 0 {}\n", e.what());
    return 3;
  }
  fmt::print("{}\n", total);
  return 0;
}

}  // namespace bb
