// btrfs ioctls, filesystem types, and a reflink probe.
#include "core/cow_fs.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <linux/btrfs.h>
#include <linux/btrfs_tree.h>
#include <linux/fs.h>
#include <linux/magic.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <system_error>
#include <utility>

#include "core/owner_tag.h"

namespace fs = std::filesystem;

namespace bb {
namespace {

struct Fd {
  int fd = -1;
  explicit Fd(int f) : fd(f) {}
  ~Fd() {
    if (fd >= 0) close(fd);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
};

[[noreturn]] void fail(const std::string& what) { throw std::system_error(errno, std::generic_category(), what); }

Fd open_dir(const std::string& path) {
  Fd d(open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (d.fd < 0) fail("open " + path);
  return Fd(std::exchange(d.fd, -1));
}

// The folder and last name of a new entry, for ioctls that create or delete
// by name in a folder.
std::pair<std::string, std::string> split(const std::string& path) {
  fs::path p = fs::absolute(path).lexically_normal();
  if (!p.has_filename()) p = p.parent_path();
  if (p.filename().string().size() > BTRFS_SUBVOL_NAME_MAX)
    throw std::runtime_error(fmt::format("subvolume name too long: {}", path));
  return {p.parent_path().string(), p.filename().string()};
}

long fs_magic(const std::string& path) {
  struct statfs s;
  if (statfs(path.c_str(), &s) != 0) fail("statfs " + path);
  return long(s.f_type);
}

}  // namespace

std::string fs_type_of(const std::string& path) {
  switch (static_cast<unsigned long>(fs_magic(path))) {
    case BTRFS_SUPER_MAGIC: return "btrfs";
    case XFS_SUPER_MAGIC: return "xfs";
    case EXT4_SUPER_MAGIC: return "ext4";
    case TMPFS_MAGIC: return "tmpfs";
    default: return fmt::format("0x{:x}", static_cast<unsigned long>(fs_magic(path)));
  }
}

std::string btrfs_subvolume_root(const std::string& path) {
  fs::path p = fs::canonical(path);
  if (fs_type_of(p.string()) != "btrfs")
    throw std::runtime_error(fmt::format("{} is on {}, not btrfs", path, fs_type_of(p.string())));
  if (!fs::is_directory(p)) p = p.parent_path();
  // Within one subvolume inode numbers start above its root's, which is always
  // BTRFS_FIRST_FREE_OBJECTID.
  for (;; p = p.parent_path()) {
    struct stat sb;
    if (stat(p.c_str(), &sb) != 0) fail("stat " + p.string());
    if (sb.st_ino == BTRFS_FIRST_FREE_OBJECTID) return p.string();
    if (p == p.root_path()) throw std::runtime_error(fmt::format("no btrfs subvolume root above {}", path));
  }
}

void btrfs_create_subvolume(const std::string& path) {
  auto [dir, name] = split(path);
  Fd d = open_dir(dir);
  btrfs_ioctl_vol_args args{};
  std::strncpy(args.name, name.c_str(), BTRFS_PATH_NAME_MAX);
  if (ioctl(d.fd, BTRFS_IOC_SUBVOL_CREATE, &args) != 0) fail("create subvolume " + path);
}

void btrfs_snapshot(const std::string& subvolume, const std::string& dest, bool read_only) {
  Fd src = open_dir(subvolume);
  auto [dir, name] = split(dest);
  Fd d = open_dir(dir);
  btrfs_ioctl_vol_args_v2 args{};
  args.fd = src.fd;
  args.flags = read_only ? BTRFS_SUBVOL_RDONLY : 0;
  std::strncpy(args.name, name.c_str(), BTRFS_SUBVOL_NAME_MAX);
  if (ioctl(d.fd, BTRFS_IOC_SNAP_CREATE_V2, &args) != 0)
    fail(fmt::format("snapshot {} to {}", subvolume, dest));
}

void btrfs_delete_subvolume(const std::string& path) {
  auto [dir, name] = split(path);
  Fd d = open_dir(dir);
  btrfs_ioctl_vol_args args{};
  std::strncpy(args.name, name.c_str(), BTRFS_PATH_NAME_MAX);
  if (ioctl(d.fd, BTRFS_IOC_SNAP_DESTROY, &args) != 0) fail("delete subvolume " + path);
}

void sync_filesystem(const std::string& path) {
  Fd d = open_dir(path);
  if (syncfs(d.fd) != 0) fail("syncfs " + path);
}

bool same_filesystem(const std::string& a, const std::string& b) {
  if (fs_magic(a) != fs_magic(b)) return false;
  if (static_cast<unsigned long>(fs_magic(a)) == BTRFS_SUPER_MAGIC) {
    auto fsid = [](const std::string& p) {
      Fd d = open_dir(p);
      btrfs_ioctl_fs_info_args info{};
      if (ioctl(d.fd, BTRFS_IOC_FS_INFO, &info) != 0) fail("btrfs filesystem info " + p);
      return std::string(reinterpret_cast<const char*>(info.fsid), BTRFS_FSID_SIZE);
    };
    return fsid(a) == fsid(b);
  }
  struct stat sa, sb;
  if (stat(a.c_str(), &sa) != 0) fail("stat " + a);
  if (stat(b.c_str(), &sb) != 0) fail("stat " + b);
  return sa.st_dev == sb.st_dev;
}

std::string reflink_unsupported(const std::string& dir) {
  // Two scratch files, unlinked as soon as they are open: nothing is left
  // behind whatever happens next.
  auto scratch = [&](char which) {
    const std::string p = fmt::format("{}/.bb-reflink-probe-{}-{}", dir, owner_tag(), which);
    Fd f(open(p.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    if (f.fd < 0) fail("create " + p);
    unlink(p.c_str());
    return Fd(std::exchange(f.fd, -1));
  };
  Fd a = scratch('a');
  Fd b = scratch('b');
  const std::string block(64 << 10, 'x');  // a multiple of any block size a clone must align to
  if (write(a.fd, block.data(), block.size()) != ssize_t(block.size())) fail("write a reflink probe in " + dir);
  if (ioctl(b.fd, FICLONE, a.fd) == 0) return "";
  const int err = errno;
  return fmt::format("the filesystem of {} ({}) cannot make reflink clones: {}", dir, fs_type_of(dir),
                     std::strerror(err));
}

}  // namespace bb
