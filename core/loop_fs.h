// Scratch filesystems for trials: an image file formatted as ext4, xfs (with
// reflink) or btrfs and loop-mounted, or a size-limited tmpfs. The mount is
// undone, the loop device detached and the image removed on every exit path
// (RAII); what a killed process left behind is found by name and cleaned.
//
// Naming scheme (docs/filesystems.md): everything lives in one root folder
// (default /var/tmp/backup-bench-fs), as
//     ROOT/<pid>-<start>-<n>-<label>-<type>.img   the image (not for tmpfs)
//     ROOT/<pid>-<start>-<n>-<label>-<type>.mnt/  the mount point
// where <pid>-<start> is the owner's tag (core/owner_tag.h). An entry whose
// owner is gone is stale: clean_stale_loop_fs() unmounts it, detaches its loop
// device and removes both names. Entries of running owners are never touched.
#pragma once
#include <array>
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bb {

enum class FsKind { kExt4, kXfs, kBtrfs, kTmpfs };
inline constexpr std::array<std::string_view, 4> kFsKindNames{"ext4", "xfs", "btrfs", "tmpfs"};
std::string_view fs_kind_name(FsKind k);
std::optional<FsKind> fs_kind_from_name(std::string_view name);

// /var/tmp/backup-bench-fs (or $BB_LOOP_FS_ROOT): on disk (not in memory), shared
// by every run so a killed run's leftovers are found by the next one.
std::string default_loop_fs_root();

struct LoopFsSpec {
  FsKind kind = FsKind::kExt4;
  // Image (or tmpfs) size; raised to what the filesystem needs at least (ext4
  // 32 MiB, btrfs 256 MiB, xfs 320 MiB). The image is sparse: only what is
  // written takes disk space.
  int64_t size_bytes = int64_t(1) << 30;
  std::string root = default_loop_fs_root();
  std::string label = "fs";  // a word in the names (letters, digits, '_'), e.g. "db", "dest"
  bool subvolume = false;    // btrfs: data_dir() is a subvolume of its own (else a plain folder)
};

class LoopFs;
// A mounted filesystem, or why this machine cannot make one ("cannot mount
// btrfs: not running as root"): the caller skips with that reason.
struct LoopFsResult {
  std::unique_ptr<LoopFs> fs;
  std::string cannot;
};

// Makes, formats and mounts a filesystem. Returns `cannot` (and no fs) when
// mounting is not allowed here: not root, no /dev/loop-control, no mkfs tool,
// a kernel without the filesystem, a denied mount, too little room for the
// image. Other failures (a bad label, mkfs failing on a good image) throw, with
// everything made so far undone.
LoopFsResult mount_loop_fs(const LoopFsSpec& spec);

// The mount and the loop device are this process's: pass the object around,
// never copy it; destroying it (or unmount()) undoes everything.
class LoopFs {
 public:
  ~LoopFs();
  LoopFs(const LoopFs&) = delete;
  LoopFs& operator=(const LoopFs&) = delete;

  FsKind kind() const { return spec_.kind; }
  const std::string& mount_point() const { return mnt_; }
  // Where a trial's files go: mount_point()/data (a subvolume when asked).
  const std::string& data_dir() const { return data_; }
  // As the kernel reports them (/proc/self/mountinfo), e.g. "rw,relatime,...".
  const std::string& mount_options() const { return options_; }
  // For results.json: type, mount_options, size_bytes, loop_device, direct_io,
  // subvolume, mkfs (the command line).
  nlohmann::json info() const;

  // Unmounts (waiting up to 5 s for files to close, then detaching lazily),
  // detaches the loop device, removes the image and the mount point. Never
  // throws; returns what it could not undo (empty: all gone). Idempotent.
  std::vector<std::string> unmount() noexcept;

 private:
  friend LoopFsResult mount_loop_fs(const LoopFsSpec& spec);
  explicit LoopFs(LoopFsSpec spec);
  void make();

  LoopFsSpec spec_;
  std::string stem_, image_, mnt_, data_, loop_dev_, options_, mkfs_;
  int64_t size_ = 0;
  bool direct_io_ = false, mounted_ = false, image_made_ = false, mnt_made_ = false;
};

// The checks mount_loop_fs makes before touching anything; empty when it may work.
std::string loop_fs_unavailable(FsKind kind);

// Unmounts, detaches and removes every entry under `root` whose owner is gone.
// Returns one line per thing removed, and one per thing it could not remove
// (prefixed "could not").
std::vector<std::string> clean_stale_loop_fs(const std::string& root = default_loop_fs_root());

// Everything under `root`, whoever owns it: mounts, loop devices whose image is
// there, files. One line each; empty when nothing is left (what tests check).
std::vector<std::string> loop_fs_leftovers(const std::string& root);

// The filesystem holding `path` as mounted: type, mount_options, mount_point,
// source (for results.json, also for a trial on the host's filesystem).
nlohmann::json mount_facts(const std::string& path);

}  // namespace bb
