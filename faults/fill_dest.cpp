// fill-dest: the destination on a small tmpfs (1.5 x the database + 4 MB), which
// the nemesis fills with a ballast file until ENOSPC when it strikes
// (docs/faults.md). The backup must fail with disk_full and leave nothing.
#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

#include "core/loop_fs.h"
#include "driver/fault.h"

namespace bb {
namespace {

class FillDest final : public Fault {
 public:
  explicit FillDest(const Cell& c) {
    // Room for a copy of the database and a little more: the backup's own
    // free-space check passes, and the ballast fills the rest when it strikes.
    LoopFsSpec spec;
    spec.kind = FsKind::kTmpfs;
    spec.size_bytes = c.db_mb * (int64_t(3) << 19) + (int64_t(4) << 20);
    spec.label = "dest";
    LoopFsResult r = mount_loop_fs(spec);
    cannot_ = r.cannot;
    tmpfs_ = std::move(r.fs);
    if (tmpfs_) std::filesystem::create_directories(tmpfs_->data_dir());
  }

  std::string cannot() const override { return tmpfs_ ? std::string() : cannot_; }
  std::string dest_dir() const override { return tmpfs_ ? tmpfs_->data_dir() : std::string(); }

  void strike(Strike& s) override {
    s.struck();
    // Named .nemesis-*: the outcome check does not count it as the backup's.
    const std::string ballast = dest_dir() + "/.nemesis-ballast";
    int fd = open(ballast.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    std::vector<char> chunk(1 << 20, 'x');
    int64_t bytes = 0;
    int err = fd < 0 ? errno : 0;
    while (fd >= 0 && !s.cancelled()) {
      ssize_t w = write(fd, chunk.data(), chunk.size());
      if (w > 0) bytes += w;
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) {
        err = w < 0 ? errno : ENOSPC;
        break;
      }
    }
    if (fd >= 0) close(fd);
    s.detail = fmt::format("filled the destination's {} MB tmpfs with {:.1f} MB of ballast until {}",
                           tmpfs_->info().value("size_bytes", int64_t(0)) >> 20, double(bytes) / 1e6,
                           err ? strerror(err) : "cancelled");
  }

  void after_trial(FaultRecord& f, TrialResult&) override {
    if (tmpfs_) f.dest = tmpfs_->info();
  }

 private:
  std::string cannot_;
  std::unique_ptr<LoopFs> tmpfs_;
};

const bool registered = register_fault({
    .name = "fill-dest",
    .description = "the destination on a small tmpfs, filled with a ballast file until ENOSPC",
    .aim = FaultAim::kDestination,
    .make = [](const FaultOptions&, const Cell& c) { return std::make_unique<FillDest>(c); },
});

}  // namespace
}  // namespace bb
