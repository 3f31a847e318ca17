// What the -wal and -journal beside a snapshot mean, whether the -wal belongs to
// the database file, and the private copy recovery runs on, so the snapshot and
// its sidecars are never changed (docs/validation.md, "Read-only").
#pragma once
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "validation/snapshot_files.h"

namespace bb {

struct SidecarPlan {
  std::optional<WalScan> wal;   // a non-empty -wal is beside the snapshot
  std::string wal_foreign;      // non-empty: why that -wal cannot belong to the database file
  std::optional<int64_t> journal_bytes;  // a non-empty -journal is beside the snapshot
  bool journal_hot = false;

  // SQLite would merge committed frames of a -wal that belongs to the file.
  bool apply_wal() const { return wal && wal->applies_anything() && wal_foreign.empty(); }
  // Recovery writes: it runs on a private copy.
  bool needs_copy() const { return apply_wal() || journal_hot; }
  // For the verdict: null when the sidecar is absent or empty.
  nlohmann::json wal_json() const;
  nlohmann::json journal_json() const;
  // One line per sidecar for the verdict's detail.
  std::vector<std::string> notes() const;
};

// Reads the -wal and -journal beside `path` (regular files, checked by the
// caller). Throws SnapshotAccessError when one cannot be read.
SidecarPlan plan_sidecars(const std::string& path, const DbHeader& db);

// A private folder (mode 0700, under `scratch_dir`) holding a copy of the
// snapshot and of the sidecars recovery needs; removed on destruction, and on
// SIGINT/SIGTERM once install_private_copy_cleanup() has run. Its name,
// "bb-validate-<pid>-<start>-XXXXXX", carries its owner (core/owner_tag.h): a
// folder whose owner was SIGKILLed is removed by the next PrivateCopy in the same
// scratch folder. Copies are reflinks where the filesystem allows, else in-kernel
// copies. Throws SnapshotAccessError when the folder cannot be made or there is
// no room.
class PrivateCopy {
 public:
  PrivateCopy(const std::string& snapshot, const SidecarPlan& plan, const std::string& scratch_dir);
  ~PrivateCopy();
  PrivateCopy(const PrivateCopy&) = delete;
  PrivateCopy& operator=(const PrivateCopy&) = delete;
  const std::string& path() const { return db_; }  // the copied database
  int64_t bytes() const { return bytes_; }
  bool reflinked() const { return reflinked_; }

 private:
  void copy(const std::string& from, const std::string& to);
  std::string dir_, db_;
  int64_t bytes_ = 0;
  bool reflinked_ = true;
};

// SIGINT/SIGTERM remove the live private copy (if any), then the process exits
// with 128 + the signal. For a process whose only cleanup is this (`validate`):
// `run` has its own handlers and removes the copy by unwinding.
void install_private_copy_cleanup();

// Removes private copies in `scratch_dir` whose owner process is gone (this
// user's only); returns how many folders were removed.
int remove_stale_private_copies(const std::string& scratch_dir);

}  // namespace bb
