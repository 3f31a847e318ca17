// Snapshot validation: header, integrity_check, workload invariants, freshness.
// A hostile file (random bytes, truncated, zero-length, a directory or FIFO, a
// valid header over garbage pages, a hostile journal beside it) yields CORRUPT or
// a clear detail, never a crash, a hang, or a touched file other than the
// snapshot and its sidecars (see guarded_vfs.h).
#include "validation/validator.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "core/clock.h"
#include "core/sqlite_db.h"
#include "validation/guarded_vfs.h"
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

std::string suffixed(const std::string& path, const char* suffix) {
  std::string s = path;
  s.append(suffix);
  return s;
}

// What the first 100 bytes say (sqlite.org/fileformat2.html, 1.3).
struct Header {
  int64_t file_bytes = 0;
  bool magic = false;
  uint32_t page_size = 0;   // 0: invalid
  bool wal_mode = false;    // read/write versions 2
  int64_t header_pages = 0; // 0: not valid (older writer or change counter mismatch)
};

uint32_t be32(const unsigned char* p) { return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3]; }

Header read_header(const std::string& path, int64_t file_bytes) {
  Header h;
  h.file_bytes = file_bytes;
  unsigned char b[100] = {};
  std::ifstream in(path, std::ios::binary);
  in.read(reinterpret_cast<char*>(b), sizeof b);
  if (in.gcount() < 16 || std::memcmp(b, "SQLite format 3\0", 16) != 0) return h;
  h.magic = true;
  if (in.gcount() < 100) return h;
  uint32_t ps = uint32_t(b[16]) << 8 | b[17];
  if (ps == 1) ps = 65536;
  if (ps >= 512 && ps <= 65536 && (ps & (ps - 1)) == 0) h.page_size = ps;
  h.wal_mode = b[18] == 2 && b[19] == 2;
  if (be32(b + 24) == be32(b + 92)) h.header_pages = be32(b + 28);
  return h;
}

// Why a file SQLite could not read looks broken, as far as the header tells.
std::string header_diagnosis(const Header& h, bool has_wal) {
  if (!h.page_size) return "the header's page size is invalid";
  if (h.file_bytes % h.page_size)
    return fmt::format("the file size {} is not a multiple of the page size {}", h.file_bytes, h.page_size);
  int64_t want = h.header_pages * int64_t(h.page_size);
  if (!has_wal && h.header_pages && h.file_bytes < want)
    return fmt::format("the file has {} bytes but its header says {} pages of {} bytes ({} bytes): {}", h.file_bytes,
                       h.header_pages, h.page_size, want,
                       h.wal_mode ? "pages that exist only in the missing -wal" : "truncated");
  return {};
}

}  // namespace

Verdict no_snapshot(const std::string& status, const std::string& detail) {
  Verdict v;
  v.status = status;
  v.detail = detail;
  v.checks = {{"integrity", nullptr}, {"balance_sum", nullptr}, {"seq_gapless", nullptr},
              {"replay", nullptr},    {"fresh", nullptr}};
  return v;
}

Verdict validate_snapshot(const std::string& path, Workload* workload, const FreshnessBounds& bounds,
                          const ValidateOptions& opt) {
  int64_t t0 = now_ns();
  Verdict v;
  v.bounds = bounds;
  v.checks = {{"integrity", nullptr}, {"balance_sum", nullptr}, {"seq_gapless", nullptr},
              {"replay", nullptr},    {"fresh", nullptr}};
  std::vector<std::string> notes;  // always appended to the detail
  std::vector<std::string> hints;  // appended only when the verdict is not OK
  auto finish = [&]() -> Verdict {
    std::vector<std::string> parts;
    if (!v.detail.empty()) parts.push_back(v.detail);
    parts.insert(parts.end(), notes.begin(), notes.end());
    if (!v.ok()) parts.insert(parts.end(), hints.begin(), hints.end());
    v.detail = fmt::format("{}", fmt::join(parts, "; "));
    v.timings_ms["total"] = ns_to_ms(now_ns() - t0);
    return v;
  };
  auto corrupt = [&](const std::string& why) {
    v.status = "CORRUPT";
    v.detail = why;
    return finish();
  };

  // Only a regular file is opened: a FIFO would block the first read forever, a
  // device could be endless. The same holds for the sidecars SQLite would open.
  std::error_code ec;
  auto st = fs::status(path, ec);
  if (ec || !fs::exists(st)) return corrupt(fmt::format("{} does not exist", path));
  if (fs::is_directory(st)) return corrupt(fmt::format("{} is a directory, not a database file", path));
  if (!fs::is_regular_file(st)) return corrupt(fmt::format("{} is not a regular file", path));
  bool has_wal = false;
  for (auto side : {"-wal", "-journal", "-shm"}) {
    std::string sp = suffixed(path, side);
    auto sst = fs::symlink_status(sp, ec);
    if (ec || !fs::exists(sst)) continue;
    if (!fs::is_regular_file(fs::status(sp, ec)) || ec)
      return corrupt(fmt::format("{} is beside the snapshot but is not a regular file; not opened", sp));
    auto bytes = fs::file_size(sp, ec);
    if (ec || bytes == 0 || std::strcmp(side, "-shm") == 0) continue;
    if (std::strcmp(side, "-wal") == 0) {
      has_wal = true;
      notes.push_back(fmt::format("a -wal file ({} bytes) is beside the snapshot: validated what SQLite sees with it "
                                  "(its committed transactions included)", bytes));
    } else {
      notes.push_back(fmt::format("a -journal file ({} bytes) is beside the snapshot: validated what SQLite sees "
                                  "with it (a hot journal is rolled back first)", bytes));
    }
  }
  auto size = fs::file_size(path, ec);
  if (ec) return corrupt(fmt::format("cannot read the size of {}: {}", path, ec.message()));
  if (size == 0) return corrupt("zero-length file (an empty file is not a backup of anything)");
  Header hdr = read_header(path, int64_t(size));
  if (!hdr.magic)
    return corrupt(fmt::format("not an SQLite database: no 'SQLite format 3' header in its first bytes ({} bytes)", size));
  if (hdr.wal_mode && !has_wal)
    hints.push_back("a WAL-mode database with no -wal beside it: transactions committed after its last "
                    "checkpoint are not in this file");

  const char* stage = "open";  // names the step that failed in an "unreadable" detail
  try {
    GuardedPath guard(path);
    Db db(guard.uri(), SQLITE_OPEN_READWRITE | SQLITE_OPEN_URI);
    db.busy_timeout(kBusyTimeoutMs);
    // The first read recovers a -wal or rolls back a hot journal.
    timed(v, "open", [&] {
      db.exec(kBoundedMemoryPragmas);
      db.query_int("SELECT count(*) FROM sqlite_schema");
      db.exec("PRAGMA query_only=1");  // nothing the validator runs writes
      return 0;
    });
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
      std::string why = header_diagnosis(hdr, has_wal);
      return corrupt(fmt::format("{}: {}{}{}", pragma, integrity, why.empty() ? "" : "; ", why));
    }
    if (workload) {
      stage = "the invariant checks";
      InvariantReport r;
      try {
        r = timed(v, "invariants", [&] { return workload->check(db); });
      } catch (const InvariantBroken& e) {
        r.checks = {{"balance_sum", false}, {"seq_gapless", false}, {"replay", false}};
        r.detail = e.what();
      } catch (const SqliteError& e) {
        // SQLITE_ERROR here is a schema mismatch ("no such table"): readable, but
        // the workload's tables are not all there -- another application's
        // database, or a WAL database copied without its -wal before the schema
        // reached the main file. Anything else means it cannot be read.
        if (e.primary() != SQLITE_ERROR) throw;
        r.checks = {{"balance_sum", false}, {"seq_gapless", false}, {"replay", false}};
        r.detail = fmt::format("the workload's tables are missing or unreadable ({}): not a database of this "
                               "workload, or its tables never reached this file", e.what());
      }
      for (auto& [k, ok] : r.checks) v.checks[k] = ok;
      v.snapshot_seq = r.last_seq;
      if (!r.ok()) {
        v.status = "INCONSISTENT";
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
        if (!fresh) v.status = "STALE";
      }
    }
  } catch (const SqliteError& e) {
    std::string why = header_diagnosis(hdr, has_wal);
    // While opening, the statement text says nothing about the snapshot.
    std::string what = std::strcmp(stage, "open") == 0 ? sqlite3_errstr(e.code) : e.what();
    return corrupt(fmt::format("unreadable ({} failed): {}{}{}", stage, what, why.empty() ? "" : "; ", why));
  }
  return finish();
}

nlohmann::json to_json(const Verdict& v) {
  auto opt = [](const std::optional<int64_t>& o) { return o ? nlohmann::json(*o) : nlohmann::json(nullptr); };
  return {{"status", v.status},
          {"snapshot_seq", v.snapshot_seq},
          {"committed_before_start", opt(v.bounds.min)},
          {"committed_before_end", opt(v.bounds.max)},
          {"checks", v.checks},
          {"timings_ms", v.timings_ms},
          {"detail", v.detail}};
}

}  // namespace bb
