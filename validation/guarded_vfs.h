// A guarded SQLite VFS for opening untrusted snapshots. It wraps the default VFS
// and lets a connection touch only the snapshots currently being validated and
// their sidecars (-wal, -shm, -journal) plus anonymous temporary files.
//
// Why: when a snapshot needs recovery, the validator opens a private copy of it
// read-write so SQLite recovers its -wal or rolls back its hot -journal, as a
// restore would. A hot journal may name a super-journal (multi-database commit)
// anywhere on the filesystem, and plain SQLite then reads that file and may
// delete it (pager_delsuper). Through this VFS every other path looks absent and
// cannot be opened or deleted, which is also what a restore on another machine
// would see. Snapshots needing no recovery are opened immutable through it too.
#pragma once
#include <string>

namespace bb {


// While an instance lives, `path` and its sidecars are reachable through the
// guarded VFS. `uri()` is the URI to open it with (needs SQLITE_OPEN_URI).
class GuardedPath {
 public:
  explicit GuardedPath(const std::string& path);
  ~GuardedPath();
  GuardedPath(const GuardedPath&) = delete;
  GuardedPath& operator=(const GuardedPath&) = delete;
  const std::string& uri() const { return uri_; }

 private:
  std::string full_;  // as the VFS names it (xFullPathname)
  std::string uri_;
};

}  // namespace bb
