// Copy-on-write filesystems: btrfs subvolumes and snapshots through the
// kernel's ioctls (what `btrfs subvolume create|snapshot|delete` do), and the
// facts the copy-on-write strategies check: the type, reflink support, same
// filesystem.
//
// ioctls rather than the `btrfs` tool: a snapshot is the instant a backup reads
// its source, and a fork+exec would add milliseconds of process start to it; the
// errno comes back as is (EPERM is "not root", not a line of text to parse).
#pragma once
#include <string>

namespace bb {

// statfs(2)'s name for the filesystem holding `path` ("btrfs", "xfs", "ext4"
// (also ext2/3), "tmpfs", or "0x<magic>"); throws std::system_error.
std::string fs_type_of(const std::string& path);

// The root folder of the btrfs subvolume holding `path` (a folder or a file):
// the nearest folder at or above it whose inode is a subvolume root. Throws
// std::runtime_error when `path` is not on btrfs.
std::string btrfs_subvolume_root(const std::string& path);

// Creates an empty subvolume at `path` (its parent must be on btrfs).
void btrfs_create_subvolume(const std::string& path);
// Snapshots the subvolume whose root is `subvolume` to `dest` (a new name in a
// folder of the same filesystem); read-only when asked. Data written before the
// call (even unsynced, in the page cache) is in the snapshot.
void btrfs_snapshot(const std::string& subvolume, const std::string& dest, bool read_only);
// Deletes the subvolume or snapshot at `path` (needs root).
void btrfs_delete_subvolume(const std::string& path);

// syncfs(2) of the filesystem holding `path`: writes out its dirty pages.
void sync_filesystem(const std::string& path);

// Whether two folders are on the same filesystem, where a reflink clone
// between them is possible (btrfs subvolumes have their own device numbers, so
// btrfs compares filesystem ids).
bool same_filesystem(const std::string& a, const std::string& b);

// Why a reflink clone cannot be made in `dir` (tries one, on two scratch files
// it removes); empty when it can.
std::string reflink_unsupported(const std::string& dir);

}  // namespace bb
