// The fault-injecting FUSE filesystem: the daemon's pass-through operations
// (every call goes to the backing folder through *at() system calls) and the
// mount helper that starts, waits for and undoes it.
#define FUSE_USE_VERSION 35
#include "core/fault_fs.h"

#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <fuse.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>

#include "core/loop_fs.h"
#include "core/owner_tag.h"
#include "core/process.h"

namespace fs = std::filesystem;

namespace bb {
namespace {

constexpr long kFuseSuperMagic = 0x65735546;

// ---- the daemon ---------------------------------------------------------------

struct Daemon {
  int dir = -1;  // the backing folder
  int64_t write_limit = -1;
  bool fail_fsync = false;
  int64_t write_delay_ms = 0;
};
Daemon g_d;
volatile sig_atomic_t g_slow = 1;  // SIGUSR1: delays off, SIGUSR2: on
void on_usr(int sig) { g_slow = sig == SIGUSR2; }

// "/a/b" -> "a/b" relative to the backing folder ("/" -> ".").
const char* rel(const char* path) { return path[1] ? path + 1 : "."; }
int neg_errno() { return -errno; }

void injected(const std::string& line) {
  // One write() per line: the driver reads the log while we run.
  std::string l = line + "\n";
  if (write(2, l.data(), l.size()) < 0) {
  }
}

int op_getattr(const char* path, struct stat* st, fuse_file_info* fi) {
  int r = fi ? fstat(int(fi->fh), st) : fstatat(g_d.dir, rel(path), st, AT_SYMLINK_NOFOLLOW);
  return r == 0 ? 0 : neg_errno();
}
int op_access(const char* path, int mask) { return faccessat(g_d.dir, rel(path), mask, 0) == 0 ? 0 : neg_errno(); }
int op_readdir(const char* path, void* buf, fuse_fill_dir_t fill, off_t, fuse_file_info*, fuse_readdir_flags) {
  int fd = openat(g_d.dir, rel(path), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return neg_errno();
  DIR* d = fdopendir(fd);
  if (!d) {
    close(fd);
    return neg_errno();
  }
  while (dirent* e = readdir(d)) {
    struct stat st {};
    st.st_ino = e->d_ino;
    st.st_mode = mode_t(DTTOIF(e->d_type));
    if (fill(buf, e->d_name, &st, 0, fuse_fill_dir_flags(0))) break;
  }
  closedir(d);
  return 0;
}
int op_mkdir(const char* path, mode_t m) { return mkdirat(g_d.dir, rel(path), m) == 0 ? 0 : neg_errno(); }
int op_unlink(const char* path) { return unlinkat(g_d.dir, rel(path), 0) == 0 ? 0 : neg_errno(); }
int op_rmdir(const char* path) { return unlinkat(g_d.dir, rel(path), AT_REMOVEDIR) == 0 ? 0 : neg_errno(); }
int op_rename(const char* from, const char* to, unsigned int flags) {
  return renameat2(g_d.dir, rel(from), g_d.dir, rel(to), flags) == 0 ? 0 : neg_errno();
}
int op_chmod(const char* path, mode_t m, fuse_file_info* fi) {
  int r = fi ? fchmod(int(fi->fh), m) : fchmodat(g_d.dir, rel(path), m, 0);
  return r == 0 ? 0 : neg_errno();
}
int op_chown(const char* path, uid_t u, gid_t g, fuse_file_info* fi) {
  int r = fi ? fchown(int(fi->fh), u, g) : fchownat(g_d.dir, rel(path), u, g, AT_SYMLINK_NOFOLLOW);
  return r == 0 ? 0 : neg_errno();
}
int op_truncate(const char* path, off_t size, fuse_file_info* fi) {
  if (fi) return ftruncate(int(fi->fh), size) == 0 ? 0 : neg_errno();
  int fd = openat(g_d.dir, rel(path), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return neg_errno();
  int r = ftruncate(fd, size) == 0 ? 0 : neg_errno();
  close(fd);
  return r;
}
int op_utimens(const char* path, const timespec tv[2], fuse_file_info* fi) {
  int r = fi ? futimens(int(fi->fh), tv) : utimensat(g_d.dir, rel(path), tv, AT_SYMLINK_NOFOLLOW);
  return r == 0 ? 0 : neg_errno();
}
int op_open(const char* path, fuse_file_info* fi) {
  int fd = openat(g_d.dir, rel(path), (fi->flags & ~O_NOFOLLOW) | O_CLOEXEC);
  if (fd < 0) return neg_errno();
  fi->fh = uint64_t(fd);
  return 0;
}
int op_create(const char* path, mode_t m, fuse_file_info* fi) {
  int fd = openat(g_d.dir, rel(path), fi->flags | O_CREAT | O_CLOEXEC, m);
  if (fd < 0) return neg_errno();
  fi->fh = uint64_t(fd);
  return 0;
}
int op_read(const char*, char* buf, size_t n, off_t off, fuse_file_info* fi) {
  ssize_t r = pread(int(fi->fh), buf, n, off);
  return r < 0 ? neg_errno() : int(r);
}
int op_write(const char* path, const char* buf, size_t n, off_t off, fuse_file_info* fi) {
  if (g_d.write_limit >= 0 && off + int64_t(n) > g_d.write_limit) {
    injected(fmt::format("EIO write {} at {}+{}", path, off, n));
    return -EIO;
  }
  if (g_d.write_delay_ms > 0 && g_slow) {
    // The daemon is a stand-in for a slow disk: its requests wait, nothing else.
    timespec ts{time_t(g_d.write_delay_ms / 1000), long(g_d.write_delay_ms % 1000) * 1'000'000};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
  }
  ssize_t r = pwrite(int(fi->fh), buf, n, off);
  return r < 0 ? neg_errno() : int(r);
}
int op_statfs(const char*, struct statvfs* v) { return fstatvfs(g_d.dir, v) == 0 ? 0 : neg_errno(); }
int op_flush(const char*, fuse_file_info*) { return 0; }
int op_release(const char*, fuse_file_info* fi) {
  close(int(fi->fh));
  return 0;
}
int op_fsync(const char* path, int datasync, fuse_file_info* fi) {
  if (g_d.fail_fsync) {
    injected(fmt::format("EIO {} {}", datasync ? "fdatasync" : "fsync", path));
    return -EIO;
  }
  int r = datasync ? fdatasync(int(fi->fh)) : fsync(int(fi->fh));
  return r == 0 ? 0 : neg_errno();
}
int op_fsyncdir(const char* path, int, fuse_file_info*) {
  if (g_d.fail_fsync) {
    injected(fmt::format("EIO fsync folder {}", path));
    return -EIO;
  }
  int fd = openat(g_d.dir, rel(path), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return neg_errno();
  int r = fsync(fd) == 0 ? 0 : neg_errno();
  close(fd);
  return r;
}
int op_fallocate(const char*, int mode, off_t off, off_t len, fuse_file_info* fi) {
  if (g_d.write_limit >= 0 && off + len > g_d.write_limit) return -EIO;
  return fallocate(int(fi->fh), mode, off, len) == 0 ? 0 : neg_errno();
}
void* op_init(fuse_conn_info*, fuse_config* cfg) {
  cfg->use_ino = 1;
  // Attributes change behind no one's back, but keep the kernel honest anyway.
  cfg->attr_timeout = 0;
  cfg->entry_timeout = 0;
  cfg->negative_timeout = 0;
  return nullptr;
}

fuse_operations make_ops() {
  fuse_operations o{};
  o.getattr = op_getattr;
  o.access = op_access;
  o.readdir = op_readdir;
  o.mkdir = op_mkdir;
  o.unlink = op_unlink;
  o.rmdir = op_rmdir;
  o.rename = op_rename;
  o.chmod = op_chmod;
  o.chown = op_chown;
  o.truncate = op_truncate;
  o.utimens = op_utimens;
  o.open = op_open;
  o.create = op_create;
  o.read = op_read;
  o.write = op_write;
  o.statfs = op_statfs;
  o.flush = op_flush;
  o.release = op_release;
  o.fsync = op_fsync;
  o.fsyncdir = op_fsyncdir;
  o.fallocate = op_fallocate;
  o.init = op_init;
  return o;
}

std::atomic<int> g_sequence{0};

bool is_fuse_mount(const std::string& mnt) {
  struct statfs sf;
  return statfs(mnt.c_str(), &sf) == 0 && long(sf.f_type) == kFuseSuperMagic;
}

std::string last_line(const std::string& path) {
  std::ifstream in(path);
  std::string line, last;
  while (std::getline(in, line))
    if (!line.empty()) last = line;
  return last;
}

}  // namespace

int fault_fs_main(const std::string& backing, const std::string& mnt, int64_t write_limit, bool fail_fsync,
                  int64_t write_delay_ms) {
  g_d.dir = open(backing.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (g_d.dir < 0) {
    fmt::print(stderr, "cannot open {}: {}\n", backing, strerror(errno));
    return 1;
  }
  g_d.write_limit = write_limit;
  g_d.fail_fsync = fail_fsync;
  g_d.write_delay_ms = write_delay_ms;
  struct sigaction sa {};
  sa.sa_handler = on_usr;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  sigaction(SIGUSR1, &sa, nullptr);
  sigaction(SIGUSR2, &sa, nullptr);
  const fuse_operations ops = make_ops();
  // Foreground, one thread: a FUSE daemon that never touches its own mount.
  std::vector<std::string> args{"bb-faultfs", mnt, "-f", "-s", "-o", "fsname=bb-faultfs,subtype=bbfault"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  return fuse_main(int(argv.size()), argv.data(), &ops, nullptr);
}

std::string fault_fs_unavailable() {
  if (geteuid() != 0) return "cannot mount a fault-injecting FUSE filesystem: not running as root";
  if (access("/dev/fuse", R_OK | W_OK) != 0)
    return fmt::format("cannot mount a fault-injecting FUSE filesystem: /dev/fuse: {}", strerror(errno));
  return "";
}

FaultFsResult mount_fault_fs(const FaultFsSpec& spec_in) {
  FaultFsResult out;
  if (auto why = fault_fs_unavailable(); !why.empty()) {
    out.cannot = why;
    return out;
  }
  FaultFsSpec spec = spec_in;
  if (spec.root.empty()) spec.root = default_loop_fs_root();
  std::unique_ptr<FaultFs> f(new FaultFs(spec));
  fs::create_directories(spec.root);
  const std::string root = fs::canonical(spec.root).string();
  const std::string stem = fmt::format("{}-{}-{}-fuse", owner_tag(), g_sequence.fetch_add(1), spec.label);
  f->mnt_ = root + "/" + stem + ".mnt";
  f->backing_ = root + "/" + stem + ".backing";
  f->log_ = root + "/" + stem + ".log";
  fs::create_directory(f->mnt_);
  fs::create_directory(f->backing_);
  SpawnOptions so;
  so.stdout_path = f->log_;
  so.stderr_too = true;
  f->daemon_ = spawn(
      spec.exe.empty() ? self_exe() : spec.exe,
      {"__faultfs", "--backing", f->backing_, "--mount", f->mnt_, "--write-limit", std::to_string(spec.write_limit),
       spec.fail_fsync ? "--fail-fsync" : "--no-fail-fsync", "--write-delay-ms", std::to_string(spec.write_delay_ms)},
      so);
  // Observe the mount appear (or the daemon give up); nothing waits on us.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!is_fuse_mount(f->mnt_)) {
    if (auto ex = try_wait(f->daemon_)) {
      f->daemon_ = -1;
      out.cannot = fmt::format(
          "cannot mount a fault-injecting FUSE filesystem: {}",
          last_line(f->log_).empty() ? fmt::format("its daemon exited with code {}", ex->code) : last_line(f->log_));
      return out;  // the destructor removes the names
    }
    if (std::chrono::steady_clock::now() > deadline) {
      out.cannot = "cannot mount a fault-injecting FUSE filesystem: it did not appear within 10 s";
      return out;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  out.fs = std::move(f);
  return out;
}

FaultFs::~FaultFs() { unmount(); }

void FaultFs::set_slow(bool slow) const {
  if (daemon_ > 0) kill(daemon_, slow ? SIGUSR2 : SIGUSR1);
}

nlohmann::json FaultFs::info() const {
  nlohmann::json faults = nlohmann::json::array();
  if (spec_.write_limit >= 0) faults.push_back(fmt::format("writes past {} bytes fail (EIO)", spec_.write_limit));
  if (spec_.fail_fsync) faults.push_back("fsync fails (EIO)");
  if (spec_.write_delay_ms > 0) faults.push_back(fmt::format("every write waits {} ms", spec_.write_delay_ms));
  return {{"type", "fuse"}, {"faults", faults}, {"backing", backing_}};
}

std::vector<std::string> FaultFs::injected() const {
  std::vector<std::string> out;
  std::ifstream in(log_);
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("EIO ", 0) == 0) out.push_back(line);
  return out;
}

std::vector<std::string> FaultFs::unmount() noexcept {
  std::vector<std::string> left;
  try {
    if (!mnt_.empty() && is_fuse_mount(mnt_)) {
      // Busy for a moment after the last close; then detach whatever holds it.
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
      while (umount2(mnt_.c_str(), UMOUNT_NOFOLLOW) != 0) {
        if (errno != EBUSY || std::chrono::steady_clock::now() > deadline) {
          if (umount2(mnt_.c_str(), MNT_DETACH | UMOUNT_NOFOLLOW) != 0 && errno != EINVAL)
            left.push_back(fmt::format("unmount {}: {}", mnt_, strerror(errno)));
          break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
    }
    if (daemon_ > 0) {
      // Unmounted, it ends by itself; a signal makes sure.
      kill(daemon_, SIGTERM);
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
      while (!try_wait(daemon_)) {
        if (std::chrono::steady_clock::now() > deadline) {
          kill_and_wait(daemon_);
          break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
      daemon_ = -1;
    }
    std::error_code ec;
    for (auto* p : {&backing_, &log_})
      if (!p->empty()) fs::remove_all(*p, ec);
    if (!mnt_.empty() && !is_fuse_mount(mnt_)) fs::remove(mnt_, ec);
  } catch (const std::exception& e) {
    left.push_back(e.what());
  }
  return left;
}

}  // namespace bb
