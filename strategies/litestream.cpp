// `litestream`: continuous replication by the real Litestream (v0.3.13, installed
// by scripts/setup into the tool cache). In a trial `litestream replicate` runs
// beside the load from before the warm-up (the driver's Companion), copying the
// WAL to a file replica; at the backup point `litestream restore` rebuilds a
// database from the replica: that is the snapshot. It trails the source by the
// replication's recovery point, which the driver measures (docs/litestream.md).
#include <fmt/format.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <system_error>
#include <unistd.h>

#include "core/files.h"
#include "core/process.h"
#include "strategies/strategy.h"

namespace fs = std::filesystem;

namespace bb {
namespace {

constexpr const char* kVersion = "v0.3.13";

// The tool cache scripts/setup installs into: $BB_TOOLS_DIR, else
// $XDG_CACHE_HOME/backup-bench/tools, else ~/.cache/backup-bench/tools.
std::string tools_dir() {
  if (const char* d = std::getenv("BB_TOOLS_DIR"); d && *d) return d;
  if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x) return std::string(x) + "/backup-bench/tools";
  if (const char* h = std::getenv("HOME"); h && *h) return std::string(h) + "/.cache/backup-bench/tools";
  return "/tmp/backup-bench-tools";
}

// The binary: $BB_LITESTREAM when set (a path), else the tool cache's.
std::string litestream_exe() {
  if (const char* e = std::getenv("BB_LITESTREAM"); e && *e) return e;
  return fmt::format("{}/litestream-{}/litestream", tools_dir(), kVersion);
}

bool runnable(const std::string& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec) && access(p.c_str(), X_OK) == 0;
}

// The configuration `litestream replicate` runs with, beside the database (as
// /etc/litestream.yml would be): restore reads the same file.
std::string config_of(const std::string& db) { return with_suffix(db, "-litestream.yml"); }

// Litestream's metadata folder beside the database (its shadow WAL).
std::string meta_of(const std::string& db) {
  const fs::path p(db);
  return (p.parent_path() / ("." + p.filename().string() + "-litestream")).string();
}

// YAML double-quoted string.
std::string quoted(const std::string& s) {
  std::string o = "\"";
  for (char c : s) o += c == '"' || c == '\\' ? std::string{'\\', c} : std::string(1, c);
  return o + "\"";
}

// Litestream logs `level=ERROR msg="..." error="..."`: the error, else the last line.
std::string error_of(const std::string& out) {
  std::string last;
  size_t pos = 0;
  while (pos < out.size()) {
    size_t nl = out.find('\n', pos);
    std::string line = out.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
    pos = nl == std::string::npos ? out.size() : nl + 1;
    if (line.empty()) continue;
    last = line;
    if (auto at = line.find("error=\""); at != std::string::npos) {
      auto end = line.rfind('"');
      if (end > at + 7) return line.substr(at + 7, end - at - 7);
    }
  }
  return last.empty() ? "no output" : last;
}

CompanionSpec make_companion(const std::string& db, const std::string& replica_dir, const Params& p) {
  const std::string exe = litestream_exe();
  CompanionSpec c;
  c.name = "litestream replicate";
  c.exe = exe;
  const std::string config = config_of(db);
  const int64_t sync_ms = std::stoll(p.at("sync_interval_ms"));
  const int64_t snap_ms = std::stoll(p.at("snapshot_interval_ms"));
  std::string yml = fmt::format(
      "# backup-bench: one trial's database and its file replica (docs/litestream.md)\n"
      "dbs:\n  - path: {}\n    replicas:\n      - type: file\n        path: {}\n        sync-interval: {}ms\n",
      quoted(db), quoted(replica_dir), sync_ms);
  if (snap_ms > 0) yml += fmt::format("        snapshot-interval: {}ms\n", snap_ms);
  c.args = {"replicate", "-config", config};
  // The first snapshot of the first generation: from then on a restore works.
  c.ready_text = "snapshot written";
  // An error before that (a replica it cannot write: a full or failing disk)
  // is not waited out: the restore will say what the replica holds.
  c.fail_text = "level=ERROR";
  c.files = {config, meta_of(db), replica_dir};
  Captured v = run_capture(exe, {"version"});
  c.version = v.output.substr(0, v.output.find('\n'));
  {  // last: nothing may throw after the file exists (the caller removes c.files)
    std::ofstream out(config, std::ios::trunc);
    out << yml;
    if (!out.flush()) throw std::system_error(errno, std::generic_category(), "writing " + config);
  }
  c.facts = {{"config", yml},
             {"sync_interval_ms", sync_ms},
             {"snapshot_interval_ms", snap_ms > 0 ? nlohmann::json(snap_ms) : nlohmann::json(nullptr)},
             {"monitor_interval_ms", 1000}};  // Litestream's own: how often it looks at the WAL
  return c;
}

void run_restore(BackupJob& job) {
  const std::string exe = litestream_exe(), config = config_of(job.src);
  std::error_code ec;
  if (!fs::exists(config, ec))
    throw BackupFailure(FailureKind::kBadInput,
                        fmt::format("no litestream replicate runs beside {} (no {})", job.src, config));
  job.extra["litestream"] = exe;
  job.reading();  // the replica, which trails the source
  Captured c = run_capture(exe, {"restore", "-config", config, "-o", job.tmp(), job.src});
  job.read_done();
  // restore writes TMP.tmp, renames it to TMP, and leaves that name's -wal and -shm.
  for (auto suffix : {".tmp", ".tmp-wal", ".tmp-shm"}) fs::remove(with_suffix(job.tmp(), suffix), ec);
  if (!c.status.ok()) {
    const std::string why = error_of(c.output);
    const bool full = why.find("no space left on device") != std::string::npos;
    throw BackupFailure(full ? FailureKind::kDiskFull : FailureKind::kInternal,
                        fmt::format("litestream restore {}: {}", how_it_ended(c.status), why));
  }
  if (!fs::exists(job.tmp(), ec))
    throw BackupFailure(FailureKind::kInternal, "litestream restore wrote nothing: " + error_of(c.output));
  // Which generation and WAL index it restored, from its log.
  for (auto key : {"generation=", "index_max="})
    if (auto at = c.output.rfind(key); at != std::string::npos)
      job.extra[std::string(key).substr(0, std::string(key).size() - 1)] =
          c.output.substr(at + std::string(key).size(),
                          c.output.find_first_of(" \n", at) - at - std::string(key).size());
  job.step();
}

const bool registered = register_strategy({
    .name = "litestream",
    .description = "continuous replication: Litestream " + std::string(kVersion) +
                   " replicates the WAL to a file replica for the whole trial; the snapshot is `litestream restore`",
    .params = {{"sync_interval_ms", "1000", "how often the replica is written (Litestream's sync-interval; its "
                                            "default 1s)", {}, 10, 3'600'000},
               {"snapshot_interval_ms", "0",
                "how often a full snapshot is written to the replica (0: only when a generation starts, Litestream's "
                "default)", {}, 0, 86'400'000}},
    .skip_reason =
        [](const std::string& mode, bool in_trial) -> std::string {
          if (mode != "wal") return "Litestream replicates the WAL: it needs WAL mode (this database is in " + mode +
                                    " mode)";
          if (!in_trial)
            return "Litestream replicates continuously: it runs in a trial (`run`), where `litestream replicate` "
                   "runs beside the load";
          if (!runnable(litestream_exe()))
            return fmt::format("no Litestream {} at {} (scripts/setup installs it)", kVersion, litestream_exe());
          return {};
        },
    .expected_safe = [](const std::string& mode, const Params&) { return mode == "wal"; },
    .safety_note = "WAL mode, in a trial (skipped elsewhere); its snapshot trails the source by its recovery point",
    .needs = "the Litestream " + std::string(kVersion) + " binary (scripts/setup installs it into the tool cache)",
    .run = run_restore,
    .companion = make_companion,
});

}  // namespace
}  // namespace bb
