// A destination folder that fails on purpose: a pass-through FUSE filesystem
// (libfuse3) over a backing folder whose writes past an offset, or whose fsyncs,
// fail with EIO. The kernel returns the error to whatever wrote -- SQLite's VFS,
// sendfile, the sqlite3 shell -- as a failing disk would (no device-mapper
// `error`/`flakey` target is needed). The daemon is `backup-bench __faultfs`, a
// child process; everything is undone on every exit path (RAII), and a killed
// owner's mount is found and cleaned by clean_stale_loop_fs (same root, same
// owner-tagged names, core/loop_fs.h):
//     ROOT/<pid>-<start>-<n>-<label>-fuse.mnt/      the mount point
//     ROOT/<pid>-<start>-<n>-<label>-fuse.backing/  where the files really are
//     ROOT/<pid>-<start>-<n>-<label>-fuse.log       one line per injected error
#pragma once
#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace bb {

struct FaultFsSpec {
  int64_t write_limit = -1;    // >= 0: a write reaching past this offset of any file fails (EIO)
  bool fail_fsync = false;     // every fsync/fdatasync of a file or folder fails (EIO)
  int64_t write_delay_ms = 0;  // every write waits this long first: a slow disk (set_slow turns it on and off)
  std::string root;            // empty: default_loop_fs_root()
  std::string label = "dest";
  std::string exe;  // the backup-bench binary that serves it (`__faultfs`); empty: this process's
};

class FaultFs;
// A mounted filesystem, or why this machine cannot make one (the caller skips).
struct FaultFsResult {
  std::unique_ptr<FaultFs> fs;
  std::string cannot;
};
FaultFsResult mount_fault_fs(const FaultFsSpec& spec);

// Why no fault filesystem can be mounted here (not root, no /dev/fuse); empty
// when it may work.
std::string fault_fs_unavailable();

class FaultFs {
 public:
  ~FaultFs();
  FaultFs(const FaultFs&) = delete;
  FaultFs& operator=(const FaultFs&) = delete;

  const std::string& mount_point() const { return mnt_; }
  // type, faults, backing (for results.json).
  nlohmann::json info() const;
  // Turns the write delay on or off (the daemon takes it at once: a signal).
  void set_slow(bool slow) const;
  // The errors injected so far, one line each ("EIO write NAME at OFFSET+SIZE").
  std::vector<std::string> injected() const;
  // Unmounts, stops the daemon, removes the mount point, backing folder and log.
  // Never throws; returns what it could not undo. Idempotent.
  std::vector<std::string> unmount() noexcept;

 private:
  friend FaultFsResult mount_fault_fs(const FaultFsSpec& spec);
  explicit FaultFs(FaultFsSpec spec) : spec_(std::move(spec)) {}
  FaultFsSpec spec_;
  std::string mnt_, backing_, log_;
  pid_t daemon_ = -1;
};

// The daemon's body (`backup-bench __faultfs`): serves `mnt` from `backing` in
// the foreground until unmounted or signalled.
int fault_fs_main(const std::string& backing, const std::string& mnt, int64_t write_limit, bool fail_fsync,
                  int64_t write_delay_ms);

}  // namespace bb
