// The nemesis: a kind's fault prepared, struck during the backup, and what the
// backup left at the destination noted for the outcome check.
#include "driver/nemesis.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <signal.h>

#include <filesystem>
#include <stdexcept>

#include "core/files.h"
#include "driver/load.h"
#include "strategies/atomic_dest.h"

namespace fs = std::filesystem;

namespace bb {
namespace {

// What lies at or beside `dest` that a backup may have written: the file, its
// sidecars, and temporaries (".NAME.partial-PID..."); but for the temporaries,
// a completed backup's own files are left out.
std::vector<std::string> written_at(const std::string& dest, bool completed) {
  std::vector<std::string> out;
  std::error_code ec;
  if (!completed) {
    if (fs::exists(fs::symlink_status(dest, ec))) out.push_back(fs::path(dest).filename().string());
    for (auto side : kSidecars)
      if (fs::exists(fs::symlink_status(with_suffix(dest, side), ec)))
        out.push_back(fs::path(with_suffix(dest, side)).filename().string());
  }
  const std::string prefix = partial_prefix(dest);
  fs::path dir = fs::path(dest).parent_path();
  for (auto& e : fs::directory_iterator(dir.empty() ? fs::path(".") : dir, ec))
    if (e.path().filename().string().rfind(prefix, 0) == 0) out.push_back(e.path().filename().string());
  return out;
}

}  // namespace

std::optional<FaultRecord> planned_fault(const FaultOptions& s, const Cell& c) {
  const FaultKind* k = find_fault(c.fault);
  if (!k) return std::nullopt;
  FaultRecord f;
  f.kind = k->name;
  f.at = k->from_start ? "the destination, from the start" : fmt::format("{}+{}ms", s.at, s.delay_ms);
  f.target = aim_text(k->aim);
  return f;
}

Nemesis::Nemesis(const FaultOptions& s, const Cell& c, const std::string& workload)
    : kind_(find_fault(c.fault)), writers_(int(c.writers)), workload_(workload) {
  if (!kind_) {
    // The scenario's check refused any other name before the first trial.
    if (c.fault != "none") throw std::invalid_argument(fmt::format("unknown fault '{}'", c.fault));
    return;
  }
  fault_ = kind_->make(s, c);
  cannot_ = fault_->cannot();
  hit_ = std::make_unique<Strike>(s.at, s.delay_ms);
}

Nemesis::~Nemesis() = default;

std::string Nemesis::destination(const std::string& dest) const {
  const std::string dir = fault_ ? fault_->dest_dir() : std::string();
  return dir.empty() ? dest : dir + "/" + fs::path(dest).filename().string();
}

void Nemesis::strike(Load& load, pid_t backup) {
  if (!kind_ || kind_->from_start) return;
  const int slot = kind_->aim == FaultAim::kWriter ? 0 : kind_->aim == FaultAim::kReader ? writers_ : -1;
  const pid_t pid = slot >= 0 ? load.worker_pid(slot) : kind_->aim == FaultAim::kBackup ? backup : 0;
  if (!hit_->arm(load.segment(), kind_->aim, slot, pid)) return;
  if (kind_->kills && slot >= 0) load.expect_death(slot, SIGKILL);
  hit_->start([fault = fault_.get()](Strike& s) { fault->strike(s); });
}

void Nemesis::backup_ended(BackupRun& b, const ExitStatus& ex) {
  if (!kind_) return;
  hit_->backup_ended();
  if (!kind_->outlives_backup) hit_->join();
  fault_->backup_ended(b, ex, *hit_);
  // Leftovers are looked at now, before anything else touches the folder; a
  // kind's own files there are named .nemesis-*.
  auto left = written_at(b.snapshot_file, b.backup.completed());
  std::erase_if(left, [](const std::string& n) { return n.rfind(".nemesis-", 0) == 0; });
  dest_left_ = fmt::format("{}", fmt::join(left, ", "));
}

FreshnessBounds Nemesis::widen(FreshnessBounds bounds, Load& load) const {
  return fault_ ? fault_->widen(bounds, load) : bounds;
}

}  // namespace bb
