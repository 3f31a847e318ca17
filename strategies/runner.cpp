// The backup runner and the backup process's body.
#include "strategies/runner.h"

#include <fmt/format.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <system_error>

#include "core/clock.h"
#include "core/errors.h"
#include "core/files.h"
#include "core/holders.h"
#include "core/sqlite_db.h"
#include "strategies/atomic_dest.h"

namespace fs = std::filesystem;

namespace bb {

// ---- BackupJob -------------------------------------------------------------

BackupJob::BackupJob(std::string src_, AtomicDest& dest, Params params_, std::string mode_, bool in_trial_,
                     std::vector<pid_t> holders_, BackupProgress& progress)
    : src(std::move(src_)),
      params(std::move(params_)),
      mode(std::move(mode_)),
      in_trial(in_trial_),
      holders(std::move(holders_)),
      dest_(dest),
      progress_(progress) {}

const std::string& BackupJob::tmp() const { return dest_.tmp(); }
const std::string& BackupJob::dest() const { return dest_.dest(); }

int64_t BackupJob::param_int(const std::string& key) const {
  int64_t n = 0;
  auto it = params.find(key);
  if (it == params.end()) throw std::logic_error("no parameter " + key);
  auto r = std::from_chars(it->second.data(), it->second.data() + it->second.size(), n);
  if (r.ec != std::errc()) throw std::logic_error("parameter " + key + " is not an integer");
  return n;
}

bool BackupJob::param_bool(const std::string& key) const {
  auto it = params.find(key);
  return it != params.end() && it->second == "true";
}

void BackupJob::reading() {
  int64_t zero = 0;
  progress_.read_begin_ns.compare_exchange_strong(zero, now_ns());
}
void BackupJob::read_done() { progress_.read_end_ns = now_ns(); }
void BackupJob::step(int64_t remaining) {
  progress_.steps.fetch_add(1);
  if (remaining >= 0) progress_.remaining = remaining;
}
void BackupJob::restart() { progress_.restarts.fetch_add(1); }
void BackupJob::busy_retry() { progress_.busy_retries.fetch_add(1); }
void BackupJob::companion(std::string_view suffix) { dest_.add_companion(suffix); }

// ---- BackupOutcome ---------------------------------------------------------

double BackupOutcome::mb_per_s() const {
  return completed() && duration_s > 0 ? double(bytes) / 1e6 / duration_s : 0.0;
}

void to_json(nlohmann::json& j, const BackupOutcome& o) {
  j = {{"strategy", o.strategy},
       {"params", o.params},
       {"mode", o.mode},
       {"status", o.status},
       {"failure", o.failure},
       {"error", o.error.empty() ? nlohmann::json(nullptr) : nlohmann::json(o.error)},
       {"duration_s", o.duration_s},
       {"read_s", o.read_s},
       {"commit_s", o.commit_s},
       {"bytes", o.bytes},
       {"mb_per_s", o.mb_per_s()},
       {"steps", o.steps},
       {"restarts", o.restarts},
       {"busy_retries", o.busy_retries},
       {"marks_ns", {{"asked", o.asked_ns}, {"read_begin", o.read_begin_ns}, {"read_end", o.read_end_ns},
                     {"released", o.released_ns}}},
       {"extra", o.extra}};
}

void from_json(const nlohmann::json& j, BackupOutcome& o) {
  o.strategy = j.at("strategy").get<std::string>();
  o.params = j.at("params").get<Params>();
  o.mode = j.at("mode").get<std::string>();
  o.status = j.at("status").get<BackupStatus>();
  o.failure = j.at("failure").get<FailureKind>();
  o.error = j.at("error").is_string() ? j["error"].get<std::string>() : "";
  o.duration_s = j.at("duration_s").get<double>();
  o.read_s = j.at("read_s").get<double>();
  o.commit_s = j.at("commit_s").get<double>();
  o.bytes = j.at("bytes").get<int64_t>();
  o.steps = j.at("steps").get<int64_t>();
  o.restarts = j.at("restarts").get<int64_t>();
  o.busy_retries = j.at("busy_retries").get<int64_t>();
  auto& m = j.at("marks_ns");
  o.asked_ns = m.at("asked").get<int64_t>();
  o.read_begin_ns = m.at("read_begin").get<int64_t>();
  o.read_end_ns = m.at("read_end").get<int64_t>();
  o.released_ns = m.at("released").get<int64_t>();
  o.extra = j.value("extra", nlohmann::json::object());
}

// ---- failures --------------------------------------------------------------

std::pair<FailureKind, std::string> classify_failure(std::exception_ptr e) {
  try {
    std::rethrow_exception(e);
  } catch (const BackupFailure& f) {
    return {f.kind, f.what()};
  } catch (const UsageError& u) {
    return {FailureKind::kBadInput, u.what()};
  } catch (const SqliteError& s) {
    switch (s.primary()) {
      case SQLITE_FULL: return {FailureKind::kDiskFull, s.what()};
      case SQLITE_BUSY:
      case SQLITE_LOCKED: return {FailureKind::kLocked, s.what()};
      case SQLITE_CANTOPEN:
      case SQLITE_NOTADB:
      case SQLITE_PERM:
      case SQLITE_AUTH:
      case SQLITE_READONLY: return {FailureKind::kBadInput, s.what()};
      default: return {FailureKind::kInternal, s.what()};
    }
  } catch (const std::system_error& s) {
    int ev = s.code().value();
    if (ev == ENOSPC || ev == EDQUOT || ev == EFBIG) return {FailureKind::kDiskFull, s.what()};
    if (ev == EACCES || ev == EPERM || ev == EROFS) return {FailureKind::kBadInput, s.what()};
    return {FailureKind::kInternal, s.what()};
  } catch (const std::exception& x) {
    return {FailureKind::kInternal, x.what()};
  } catch (...) {
    return {FailureKind::kInternal, "unknown error"};
  }
}

// ---- the runner --------------------------------------------------------------

BackupOutcome run_backup(const StrategyInfo& info, const BackupRequest& req) {
  BackupOutcome out;
  out.strategy = info.name;
  out.params = req.params;
  out.mode = req.mode;
  BackupProgress& p = *req.progress;
  auto fail = [&](std::exception_ptr e) {
    auto [kind, what] = classify_failure(e);
    out.status = BackupStatus::kFailed;
    out.failure = kind;
    out.error = what;
  };
  std::optional<AtomicDest> dest;
  try {
    dest.emplace(req.dest);
  } catch (...) {
    fail(std::current_exception());
    return out;
  }
  BackupJob job(req.src, *dest, req.params, req.mode, req.in_trial, req.holders, p);
  p.asked_ns = now_ns();  // before any connection or lock: the impact window opens
  try {
    info.run(job);
  } catch (...) {
    fail(std::current_exception());
  }
  // The strategy's connections and locks were locals of run(): released by now.
  p.released_ns = now_ns();
  if (!p.read_begin_ns.load()) p.read_begin_ns = p.asked_ns.load();
  if (!p.read_end_ns.load() || p.read_end_ns.load() < p.read_begin_ns.load()) p.read_end_ns = p.released_ns.load();
  out.asked_ns = p.asked_ns;
  out.read_begin_ns = p.read_begin_ns;
  out.read_end_ns = p.read_end_ns;
  out.released_ns = p.released_ns;
  out.duration_s = ns_to_s(out.released_ns - out.asked_ns);
  out.read_s = ns_to_s(out.read_end_ns - out.read_begin_ns);
  out.steps = p.steps;
  out.restarts = p.restarts;
  out.busy_retries = p.busy_retries;
  out.extra = std::move(job.extra);
  if (out.completed()) {
    const int64_t t = now_ns();
    try {
      dest->commit();
      out.commit_s = ns_to_s(now_ns() - t);
      out.bytes = dest->bytes();
    } catch (...) {
      fail(std::current_exception());
    }
  }
  return out;
}

// ---- destination and source checks ------------------------------------------

namespace {

std::optional<std::pair<dev_t, ino_t>> file_id(const std::string& path) {
  struct stat sb;
  if (stat(path.c_str(), &sb) != 0) return std::nullopt;
  return std::make_pair(sb.st_dev, sb.st_ino);
}

std::string normal(const std::string& p) {
  std::error_code ec;
  auto n = fs::weakly_canonical(fs::absolute(p, ec), ec);
  return ec ? p : n.string();
}

}  // namespace

void check_destination(const std::string& src, const std::string& dest) {
  if (dest.empty()) throw UsageError("the destination path is empty");
  // The source's files, by name and by identity.
  std::vector<std::string> src_files{src};
  for (auto s : kSidecars) src_files.push_back(with_suffix(src, s));
  std::vector<std::string> dest_files{dest};
  for (auto s : kSidecars) dest_files.push_back(with_suffix(dest, s));
  for (auto& d : dest_files) {
    auto did = file_id(d);
    for (auto& s : src_files) {
      bool same = normal(d) == normal(s) || (did && did == file_id(s));
      if (!same) continue;
      if (d == dest && s == src) throw UsageError(fmt::format("destination {} is the source itself", dest));
      throw UsageError(fmt::format("destination {} would overwrite {}, a file of the source database {}", dest,
                                   s, src));
    }
  }
  struct stat lsb;
  if (lstat(dest.c_str(), &lsb) == 0) {
    if (S_ISDIR(lsb.st_mode)) throw UsageError(fmt::format("destination {} is a folder", dest));
    if (S_ISLNK(lsb.st_mode))
      throw UsageError(fmt::format("destination {} is a symbolic link; give the real path", dest));
    if (!S_ISREG(lsb.st_mode))
      throw UsageError(fmt::format("destination {} exists and is not a regular file (FIFO, device or socket)", dest));
  }
  fs::path dir = fs::path(dest).parent_path();
  if (dir.empty()) dir = ".";
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw UsageError(fmt::format("destination folder {} does not exist", dir.string()));
  if (access(dir.c_str(), W_OK) != 0)
    throw UsageError(fmt::format("destination folder {} is not writable", dir.string()));
}

std::string header_mode(const std::string& path) {
  unsigned char h[100] = {};
  std::ifstream in(path, std::ios::binary);
  in.read(reinterpret_cast<char*>(h), sizeof h);
  if (in.gcount() < 100 || std::memcmp(h, "SQLite format 3\0", 16) != 0)
    throw UsageError(fmt::format("{} is not an SQLite database", path));
  return h[18] == 2 ? "wal" : "delete";
}

// ---- the backup process --------------------------------------------------------

namespace {

void check_source(const std::string& src) {
  std::error_code ec;
  auto st = fs::status(src, ec);
  if (!fs::exists(st)) throw UsageError(fmt::format("source {} does not exist", src));
  if (!fs::is_regular_file(st)) throw UsageError(fmt::format("source {} is not a regular file", src));
  if (access(src.c_str(), R_OK) != 0) throw UsageError(fmt::format("source {} is not readable", src));
}

// A full destination disk is bad input, found before any work starts: the
// destination's filesystem must have room for at least the source's data: its
// main file and whatever its -wal or hot -journal holds (a crashed writer's WAL
// may hold most of it).
void check_free_space(const std::string& src, const std::string& dest) {
  fs::path dir = fs::path(dest).parent_path();
  if (dir.empty()) dir = ".";
  const int64_t have = free_bytes(dir.string());
  if (have < 0) return;
  const int64_t need =
      file_size_or_zero(src) + file_size_or_zero(with_suffix(src, "-wal")) + file_size_or_zero(with_suffix(src, "-journal"));
  if (have < need)
    throw UsageError(fmt::format("destination disk is full: {} has {:.1f} MB free, the backup needs about {:.1f} MB",
                                 dir.string(), double(have) / 1e6, double(need) / 1e6));
}

Params parse_opts(const StrategyInfo& info, const std::vector<std::string>& opts) {
  Params given;
  for (auto& kv : opts) {
    auto eq = kv.find('=');
    if (eq == std::string::npos) throw UsageError(fmt::format("--opt {}: expected KEY=VALUE", kv));
    given[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  return resolve_params(info, given);
}

}  // namespace

int backup_main(const BackupArgs& a) {
  const StrategyInfo* info = find_strategy(a.strategy);
  if (!info) throw UsageError(fmt::format("unknown strategy '{}' (see: backup-bench list strategies)", a.strategy));
  BackupRequest req;
  req.params = parse_opts(*info, a.opts);
  check_source(a.src);
  check_destination(a.src, a.dest);
  req.src = a.src;
  req.dest = a.dest;
  req.mode = header_mode(a.src);
  req.in_trial = a.in_trial;
  remove_stale_partials(a.dest);
  check_free_space(a.src, a.dest);
  install_signal_cleanup();

  std::optional<ShmSegment> seg;
  BackupProgress local;
  req.progress = &local;
  if (!a.shm.empty()) {
    seg.emplace(ShmSegment::attach(a.shm));
    req.progress = &seg->state()->backup;
    for (auto& w : seg->state()->workers)
      if (w.pid.load() > 0) req.holders.push_back(w.pid.load());
  }
  if (!a.in_trial) {
    // Every check passed: one warning line when this strategy is not expected to
    // give a consistent copy of this source (raw-copy anywhere; exclusive-copy in
    // WAL mode; ...).
    if (info->skip_reason(req.mode, false).empty() && !info->expected_safe(req.mode, req.params))
      fmt::print(stderr, "backup-bench: warning: {} is not expected to give a consistent copy of a {} database ({})\n",
                 info->name, req.mode == "wal" ? "WAL-mode" : "rollback-journal", info->safety_note);
    // Who else has the database open, on stderr (stdout stays pure JSON).
    for (auto& h : find_holders(a.src))
      if (h.pid != getpid())
        fmt::print(stderr, "holder: pid {} ({}) has {} open {}\n", h.pid, h.command, h.file, h.access);
  }

  BackupOutcome out;
  if (auto why = skip_reason_for(*info, req.mode, a.in_trial, a.src, a.dest); !why.empty()) {
    out.strategy = info->name;
    out.params = req.params;
    out.mode = req.mode;
    out.status = BackupStatus::kSkipped;
    out.error = why;
  } else {
    out = run_backup(*info, req);
  }
  nlohmann::json j = out;
  if (!a.outcome.empty()) {
    // The driver reads the outcome file; write it whole or not at all.
    const std::string tmp = with_suffix(a.outcome, ".tmp");
    {
      std::ofstream f(tmp);
      f << j.dump(2) << "\n";
      if (!f.flush()) throw std::runtime_error("cannot write " + tmp);
    }
    fs::rename(tmp, a.outcome);
    return 0;
  }
  fmt::print("{}\n", j.dump(2));
  if (out.status == BackupStatus::kFailed) {
    if (out.failure == FailureKind::kDiskFull || out.failure == FailureKind::kBadInput) {
      fmt::print(stderr, "backup-bench: {}: {}\n",
                 out.failure == FailureKind::kDiskFull ? "destination disk is full" : "bad input", out.error);
      return 2;
    }
    fmt::print(stderr, "backup-bench: backup failed: {}\n", out.error);
    return 1;
  }
  return 0;
}

}  // namespace bb
