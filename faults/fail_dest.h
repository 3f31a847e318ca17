// What fail-dest-write and fail-dest-fsync share: the destination on a
// fault-injecting FUSE filesystem (core/fault_fs.h), whose errors hold from the
// start and reach whatever writes there, as a failing disk's would.
#pragma once
#include <fmt/format.h>

#include <memory>
#include <string>

#include "core/fault_fs.h"
#include "driver/fault.h"

namespace bb {

class FailDest final : public Fault {
 public:
  // A write reaching past `write_limit` bytes of any file fails (-1: none);
  // with `fail_fsync`, every fsync does.
  FailDest(int64_t write_limit, bool fail_fsync) {
    FaultFsSpec spec;
    spec.write_limit = write_limit;
    spec.fail_fsync = fail_fsync;
    FaultFsResult r = mount_fault_fs(spec);
    cannot_ = r.cannot;
    fs_ = std::move(r.fs);
  }

  std::string cannot() const override { return fs_ ? std::string() : cannot_; }
  std::string dest_dir() const override { return fs_ ? fs_->mount_point() : std::string(); }

  // Struck whenever a write or fsync reached the fault: the daemon's log says.
  void after_trial(FaultRecord& f, TrialResult&) override {
    if (!fs_) return;
    const auto errors = fs_->injected();
    f.dest = fs_->info();
    f.dest["errors"] = errors.size();
    f.injected = !errors.empty();
    f.during_backup = f.injected ? std::optional<bool>(true) : std::nullopt;
    f.detail = errors.empty()
                   ? "not injected: no write or fsync reached the faulty destination"
                   : fmt::format("{} error(s) returned to the backup; the first: {}", errors.size(), errors.front());
  }

 private:
  std::string cannot_;
  std::unique_ptr<FaultFs> fs_;
};

}  // namespace bb
