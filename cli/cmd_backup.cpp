// `backup-bench backup`: run one strategy on any SQLite database and print a JSON
// outcome. The driver also runs this (with --shm/--outcome/--in-trial) as the
// trial's backup process.
#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "cli/commands.h"
#include "harness/errors.h"
#include "harness/holders.h"
#include "harness/shared_state.h"
#include "harness/sqlite_db.h"
#include "strategies/strategy.h"

namespace fs = std::filesystem;

namespace bb {
namespace {

struct BackupFlags {
  std::string strategy, src, dest, shm, outcome;
  std::vector<std::string> opts;
  bool in_trial = false;
};

// The journal mode as the file header tells it (bytes 18-19 are 2 in WAL mode),
// read without opening a connection.
std::string header_mode(const std::string& path) {
  unsigned char h[100] = {};
  std::ifstream in(path, std::ios::binary);
  in.read(reinterpret_cast<char*>(h), sizeof h);
  if (in.gcount() < 100 || std::memcmp(h, "SQLite format 3\0", 16) != 0)
    throw UsageError(fmt::format("{} is not an SQLite database", path));
  return h[18] == 2 ? "wal" : "delete";
}

void check_paths(const BackupFlags& f) {
  if (!fs::exists(f.src)) throw UsageError(fmt::format("source {} does not exist", f.src));
  if (!fs::is_regular_file(f.src)) throw UsageError(fmt::format("source {} is not a regular file", f.src));
  if (access(f.src.c_str(), R_OK) != 0) throw UsageError(fmt::format("source {} is not readable", f.src));
  fs::path dir = fs::path(f.dest).parent_path();
  if (dir.empty()) dir = ".";
  if (!fs::is_directory(dir)) throw UsageError(fmt::format("destination folder {} does not exist", dir.string()));
  if (access(dir.c_str(), W_OK) != 0)
    throw UsageError(fmt::format("destination folder {} is not writable", dir.string()));
  std::error_code ec;
  if (fs::is_directory(f.dest)) throw UsageError(fmt::format("destination {} is a directory", f.dest));
  if (fs::equivalent(f.src, f.dest, ec)) throw UsageError("destination is the source itself");
}

bool disk_full(const std::string& msg) {
  return msg.find("disk is full") != std::string::npos || msg.find("No space left") != std::string::npos;
}

int run(const BackupFlags& f) {
  const StrategyInfo* info = find_strategy(f.strategy);
  if (!info) throw UsageError(fmt::format("unknown strategy '{}' (see: backup-bench list strategies)", f.strategy));
  Params given;
  for (auto& kv : f.opts) {
    auto eq = kv.find('=');
    if (eq == std::string::npos) throw UsageError(fmt::format("--opt {}: expected KEY=VALUE", kv));
    given[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  BackupRequest req;
  req.params = resolve_params(*info, given);
  check_paths(f);
  req.src = f.src;
  req.dest = f.dest;
  req.mode = header_mode(f.src);
  req.in_trial = f.in_trial;

  std::optional<ShmSegment> seg;
  BackupProgress local;
  req.progress = &local;
  if (!f.shm.empty()) {
    seg.emplace(ShmSegment::attach(f.shm));
    req.progress = &seg->state()->backup;
    req.progress->pid = getpid();
    for (auto& w : seg->state()->workers)
      if (w.pid.load() > 0) req.holders.push_back(w.pid.load());
  }
  if (!f.in_trial) {
    // Who else has the database open, on stderr (stdout stays pure JSON).
    for (auto& h : find_holders(f.src))
      if (h.pid != getpid())
        fmt::print(stderr, "holder: pid {} ({}) has {} open {}\n", h.pid, h.command, h.file, h.access);
  }

  BackupOutcome out;
  if (auto why = info->skip_reason(req.mode, f.in_trial); !why.empty()) {
    out.status = "skipped";
    out.error = why;
  } else {
    try {
      out = info->run(req);
    } catch (const UsageError&) {
      throw;
    } catch (const std::exception& e) {
      out.status = "failed";
      out.error = e.what();
    }
  }
  nlohmann::json j = to_json(out);
  j["strategy"] = info->name;
  j["params"] = req.params;
  j["mode"] = req.mode;
  if (!f.outcome.empty()) {
    std::ofstream(f.outcome) << j.dump(2) << "\n";
    return 0;  // the driver reads the outcome file
  }
  fmt::print("{}\n", j.dump(2));
  if (out.status == "failed" && disk_full(out.error)) {
    fmt::print(stderr, "backup-bench: destination disk is full: {}\n", out.error);
    return 2;
  }
  return out.status == "completed" || out.status == "skipped" ? 0 : 1;
}

}  // namespace

void add_backup_command(CLI::App& app, Action& action) {
  auto f = std::make_shared<BackupFlags>();
  auto* cmd = app.add_subcommand("backup", "back up any SQLite database with one strategy; prints a JSON outcome");
  cmd->add_option("--strategy", f->strategy, "strategy name (list strategies)")->required();
  cmd->add_option("--opt", f->opts, "strategy parameter KEY=VALUE (repeatable)");
  cmd->add_option("SRC", f->src, "source database")->required();
  cmd->add_option("DEST", f->dest, "destination file (written atomically)")->required();
  cmd->add_option("--shm", f->shm, "internal: the trial's shared segment")->group("");
  cmd->add_option("--outcome", f->outcome, "internal: write the outcome here")->group("");
  cmd->add_flag("--in-trial", f->in_trial, "internal: run as a trial's backup process")->group("");
  cmd->callback([f, &action] { action = [f] { return run(*f); }; });
}

}  // namespace bb
