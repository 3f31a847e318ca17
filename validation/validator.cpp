// Snapshot validation: header, integrity_check, workload invariants, freshness.
// A hostile file (random bytes, truncated, zero-length) yields CORRUPT, never a
// crash or a hang.
#include "validation/validator.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "harness/clock.h"
#include "harness/sqlite_db.h"
#include "workloads/workload.h"

namespace fs = std::filesystem;

namespace bb {
namespace {

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

bool has_sqlite_header(const std::string& path) {
  char buf[16] = {};
  std::ifstream in(path, std::ios::binary);
  in.read(buf, 16);
  return in.gcount() == 16 && std::memcmp(buf, "SQLite format 3\0", 16) == 0;
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
  Verdict v;
  v.bounds = bounds;
  v.checks = {{"integrity", nullptr}, {"balance_sum", nullptr}, {"seq_gapless", nullptr},
              {"replay", nullptr},    {"fresh", nullptr}};
  std::vector<std::string> notes;
  for (auto side : {"-wal", "-journal"})
    if (fs::exists(path + side) && fs::file_size(path + side) > 0)
      notes.push_back(fmt::format("a {} file is beside the snapshot; validated what SQLite sees with it", side));
  auto corrupt = [&](const std::string& why) {
    v.status = "CORRUPT";
    v.detail = why;
    for (auto& n : notes) v.detail += "; " + n;
    return v;
  };
  if (!has_sqlite_header(path)) return corrupt("not an SQLite database (no 'SQLite format 3' header)");
  try {
    Db db(path, SQLITE_OPEN_READWRITE);
    db.busy_timeout(2000);
    std::string integrity = timed(v, "integrity", [&] {
      Stmt st(db, opt.quick ? "PRAGMA quick_check(20)" : "PRAGMA integrity_check(20)");
      std::vector<std::string> lines;
      while (st.step()) lines.push_back(st.col_text(0));
      return lines.size() == 1 && lines[0] == "ok" ? std::string("ok") : fmt::format("{}", fmt::join(lines, "; "));
    });
    v.checks["integrity"] = integrity;
    if (integrity != "ok") return corrupt("integrity_check: " + integrity);
    if (workload) {
      InvariantReport r;
      try {
        r = timed(v, "invariants", [&] { return workload->check(db); });
      } catch (const InvariantBroken& e) {
        r.checks = {{"balance_sum", false}, {"seq_gapless", false}, {"replay", false}};
        r.detail = e.what();
      } catch (const SqliteError& e) {
        if (e.primary() == SQLITE_CORRUPT || e.primary() == SQLITE_NOTADB || e.primary() == SQLITE_IOERR)
          throw;
        // Readable, but the workload's tables are not all there (e.g. a WAL
        // database copied without its -wal: the schema never reached the file).
        r.checks = {{"balance_sum", false}, {"seq_gapless", false}, {"replay", false}};
        r.detail = fmt::format("workload tables unreadable: {}", e.what());
      }
      for (auto& [k, ok] : r.checks) v.checks[k] = ok;
      v.snapshot_seq = r.last_seq;
      if (!r.ok()) {
        v.status = "INCONSISTENT";
        v.detail = r.detail;
      } else {
        bool fresh = true;
        if (bounds.min && r.last_seq < *bounds.min) {
          fresh = false;
          v.detail = fmt::format("stale: snapshot ends at seq {} but {} transactions had committed before the backup started",
                                 r.last_seq, *bounds.min);
        } else if (bounds.max && r.last_seq > *bounds.max) {
          fresh = false;
          v.detail = fmt::format("impossible: snapshot ends at seq {} but only {} transactions had begun before the backup ended",
                                 r.last_seq, *bounds.max);
        }
        v.checks["fresh"] = fresh;
        if (!fresh) v.status = "STALE";
      }
    }
  } catch (const SqliteError& e) {
    return corrupt(fmt::format("unreadable: {}", e.what()));
  }
  for (auto& n : notes) v.detail += (v.detail.empty() ? "" : "; ") + n;
  return v;
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
