// Snapshot validation: preflight, sidecar recovery on a private copy, header,
// integrity_check, the workload's invariants, freshness. A hostile file (random
// bytes, truncated, zero-length, a directory or FIFO, a valid header over
// garbage pages, a hostile journal or -wal beside it) yields CORRUPT or a clear
// detail, never a crash, a hang, or a changed file: the snapshot is opened
// read-only (immutable) unless recovery is needed, and then only a private copy
// is opened for writing (see recovery.h, guarded_vfs.h).
#include "validation/validator.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cstring>
#include <filesystem>
#include <memory>
#include <stdexcept>

#include "core/clock.h"
#include "core/files.h"
#include "core/sqlite_db.h"
#include "validation/guarded_vfs.h"
#include "validation/recovery.h"
#include "workloads/workload.h"

namespace fs = std::filesystem;

namespace bb {
namespace {

// The validating connection's memory is capped whatever the snapshot's size:
// page cache 8 MiB, no mmap (mapped pages count as resident), temporary tables
// and sorter spills in files. The invariants are aggregated inside SQLite, so
// nothing proportional to the row count is held in this process.
constexpr const char* kBoundedMemoryPragmas =
    "PRAGMA mmap_size=0; PRAGMA temp_store=FILE; PRAGMA cache_size=-8192;";
constexpr int kBusyTimeoutMs = 2000;

// Runs `f` and records how long it took under `name`.
template <typename F>
auto timed(Verdict& v, const char* name, F&& f) {
  int64_t t = now_ns();
  struct Rec {
    Verdict& v;
    const char* n;
    int64_t t;
    ~Rec() { v.timings_ms[n] = ns_to_ms(now_ns() - t); }
  } rec{v, name, t};
  return f();
}

// Why a file SQLite could not read looks broken, as far as the header tells.
std::string header_diagnosis(const DbHeader& h, bool wal_applied) {
  if (!h.page_size) return "the header's page size is invalid";
  if (h.file_bytes % h.page_size)
    return fmt::format("the file size {} is not a multiple of the page size {}", h.file_bytes, h.page_size);
  int64_t want = h.header_pages * int64_t(h.page_size);
  if (!wal_applied && h.header_pages && h.file_bytes < want)
    return fmt::format("the file has {} bytes but its header says {} pages of {} bytes ({} bytes): {}", h.file_bytes,
                       h.header_pages, h.page_size, want,
                       h.wal_mode ? "pages that exist only in the missing -wal" : "truncated");
  return {};
}

// Errors of the environment (permissions, I/O, a full disk for temporary
// files), not of the snapshot's content.
bool environment_error(const SqliteError& e) {
  switch (e.primary()) {
    case SQLITE_CANTOPEN:
    case SQLITE_PERM:
    case SQLITE_READONLY:
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_AUTH:
    case SQLITE_NOLFS:
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return true;
    default:
      return false;
  }
}

nlohmann::json null_checks(const std::vector<std::string>& workload_checks) {
  nlohmann::json c = {{"integrity", nullptr}, {"fresh", nullptr}};
  for (auto& k : workload_checks) c[k] = nullptr;
  return c;
}

// Which workload's invariants to check, and how that was decided.
struct Choice {
  std::unique_ptr<Workload> owned;
  Workload* workload = nullptr;
  std::string name;    // empty: an instance whose name the caller did not give
  std::string source;  // "given" | "detected" | "none: ..."
  bool detect = false;
};

Verdict validate(const std::string& path, Choice choice, const FreshnessBounds& bounds, const ValidateOptions& opt) {
  int64_t t0 = now_ns();
  Verdict v;
  v.bounds = bounds;
  v.workload = choice.name;
  v.workload_source = choice.source;
  v.checks = null_checks(choice.workload ? choice.workload->checks() : std::vector<std::string>{});
  std::vector<std::string> notes;  // always appended to the detail
  std::vector<std::string> hints;  // appended only when the verdict is not OK
  std::string foreign;             // a -wal that does not belong: the verdict's first words
  auto finish = [&]() -> Verdict {
    std::vector<std::string> parts;
    if (!v.detail.empty()) parts.push_back(v.detail);
    parts.insert(parts.end(), notes.begin(), notes.end());
    if (!v.ok()) parts.insert(parts.end(), hints.begin(), hints.end());
    std::string detail = fmt::format("{}", fmt::join(parts, "; "));
    if (foreign.empty()) {
      v.detail = detail;
    } else {
      // The snapshot as SQLite would open it mixes two histories: not a faithful
      // copy, whatever the database file alone is.
      v.detail = fmt::format("{}; not applied: the database file alone is {}{}{}", foreign, v.status,
                             detail.empty() ? "" : ": ", detail);
      v.status = VerdictStatus::kCorrupt;
    }
    v.timings_ms["total"] = ns_to_ms(now_ns() - t0);
    return v;
  };
  auto corrupt = [&](const std::string& why) {
    v.status = VerdictStatus::kCorrupt;
    v.detail = why;
    return finish();
  };

  // Only a regular file is opened: a FIFO would block the first read forever, a
  // device could be endless. The same holds for the sidecars SQLite would open.
  std::error_code ec;
  auto st = fs::status(path, ec);
  if (ec && ec != std::errc::no_such_file_or_directory)
    throw SnapshotAccessError(fmt::format("cannot examine {}: {}", path, ec.message()));
  if (!fs::exists(st)) return corrupt(fmt::format("{} does not exist", path));
  if (fs::is_directory(st)) return corrupt(fmt::format("{} is a directory, not a database file", path));
  if (!fs::is_regular_file(st)) return corrupt(fmt::format("{} is not a regular file", path));
  // SQLite resolves symbolic links and looks for the sidecars beside the target.
  std::string real = fs::canonical(path, ec).string();
  if (ec) real = path;
  for (auto side : kSidecars) {
    std::string sp = with_suffix(real, side);
    auto sst = fs::symlink_status(sp, ec);
    if (ec || !fs::exists(sst)) continue;
    if (!fs::is_regular_file(fs::status(sp, ec)) || ec)
      return corrupt(fmt::format("{} is beside the snapshot but is not a regular file; not opened", sp));
  }
  ReadOnlyFile file(real);  // a permission problem surfaces here, before any verdict
  if (file.size() == 0) return corrupt("zero-length file (an empty file is not a backup of anything)");
  DbHeader hdr = read_db_header(file);
  if (!hdr.magic)
    return corrupt(
        fmt::format("not an SQLite database: no 'SQLite format 3' header in its first bytes ({} bytes)", file.size()));

  SidecarPlan plan = timed(v, "sidecars", [&] { return plan_sidecars(real, hdr); });
  v.wal = plan.wal_json();
  v.journal = plan.journal_json();
  for (auto& n : plan.notes()) notes.push_back(n);
  if (plan.wal && !plan.wal->refused_why.empty())
    return corrupt(fmt::format("SQLite refuses to open the database with the -wal file beside it ({} bytes): {}",
                               plan.wal->bytes, plan.wal->refused_why));
  if (!plan.wal_foreign.empty())
    foreign = fmt::format("a -wal file ({} bytes, {} commits) beside the snapshot does not belong to it: {}; SQLite "
                          "would merge it into the database file on opening, so the snapshot as found is not a "
                          "faithful copy",
                          plan.wal->bytes, plan.wal->commits, plan.wal_foreign);
  if (hdr.wal_mode && !plan.apply_wal())
    hints.push_back(plan.wal ? "a WAL-mode database whose -wal was not applied: transactions committed after its "
                               "last checkpoint are not in this file"
                             : "a WAL-mode database with no -wal beside it: transactions committed after its last "
                               "checkpoint are not in this file");
  if ((bounds.min || bounds.max) && !choice.workload && !choice.detect)
    notes.push_back("freshness bounds were given but no workload's invariants are checked: freshness not judged");

  // Recovery writes, so it runs on a private copy; otherwise the snapshot is
  // opened immutable (read-only, no locks, its -shm and -wal never opened).
  std::optional<PrivateCopy> copy;
  if (plan.needs_copy()) {
    std::string scratch = opt.scratch_dir;
    if (scratch.empty()) {
      scratch = fs::temp_directory_path(ec).string();
      if (ec) scratch = "/tmp";
    }
    timed(v, "copy", [&] {
      copy.emplace(real, plan, scratch);
      return 0;
    });
    v.recovered_copy = true;
    notes.push_back(fmt::format("the snapshot and its sidecars are unchanged: recovery ran on a private copy ({} "
                                "bytes, {} in {:.0f} ms)",
                                copy->bytes(), copy->reflinked() ? "reflinked" : "copied",
                                v.timings_ms["copy"].get<double>()));
  }
  const std::string& target = copy ? copy->path() : real;

  const char* stage = "open";  // names the step that failed in an "unreadable" detail
  try {
    GuardedPath guard(target);
    Db db = copy ? Db(guard.uri(), SQLITE_OPEN_READWRITE | SQLITE_OPEN_URI)
                 : Db(guard.uri() + "&immutable=1", SQLITE_OPEN_READONLY | SQLITE_OPEN_URI);
    // The private copy is dropped afterwards: no checkpoint into it on close.
    if (copy) sqlite3_db_config(db.get(), SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, nullptr);
    db.busy_timeout(kBusyTimeoutMs);
    // On the copy, the first read recovers the -wal or rolls back the journal.
    timed(v, "open", [&] {
      db.exec(kBoundedMemoryPragmas);
      db.query_int("SELECT count(*) FROM sqlite_schema");
      db.exec("PRAGMA query_only=1");  // nothing the validator runs writes
      return 0;
    });
    if (choice.detect) {
      if (const WorkloadInfo* info = detect_workload(db)) {
        choice.owned = info->make();
        choice.workload = choice.owned.get();
        v.workload = info->name;
        v.workload_source = "detected";
        v.checks = null_checks(choice.workload->checks());
      } else {
        v.workload_source = "none: no workload's tables found";
      }
    }
    const char* pragma = opt.quick ? "quick_check" : "integrity_check";
    stage = pragma;
    std::string integrity = timed(v, "integrity", [&] {
      Stmt st(db, fmt::format("PRAGMA {}(20)", pragma));
      std::vector<std::string> lines;
      while (st.step()) lines.push_back(st.col_text(0));
      return lines.size() == 1 && lines[0] == "ok" ? std::string("ok") : fmt::format("{}", fmt::join(lines, "; "));
    });
    v.checks["integrity"] = integrity;
    if (integrity != "ok") {
      std::string why = header_diagnosis(hdr, plan.apply_wal());
      return corrupt(fmt::format("{}: {}{}{}", pragma, integrity, why.empty() ? "" : "; ", why));
    }
    if (Workload* w = choice.workload) {
      stage = "the invariant checks";
      const std::vector<std::string> declared = w->checks();
      auto all = [&](bool value) {
        std::vector<std::pair<std::string, bool>> c;
        for (auto& k : declared) c.emplace_back(k, value);
        return c;
      };
      InvariantReport r;
      try {
        r = timed(v, "invariants", [&] { return w->check(db); });
      } catch (const InvariantBroken& e) {
        r.checks = all(false);
        r.detail = e.what();
      } catch (const SqliteError& e) {
        // SQLITE_ERROR here is a schema mismatch ("no such table"): readable, but
        // the workload's tables are not all there -- another application's
        // database, or a WAL database copied without its -wal before the schema
        // reached the main file. Anything else means it cannot be read.
        if (e.primary() != SQLITE_ERROR) throw;
        r.checks = all(false);
        r.detail = fmt::format("the workload's tables are missing or unreadable ({}): not a database of this "
                               "workload, or its tables never reached this file", e.what());
      }
      // The contract (workload.h): check() reports exactly the declared checks.
      for (auto& [k, ok] : r.checks) {
        if (k == "integrity" || k == "fresh" || !v.checks.contains(k) || !v.checks[k].is_null())
          throw std::logic_error(fmt::format("workload reported check '{}' it does not declare (or twice)", k));
        v.checks[k] = ok;
      }
      for (auto& k : declared)
        if (v.checks[k].is_null()) throw std::logic_error(fmt::format("workload declared check '{}' but skipped it", k));
      v.snapshot_seq = r.last_seq;
      if (!r.ok()) {
        v.status = VerdictStatus::kInconsistent;
        v.detail = r.detail;
      } else if (bounds.min || bounds.max) {
        bool fresh = true;
        if (bounds.min && r.last_seq < *bounds.min) {
          fresh = false;
          v.detail = fmt::format("stale: snapshot ends at seq {} but {} transactions had committed before the "
                                 "backup started ({} committed transactions lost)",
                                 r.last_seq, *bounds.min, *bounds.min - r.last_seq);
        } else if (bounds.max && r.last_seq > *bounds.max) {
          fresh = false;
          v.detail = fmt::format("impossible: snapshot ends at seq {} but only {} transactions had begun before "
                                 "the backup ended",
                                 r.last_seq, *bounds.max);
        }
        v.checks["fresh"] = fresh;
        if (!fresh) v.status = VerdictStatus::kStale;
      }
    } else if ((bounds.min || bounds.max) && choice.detect) {
      notes.push_back("freshness bounds were given but no workload was recognised: freshness not judged");
    }
  } catch (const SqliteError& e) {
    // While opening, the statement text says nothing about the snapshot.
    std::string what = std::strcmp(stage, "open") == 0 ? sqlite3_errstr(e.code) : e.what();
    if (environment_error(e))
      throw SnapshotAccessError(fmt::format("cannot validate {}{}: {} failed: {}", path,
                                            copy ? " (its private copy)" : "", stage, what));
    std::string why = header_diagnosis(hdr, plan.apply_wal());
    return corrupt(fmt::format("unreadable ({} failed): {}{}{}", stage, what, why.empty() ? "" : "; ", why));
  }
  return finish();
}

}  // namespace

Verdict validate_snapshot(const std::string& path, const std::string& workload, const FreshnessBounds& bounds,
                          const ValidateOptions& opt) {
  Choice c;
  if (workload == "auto") {
    c.detect = true;
    c.name = "none";
    c.source = "none: the snapshot's schema could not be read";
  } else if (workload == "none") {
    c.name = "none";
    c.source = "given";
  } else {
    c.owned = make_workload(workload);
    if (!c.owned) throw std::invalid_argument(fmt::format("unknown workload '{}'", workload));
    c.workload = c.owned.get();
    c.name = workload;
    c.source = "given";
  }
  return validate(path, std::move(c), bounds, opt);
}

Verdict validate_snapshot(const std::string& path, Workload* workload, const FreshnessBounds& bounds,
                          const ValidateOptions& opt) {
  Choice c;
  c.workload = workload;
  c.name = workload ? "" : "none";
  c.source = "given";
  return validate(path, std::move(c), bounds, opt);
}

Verdict no_snapshot(VerdictStatus status, const std::string& detail,
                    const std::vector<std::string>& workload_checks) {
  Verdict v;
  v.status = status;
  v.detail = detail;
  v.checks = null_checks(workload_checks);
  return v;
}

std::string to_string(VerdictStatus s) { return nlohmann::json(s).get<std::string>(); }

nlohmann::json to_json(const Verdict& v) {
  auto opt = [](const std::optional<int64_t>& o) { return o ? nlohmann::json(*o) : nlohmann::json(nullptr); };
  auto str = [](const std::string& s) { return s.empty() ? nlohmann::json(nullptr) : nlohmann::json(s); };
  return {{"status", v.status},
          {"snapshot_seq", v.snapshot_seq},
          {"committed_before_start", opt(v.bounds.min)},
          {"committed_before_end", opt(v.bounds.max)},
          {"checks", v.checks},
          {"timings_ms", v.timings_ms},
          {"detail", v.detail},
          {"workload", str(v.workload)},
          {"workload_source", str(v.workload_source)},
          {"recovered_copy", v.recovered_copy},
          {"wal", v.wal},
          {"journal", v.journal}};
}

Verdict verdict_from_json(const nlohmann::json& j) {
  Verdict v;
  auto str = [&](const char* k) { return j.contains(k) && j[k].is_string() ? j[k].get<std::string>() : std::string(); };
  auto opt = [&](const char* k) {
    return j.contains(k) && j[k].is_number_integer() ? std::optional<int64_t>(j[k].get<int64_t>()) : std::nullopt;
  };
  v.status = j.at("status").get<VerdictStatus>();
  v.snapshot_seq = j.value("snapshot_seq", int64_t(0));
  v.bounds = {opt("committed_before_start"), opt("committed_before_end")};
  v.checks = j.value("checks", nlohmann::json::object());
  v.timings_ms = j.value("timings_ms", nlohmann::json::object());
  v.detail = str("detail");
  v.workload = str("workload");
  v.workload_source = str("workload_source");
  v.recovered_copy = j.value("recovered_copy", false);
  v.wal = j.value("wal", nlohmann::json());
  v.journal = j.value("journal", nlohmann::json());
  return v;
}

}  // namespace bb
