// Loop-mounted scratch filesystems: make, mount, undo, and clean what a killed
// owner left.
//
// The formatting is done by the mkfs tools (there is no other way), through
// run_capture; the loop device, mount and unmount are syscalls (LOOP_CONFIGURE,
// mount(2), umount2(2)) because (1) their errno tells "not permitted" (skip the
// cell) from a real failure without parsing messages, (2) the loop device is
// configured with autoclear while we hold its descriptor, so a process killed
// at any instant between attaching and mounting leaves no attached device, and
// (3) the unmount path runs in destructors and in cleanup after a signal, where
// starting processes is best avoided.
#include "core/loop_fs.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <linux/loop.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <system_error>
#include <utility>
#include <thread>

#include "core/cow_fs.h"
#include "core/errors.h"
#include "core/owner_tag.h"
#include "core/process.h"

namespace fs = std::filesystem;

namespace bb {
namespace {

// Mounting is not possible on this machine: the caller skips, it does not fail.
struct Cannot : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct Fd {
  int fd = -1;
  explicit Fd(int f = -1) : fd(f) {}
  ~Fd() {
    if (fd >= 0) close(fd);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
};

[[noreturn]] void fail(const std::string& what) { throw std::system_error(errno, std::generic_category(), what); }

bool denied(int err) { return err == EPERM || err == EACCES; }

// ---- /proc/self/mountinfo and /sys/block/loop* ------------------------------

struct MountEntry {
  std::string dev;  // "major:minor" of the filesystem
  std::string mount_point, options, fstype, source, super_options;
};

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string unescape(const std::string& s) {
  std::string r;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size()) {
      r.push_back(char(std::stoi(s.substr(i + 1, 3), nullptr, 8)));
      i += 3;
    } else {
      r.push_back(s[i]);
    }
  }
  return r;
}

std::vector<MountEntry> read_mountinfo() {
  std::vector<MountEntry> out;
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line)) {
    // id parent major:minor root mount-point options [optional...] - fstype source super-options
    std::istringstream ls(line);
    std::string id, parent, root, word;
    MountEntry m;
    ls >> id >> parent >> m.dev >> root >> m.mount_point >> m.options;
    while (ls >> word && word != "-") {
    }
    ls >> m.fstype >> m.source >> m.super_options;
    m.mount_point = unescape(m.mount_point);
    m.source = unescape(m.source);
    out.push_back(std::move(m));
  }
  return out;
}

bool is_mounted(const std::string& path) {
  for (auto& m : read_mountinfo())
    if (m.mount_point == path) return true;
  return false;
}

// The per-mount options followed by the filesystem's own, without repeats, as
// findmnt prints them.
std::string merged_options(const MountEntry& m) {
  std::string out = m.options;
  std::istringstream ss(m.super_options);
  std::string o;
  while (std::getline(ss, o, ',')) {
    if (o == "rw" || o == "ro") continue;
    if (("," + m.options + ",").find("," + o + ",") == std::string::npos) out += "," + o;
  }
  return out;
}

struct BoundLoop {
  std::string dev, backing;
};

std::string read_line(const std::string& path) {
  std::ifstream in(path);
  std::string s;
  std::getline(in, s);
  return s;
}

// Attached loop devices and their image files (" (deleted)" stripped).
std::vector<BoundLoop> bound_loops() {
  std::vector<BoundLoop> out;
  std::error_code ec;
  for (auto& e : fs::directory_iterator("/sys/block", ec)) {
    const std::string name = e.path().filename().string();
    if (name.rfind("loop", 0) != 0) continue;
    std::string b = read_line(e.path().string() + "/loop/backing_file");
    if (b.empty()) continue;
    const std::string deleted = " (deleted)";
    if (b.size() > deleted.size() && b.compare(b.size() - deleted.size(), deleted.size(), deleted) == 0)
      b.resize(b.size() - deleted.size());
    out.push_back({"/dev/" + name, b});
  }
  return out;
}

// Detaches `dev` if it is still attached to `image`.
std::string detach_loop(const std::string& dev, const std::string& image) {
  Fd d(open(dev.c_str(), O_RDONLY | O_CLOEXEC));
  if (d.fd < 0) return errno == ENOENT ? "" : fmt::format("open {}: {}", dev, strerror(errno));
  // Checked again with the device open: its number may have been reused since.
  bool ours = false;
  for (auto& l : bound_loops())
    if (l.dev == dev && l.backing == image) ours = true;
  if (!ours) return "";
  // On a device still in use this only marks it for detaching on last close.
  if (ioctl(d.fd, LOOP_CLR_FD, 0) != 0 && errno != ENXIO)
    return fmt::format("detach {}: {}", dev, strerror(errno));
  return "";
}

// Unmounts `mnt`. A busy filesystem (a process still closing its files) is
// retried for a few seconds -- there is no event to wait for -- then detached
// lazily, so nothing is left in the mount table either way.
std::string unmount_path(const std::string& mnt) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (true) {
    if (umount2(mnt.c_str(), UMOUNT_NOFOLLOW) == 0) return "";
    if (errno == EINVAL || errno == ENOENT) return "";  // not (or no longer) a mount point
    if (errno != EBUSY) return fmt::format("unmount {}: {}", mnt, strerror(errno));
    if (std::chrono::steady_clock::now() > deadline) {
      if (umount2(mnt.c_str(), MNT_DETACH | UMOUNT_NOFOLLOW) == 0) return "";
      return fmt::format("unmount {}: {}", mnt, strerror(errno));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

// ---- making a filesystem ----------------------------------------------------

// A tool's full path: PATH, then the sbin folders a non-login root shell may lack.
std::string find_tool(const std::string& name) {
  std::string path = getenv("PATH") ? getenv("PATH") : "";
  path += ":/usr/sbin:/sbin:/usr/bin:/bin";
  std::istringstream ss(path);
  std::string dir;
  while (std::getline(ss, dir, ':')) {
    if (dir.empty()) continue;
    std::string p = dir + "/" + name;
    if (access(p.c_str(), X_OK) == 0) return p;
  }
  return "";
}

struct KindFacts {
  const char* mkfs;
  std::vector<std::string> args;  // before the image path
  int64_t min_bytes;
  const char* package;
};

KindFacts facts(FsKind k) {
  switch (k) {
    case FsKind::kExt4:
      // Inode tables and journal zeroed now, not by a background thread that
      // would write during the trial.
      return {"mkfs.ext4", {"-q", "-F", "-E", "nodiscard,lazy_itable_init=0,lazy_journal_init=0"}, 32 << 20,
              "e2fsprogs"};
    case FsKind::kXfs: return {"mkfs.xfs", {"-q", "-f", "-K", "-m", "reflink=1"}, 320 << 20, "xfsprogs"};
    case FsKind::kBtrfs: return {"mkfs.btrfs", {"-q", "-f", "-K"}, 256 << 20, "btrfs-progs"};
    case FsKind::kTmpfs: return {"", {}, 1 << 20, ""};
  }
  return {"", {}, 0, ""};
}

bool kernel_lists(std::string_view type) {
  std::ifstream in("/proc/filesystems");
  std::string line;
  while (std::getline(in, line)) {
    auto tab = line.rfind('\t');
    if (line.substr(tab == std::string::npos ? 0 : tab + 1) == type) return true;
  }
  return false;
}

std::atomic<int> g_sequence{0};

}  // namespace

// ---- names ------------------------------------------------------------------

std::string_view fs_kind_name(FsKind k) { return kFsKindNames[static_cast<size_t>(k)]; }

std::optional<FsKind> fs_kind_from_name(std::string_view name) {
  for (size_t i = 0; i < kFsKindNames.size(); ++i)
    if (kFsKindNames[i] == name) return static_cast<FsKind>(i);
  return std::nullopt;
}

std::string default_loop_fs_root() {
  // BB_LOOP_FS_ROOT moves it (tests use a private one to see what is left).
  if (const char* r = std::getenv("BB_LOOP_FS_ROOT"); r && *r) return r;
  return "/var/tmp/backup-bench-fs";
}

std::string loop_fs_unavailable(FsKind kind) {
  const std::string name(fs_kind_name(kind));
  if (geteuid() != 0) return fmt::format("cannot mount {}: not running as root", name);
  if (kind == FsKind::kTmpfs) return kernel_lists("tmpfs") ? "" : "cannot mount tmpfs: the kernel has no tmpfs";
  if (access("/dev/loop-control", R_OK | W_OK) != 0)
    return fmt::format("cannot mount {}: no loop devices (/dev/loop-control: {})", name, strerror(errno));
  const KindFacts f = facts(kind);
  if (find_tool(f.mkfs).empty())
    return fmt::format("cannot mount {}: no {} (Debian package {}; scripts/setup installs it)", name, f.mkfs,
                       f.package);
  return "";
}

// ---- LoopFs -----------------------------------------------------------------

LoopFs::LoopFs(LoopFsSpec spec) : spec_(std::move(spec)) {}

LoopFs::~LoopFs() { unmount(); }

nlohmann::json LoopFs::info() const {
  return {{"type", fs_kind_name(spec_.kind)},
          {"mount_options", options_},
          {"size_bytes", size_},
          {"loop_device", loop_dev_.empty() ? nlohmann::json(nullptr) : nlohmann::json(loop_dev_)},
          {"direct_io", direct_io_},
          {"subvolume", spec_.subvolume},
          {"mkfs", mkfs_.empty() ? nlohmann::json(nullptr) : nlohmann::json(mkfs_)}};
}

void LoopFs::make() {
  const KindFacts f = facts(spec_.kind);
  const std::string type(fs_kind_name(spec_.kind));
  size_ = std::max(spec_.size_bytes, f.min_bytes);
  fs::create_directories(spec_.root);
  const std::string root = fs::canonical(spec_.root).string();
  stem_ = fmt::format("{}-{}-{}-{}", owner_tag(), g_sequence.fetch_add(1), spec_.label, type);
  mnt_ = root + "/" + stem_ + ".mnt";
  if (mkdir(mnt_.c_str(), 0755) != 0) fail("create " + mnt_);
  mnt_made_ = true;

  if (spec_.kind == FsKind::kTmpfs) {
    const std::string data = fmt::format("size={},mode=0755", size_);
    if (mount("tmpfs", mnt_.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, data.c_str()) != 0) {
      if (denied(errno)) throw Cannot(fmt::format("cannot mount tmpfs: {}", strerror(errno)));
      fail("mount tmpfs at " + mnt_);
    }
    mounted_ = true;
  } else {
    struct statvfs v;
    if (statvfs(root.c_str(), &v) == 0 && int64_t(v.f_bavail) * int64_t(v.f_frsize) < size_)
      throw Cannot(fmt::format("cannot mount {}: {} has {} MB free, the image may grow to {} MB", type, root,
                               int64_t(v.f_bavail) * int64_t(v.f_frsize) >> 20, size_ >> 20));
    image_ = root + "/" + stem_ + ".img";
    {
      Fd img(open(image_.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
      if (img.fd < 0) fail("create " + image_);
      image_made_ = true;
      if (ftruncate(img.fd, size_) != 0) fail("size " + image_);  // sparse
    }
    std::vector<std::string> args = f.args;
    args.push_back(image_);
    const std::string tool = find_tool(f.mkfs);
    mkfs_ = f.mkfs;
    for (auto& a : f.args) mkfs_ += " " + a;
    Captured c = run_capture(tool, args);
    if (!c.status.ok())
      throw std::runtime_error(fmt::format("{} failed (exit {}): {}", f.mkfs, c.status.code, c.output));

    Fd ctl(open("/dev/loop-control", O_RDWR | O_CLOEXEC));
    if (ctl.fd < 0) throw Cannot(fmt::format("cannot mount {}: /dev/loop-control: {}", type, strerror(errno)));
    Fd img(open(image_.c_str(), O_RDWR | O_CLOEXEC));
    if (img.fd < 0) fail("open " + image_);
    Fd lo;
    // Another process may take the free device between asking and configuring
    // it (EBUSY): ask again.
    for (int attempt = 0; lo.fd < 0; ++attempt) {
      const int n = ioctl(ctl.fd, LOOP_CTL_GET_FREE);
      if (n < 0) {
        if (denied(errno)) throw Cannot(fmt::format("cannot mount {}: no free loop device: {}", type, strerror(errno)));
        fail("find a free loop device");
      }
      const std::string dev = fmt::format("/dev/loop{}", n);
      Fd d(open(dev.c_str(), O_RDWR | O_CLOEXEC));
      if (d.fd < 0) {
        if (denied(errno)) throw Cannot(fmt::format("cannot mount {}: {}: {}", type, dev, strerror(errno)));
        fail("open " + dev);
      }
      loop_config cfg{};
      cfg.fd = static_cast<uint32_t>(img.fd);
      // Autoclear: detached when the last user (our descriptor, then the mount)
      // lets go. Direct I/O: the image's pages are not cached twice, and an
      // fsync inside reaches the disk as it would on a real device.
      cfg.info.lo_flags = LO_FLAGS_AUTOCLEAR | LO_FLAGS_DIRECT_IO;
      std::strncpy(reinterpret_cast<char*>(cfg.info.lo_file_name), image_.c_str(), LO_NAME_SIZE - 1);
      if (ioctl(d.fd, LOOP_CONFIGURE, &cfg) == 0) {
        lo.fd = std::exchange(d.fd, -1);
        loop_dev_ = dev;
        break;
      }
      if (denied(errno)) throw Cannot(fmt::format("cannot mount {}: configuring {}: {}", type, dev, strerror(errno)));
      if (errno != EBUSY || attempt > 50) fail("configure " + dev);
    }
    direct_io_ = read_line(fmt::format("/sys/block/{}/loop/dio", loop_dev_.substr(5))) == "1";
    if (mount(loop_dev_.c_str(), mnt_.c_str(), type.c_str(), 0, "") != 0) {
      if (denied(errno)) throw Cannot(fmt::format("cannot mount {}: {}", type, strerror(errno)));
      if (errno == ENODEV) throw Cannot(fmt::format("cannot mount {}: the kernel has no {}", type, type));
      fail(fmt::format("mount {} ({}) at {}", loop_dev_, type, mnt_));
    }
    mounted_ = true;
  }  // our loop descriptor closes: from now on the mount alone holds the device

  data_ = mnt_ + "/data";
  if (spec_.subvolume) btrfs_create_subvolume(data_);
  else if (mkdir(data_.c_str(), 0755) != 0) fail("create " + data_);
  for (auto& m : read_mountinfo())
    if (m.mount_point == mnt_) options_ = merged_options(m);
}

std::vector<std::string> LoopFs::unmount() noexcept {
  std::vector<std::string> left;
  try {
    if (mounted_) {
      std::string e = unmount_path(mnt_);
      if (e.empty()) mounted_ = false;
      else left.push_back(e);
    }
    if (!mounted_) {
      // Autoclear has detached it when the unmount released it; make sure.
      if (!loop_dev_.empty()) {
        if (auto e = detach_loop(loop_dev_, image_); !e.empty()) left.push_back(e);
        loop_dev_.clear();
      }
      if (image_made_) {
        if (unlink(image_.c_str()) != 0 && errno != ENOENT)
          left.push_back(fmt::format("remove {}: {}", image_, strerror(errno)));
        image_made_ = false;
      }
      if (mnt_made_) {
        // Only the empty mount point folder can be here once unmounted.
        if (rmdir(mnt_.c_str()) != 0 && errno != ENOENT)
          left.push_back(fmt::format("remove {}: {}", mnt_, strerror(errno)));
        mnt_made_ = false;
      }
    }
  } catch (const std::exception& e) {
    left.push_back(e.what());
  }
  return left;
}

LoopFsResult mount_loop_fs(const LoopFsSpec& spec) {
  if (spec.label.empty() ||
      spec.label.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") !=
          std::string::npos)
    throw UsageError(fmt::format("filesystem label '{}': use letters, digits and '_'", spec.label));
  if (spec.subvolume && spec.kind != FsKind::kBtrfs)
    throw UsageError(fmt::format("a subvolume needs btrfs, not {}", fs_kind_name(spec.kind)));
  LoopFsResult r;
  if (r.cannot = loop_fs_unavailable(spec.kind); !r.cannot.empty()) return r;
  std::unique_ptr<LoopFs> lfs(new LoopFs(spec));
  try {
    lfs->make();
  } catch (const Cannot& c) {
    r.cannot = c.what();
    return r;  // lfs undoes what was made
  }
  r.fs = std::move(lfs);
  return r;
}

// ---- stale entries and leftovers --------------------------------------------

std::vector<std::string> clean_stale_loop_fs(const std::string& root_arg) {
  std::vector<std::string> out;
  std::error_code ec;
  if (!fs::is_directory(root_arg, ec)) return out;
  const fs::path root = fs::canonical(root_arg);
  auto stale = [&](const fs::path& p) {
    if (p.parent_path() != root) return false;
    auto tag = owner_tag_of(p.filename().string());
    return tag && !owner_alive(*tag);
  };
  for (auto& m : read_mountinfo()) {
    fs::path p(m.mount_point);
    if (p.extension() != ".mnt" || !stale(p)) continue;
    std::string e = unmount_path(m.mount_point);
    out.push_back(e.empty() ? "unmounted " + m.mount_point : "could not " + e);
  }
  for (auto& l : bound_loops()) {
    fs::path p(l.backing);
    if (p.extension() != ".img" || !stale(p)) continue;
    std::string e = detach_loop(l.dev, l.backing);
    out.push_back(e.empty() ? fmt::format("detached {} ({})", l.dev, l.backing) : "could not " + e);
  }
  for (auto& e : fs::directory_iterator(root, ec)) {
    const fs::path p = e.path();
    if (!stale(p)) continue;
    if (p.extension() == ".mnt" && is_mounted(p.string())) {
      out.push_back(fmt::format("could not remove {}: still mounted", p.string()));
      continue;
    }
    std::error_code rec;
    fs::remove_all(p, rec);
    out.push_back(rec ? fmt::format("could not remove {}: {}", p.string(), rec.message()) : "removed " + p.string());
  }
  return out;
}

std::vector<std::string> loop_fs_leftovers(const std::string& root_arg) {
  std::vector<std::string> out;
  std::error_code ec;
  if (!fs::is_directory(root_arg, ec)) return out;
  const std::string root = fs::canonical(root_arg).string() + "/";
  for (auto& m : read_mountinfo())
    if (m.mount_point.rfind(root, 0) == 0) out.push_back(fmt::format("mount {} ({})", m.mount_point, m.fstype));
  for (auto& l : bound_loops())
    if (l.backing.rfind(root, 0) == 0) out.push_back(fmt::format("loop device {} on {}", l.dev, l.backing));
  for (auto& e : fs::directory_iterator(root_arg, ec)) out.push_back("file " + e.path().string());
  return out;
}

nlohmann::json mount_facts(const std::string& path) {
  const std::string canon = fs::canonical(path).string();
  // The deepest mount point holding the path; of mounts stacked on one point,
  // the last listed is the one visible.
  std::optional<MountEntry> best;
  for (auto& m : read_mountinfo()) {
    const bool holds = m.mount_point == "/" || canon == m.mount_point || canon.rfind(m.mount_point + "/", 0) == 0;
    if (holds && (!best || m.mount_point.size() >= best->mount_point.size())) best = m;
  }
  if (!best)
    return {{"type", fs_type_of(path)}, {"mount_options", nullptr}, {"mount_point", nullptr}, {"source", nullptr}};
  return {{"type", best->fstype},
          {"mount_options", merged_options(*best)},
          {"mount_point", best->mount_point},
          {"source", best->source}};
}

}  // namespace bb
