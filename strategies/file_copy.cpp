// copy_file_range copies, in this process or in a child.
#include "strategies/file_copy.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include "harness/process.h"

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
    throw std::runtime_error(fmt::format("open {}: {}", item.src, strerror(errno)));
  }
  Fd out{open(item.dst.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)};
  if (out.fd < 0) throw std::runtime_error(fmt::format("create {}: {}", item.dst, strerror(errno)));
  int64_t total = 0;
  while (true) {
    ssize_t n = copy_file_range(in.fd, nullptr, out.fd, nullptr, 1 << 30, 0);
    if (n < 0 && (errno == EXDEV || errno == ENOSYS || errno == EINVAL)) {
      // Fallback: read/write in chunks.
      char buf[1 << 16];
      while ((n = read(in.fd, buf, sizeof buf)) > 0)
        for (ssize_t off = 0; off < n;) {
          ssize_t w = write(out.fd, buf + off, size_t(n - off));
          if (w < 0) throw std::runtime_error(fmt::format("write {}: {}", item.dst, strerror(errno)));
          off += w;
          total += w;
        }
    }
    if (n < 0) throw std::runtime_error(fmt::format("copy {} -> {}: {}", item.src, item.dst, strerror(errno)));
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
  char tmpl[] = "/tmp/backup-bench-copy-XXXXXX";
  int fd = mkstemp(tmpl);
  if (fd < 0) throw std::runtime_error(fmt::format("mkstemp: {}", strerror(errno)));
  close(fd);
  pid_t pid = spawn(self_exe(), args, {.stdout_path = tmpl});
  ExitStatus st = wait_for(pid);
  std::string out;
  if (FILE* f = fopen(tmpl, "r")) {
    char buf[512];
    while (fgets(buf, sizeof buf, f)) out += buf;
    fclose(f);
  }
  unlink(tmpl);
  if (!st.ok()) throw std::runtime_error(fmt::format("copy process failed (exit {}): {}", st.code, out));
  return std::stoll(out.empty() ? "0" : out);
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
  } catch (const std::exception& e) {
    fmt::print("{}\n", e.what());
    return 3;
  }
  fmt::print("{}\n", total);
  return 0;
}

}  // namespace bb
