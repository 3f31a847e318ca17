// An SQLite database's files on disk and the small file operations every layer
// needs: its sidecar names, sizes, fsync by path.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace bb {

// The files SQLite keeps beside a database, by suffix: the WAL, its shared-memory
// index, and the rollback journal. One list, so no layer forgets one.
inline constexpr std::array<std::string_view, 3> kSidecars{"-wal", "-shm", "-journal"};

// base + suffix, spelled out: GCC 12 warns falsely (-Wrestrict) on
// std::string + "literal".
inline std::string with_suffix(const std::string& base, std::string_view suffix) {
  std::string r;
  r.reserve(base.size() + suffix.size());
  r.append(base).append(suffix);
  return r;
}

// Removes a database file and every sidecar of it; missing files are fine.
void remove_db_files(const std::string& path) noexcept;

// Size of a file in bytes; 0 when it does not exist or cannot be examined.
int64_t file_size_or_zero(const std::string& path);

// Bytes an unprivileged writer may still use on the filesystem holding `dir`;
// -1 when it cannot be examined.
int64_t free_bytes(const std::string& dir);

// Copies `src` to `dst` (created or truncated) with the fastest means the
// filesystem offers: a reflink clone (FICLONE) where it can share blocks, else
// copy_file_range. Returns "reflink" or "copy". No fsync. Throws
// std::system_error.
std::string clone_or_copy(const std::string& src, const std::string& dst);

// fsync a file or folder by path; throws std::system_error on failure.
void fsync_path(const std::string& path);

}  // namespace bb
