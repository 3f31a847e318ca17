// `btrfs-snapshot`: a real crash-consistent volume snapshot. A read-only
// snapshot of the btrfs subvolume holding the database captures the database
// and its -wal/-journal in one instant; the database and its sidecar are then
// copied out of the snapshot to the destination, and the snapshot is deleted.
// Nothing is frozen and no SQLite lock is taken: recovery (WAL replay, hot
// journal rollback) is left to SQLite when the copy is opened, exactly as after
// a power cut -- except that the snapshot also holds writes not yet synced.
//
// Windows: the snapshot window (reading() .. read_done()) is the snapshot
// ioctl alone -- the one instant the live source is read; the copy-out reads the
// snapshot. A syncfs before it writes out the writers' dirty pages, which the
// snapshot would otherwise write inside its instant (65-410 ms instead of 4-17
// ms for a 32 MB WAL database under load, measured here). The impact window (the runner's asked .. released) runs until the
// snapshot is deleted: while it exists, the writers' first change to every
// shared block copies it, and the copy-out competes with them for the disk.
// btrfs frees the deleted snapshot's blocks later, in a kernel thread, which no
// window sees.
#include <fmt/format.h>
#include <unistd.h>

#include <filesystem>
#include <optional>

#include "core/clock.h"
#include "core/cow_fs.h"
#include "core/files.h"
#include "core/owner_tag.h"
#include "strategies/file_copy.h"
#include "strategies/strategy.h"

namespace fs = std::filesystem;

namespace bb {
namespace {

// Snapshots are made in the subvolume's own root (the one folder certain to be
// on the same filesystem and to exist), named with the owner's tag so a killed
// backup's snapshot is recognised and deleted by the next one.
constexpr std::string_view kPrefix = ".bb-snapshot-";

std::vector<std::string> remove_stale_snapshots(const std::string& subvol) {
  std::vector<std::string> removed;
  std::error_code ec;
  for (auto& e : fs::directory_iterator(subvol, ec)) {
    const std::string name = e.path().filename().string();
    if (name.rfind(kPrefix, 0) != 0) continue;
    auto tag = owner_tag_of(std::string_view(name).substr(kPrefix.size()));
    if (!tag || owner_alive(*tag)) continue;
    btrfs_delete_subvolume(e.path().string());
    removed.push_back(name);
  }
  return removed;
}

// A read-only snapshot, deleted on every exit path.
class Snapshot {
 public:
  Snapshot(const std::string& subvol, std::string path) : path_(std::move(path)) {
    btrfs_snapshot(subvol, path_, true);
  }
  ~Snapshot() {
    try {
      remove();
    } catch (...) {
      // Left for the next backup's remove_stale_snapshots.
    }
  }
  Snapshot(const Snapshot&) = delete;
  Snapshot& operator=(const Snapshot&) = delete;
  const std::string& path() const { return path_; }
  void remove() {
    if (path_.empty()) return;
    btrfs_delete_subvolume(path_);
    path_.clear();
  }

 private:
  std::string path_;
};

void run_btrfs_snapshot(BackupJob& job) {
  const fs::path src = fs::canonical(job.src);
  const std::string subvol = btrfs_subvolume_root(src.string());
  const fs::path rel = src.lexically_relative(subvol);
  job.extra["stale_snapshots_removed"] = remove_stale_snapshots(subvol);

  // The snapshot writes out every dirty page of the subvolume before it is
  // taken; flushing the filesystem first leaves it only what was dirtied since,
  // which keeps the snapshot window (and freshness bounds) short.
  const int64_t flush_start = now_ns();
  sync_filesystem(subvol);
  job.extra["flush_ms"] = ns_to_ms(now_ns() - flush_start);

  const int64_t t0 = now_ns();
  job.reading();
  Snapshot snap(subvol, fmt::format("{}/{}{}", subvol, kPrefix, owner_tag()));
  job.read_done();
  const int64_t t1 = now_ns();

  // No SQLite connection in this process: in-process copies lose no lock.
  const std::string image = (fs::path(snap.path()) / rel).string();
  nlohmann::json files = nlohmann::json::array();
  copy_in_process({image, job.tmp(), false});
  files.push_back("db");
  for (std::string_view side : {"-wal", "-journal"}) {
    if (copy_in_process({with_suffix(image, side), with_suffix(job.tmp(), side), true}) >= 0) {
      job.companion(side);
      files.push_back(side);
    }
  }
  job.step();
  const int64_t t2 = now_ns();
  snap.remove();
  const int64_t t3 = now_ns();

  job.extra["subvolume"] = subvol;
  job.extra["files_copied"] = files;
  job.extra["snapshot_ms"] = ns_to_ms(t1 - t0);
  job.extra["copy_ms"] = ns_to_ms(t2 - t1);
  job.extra["delete_ms"] = ns_to_ms(t3 - t2);
}

std::string btrfs_skip_reason(const std::string& src_dir, const std::string&) {
  try {
    const std::string type = fs_type_of(src_dir);
    if (type != "btrfs")
      return fmt::format("btrfs-snapshot needs the database on btrfs: {} is on {}", src_dir, type);
  } catch (const std::exception& e) {
    return fmt::format("btrfs-snapshot cannot tell the source's filesystem: {}", e.what());
  }
  if (geteuid() != 0) return "btrfs-snapshot needs root (deleting a snapshot is privileged)";
  return "";
}

const bool registered = register_strategy({
    .name = "btrfs-snapshot",
    .description = "real volume snapshot: read-only btrfs snapshot of the database's subvolume (database, "
                   "-wal, -journal in one instant), copy the image out, delete the snapshot; SQLite recovers "
                   "the copy on open. No process is frozen, no lock taken",
    .params = {},
    .fs_skip_reason = btrfs_skip_reason,
    .expected_safe = [](const std::string&, const Params&) { return true; },
    .safety_note = "safe in every mode if SQLite's crash recovery makes a crash image consistent (the "
                   "harness checks; the article doubts it)",
    .needs = "the database on btrfs (any subvolume), root",
    .run = run_btrfs_snapshot,
});

}  // namespace
}  // namespace bb
